#!/usr/bin/env bash
# multipoint: the same traffic captured at four points at once, one file per host.
# Hosts are network namespaces (client, proxy, web1, web2) cabled to a fifth one (sw) holding
# two bridges: front (client, proxy eth0) and back (proxy eth1, web1, web2). Addresses come from
# 198.18.0.0/15 and exist only inside those namespaces. HAProxy (http mode) runs in the proxy
# namespace, the node backends in web1/web2, the client in client; one tcpdump per namespace.
# Then two copies with a shifted clock: web1-shifted.pcap (+0.350 s), client-shifted.pcap (-0.250 s).
# The hosts come from ../netns.sh (namespaces ptmp<PID>-* only, all torn down on exit).
source "$(dirname "$0")/../lib.sh"
scenario_init 40
require_tools ip editcap ss
rm -f client.pcap proxy.pcap web1.pcap web2.pcap web1-shifted.pcap client-shifted.pcap tcpdump-*.err

source "$CAP_ROOT/netns.sh"
SHIFT_WEB1=+0.350
SHIFT_CLIENT=-0.250

build_hosts
start_hosts
sleep 1   # the first health checks

# 20 requests, a new connection each: GET / and a 1600-byte POST (two segments), alternately.
timeout 20 ip netns exec "$NS_CLIENT" node "$TOOLS/http-client.mjs" --src 198.18.1.10 --dst 198.18.1.1:80 \
  --host mp.example --req "GET /" --req "POST /upload 1600" --repeat 10 --gap 100 --log clients.jsonl --name client

sleep 1
stop_hosts

# Shifted clocks: the same packets, every timestamp moved.
editcap -F pcap -t "$SHIFT_WEB1" web1.pcap web1-shifted.pcap
editcap -F pcap -t "$SHIFT_CLIENT" client.pcap client-shifted.pcap
# The proxy's two interfaces as two capture points (what tcpdump -i eth0 and -i eth1 on the
# proxy host would hold): the same packets, split by subnet; one host, one clock.
tcpdump -r proxy.pcap -w front.pcap 'net 198.18.1.0/24' 2>/dev/null
tcpdump -r proxy.pcap -w back.pcap 'net 198.18.2.0/24' 2>/dev/null

log_captures
