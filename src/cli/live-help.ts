/** `proxytrace live`'s description and help text: loaded with the CLI, the command itself only when run. */
export const LIVE_DESCRIPTION =
  'Capture live (libpcap) or from a pcap stream on stdin and trace the sessions through the proxy like `analyze`, printing each as it completes, until Ctrl-C, --duration or --count.';

export const LIVE_HELP = `
Examples:
  sudo proxytrace live -i lo -f 'host 127.0.0.22' --haproxy-cfg /etc/haproxy/haproxy.cfg
  sudo proxytrace live -i eth0 --proxy 10.0.0.5 --duration 60 -w run.pcap --ndjson
  tcpdump -i lo -U -w - 'tcp port 80' | proxytrace live -r -

Live capture uses the optional module \`cap\` (libpcap). It needs root, or the capabilities:
  sudo setcap cap_net_raw,cap_net_admin=eip $(command -v node)
and a built \`cap\`: install libpcap-dev and run \`npm rebuild cap\`.

Timestamps: cap gives none. Each packet is stamped when it reaches proxytrace, with the
monotonic clock (process.hrtime.bigint()) anchored once to the wall clock (Date.now()) at start:
times never go backwards but trail the kernel's by the event loop's latency (timers are less
exact than from a tcpdump file). cap's snap length is fixed at 65535 bytes: larger frames
(loopback reaches 65549) are kept cut and reported as missing bytes, not as corruption. Packets
our queue had no room for are counted and reported ("dropped"); drops in the kernel's buffer
(-B, 64 MiB by default) are not visible through cap: they show as bytes missing from the capture.

Sessions are analyzed during the capture and each is printed as it completes (text, or --ndjson:
one session per line, the objects of \`analyze --json\`); on Ctrl-C the sessions still in flight
follow, then the summary (--ndjson: on stderr). The first sessions wait until the proxy is
detected (about 1 s of capture, or the end of a shorter input), and a session is complete once
later traffic shows nothing more can belong to it. --tui shows them in the terminal UI as they
arrive instead (keys on /dev/tty with -r -); quitting it stops the capture.

Exit codes: 0 ok; 1 internal error; 2 usage; 3 the -r input cannot be opened;
4 the -r input is corrupt or truncated (what came before is still analyzed);
5 live capture could not start (no permission, cap not built, unknown interface, bad filter).`;
