#!/usr/bin/env node
/**
 * proxytrace's command line: commander on top of the pipeline. Each command lives in its own file.
 */
import { createRequire } from 'node:module';
import { Command, CommanderError, Option } from 'commander';
import { EXIT } from '../errors.js';
import { escapeInline } from '../report/escape.js';
import type { LiveCommandOptions } from './live-command.js';
import { LIVE_DESCRIPTION, LIVE_HELP } from './live-help.js';
import { action } from './run-action.js';
import { lowerMemoryCeiling } from './low-memory.js';

const require = createRequire(import.meta.url);
const { version } = require('../../../package.json') as { version: string };

// `proxytrace conns f.pcap | head` must end quietly, not with an EPIPE stack trace.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(EXIT.ok);
  throw e;
});

// analyze --low-memory: V8's heap limits are set here, before anything grows the heap (set
// once the command runs, after commander and the command's modules, the pair measured worse
// than either flag alone); commander still checks that the option belongs to the command.
if (process.argv.includes('--low-memory')) lowerMemoryCeiling();

const program = new Command();
program
  .name('proxytrace')
  .description('Trace traffic through a proxy from packet captures (pcap, pcapng, gzip; "-" for stdin).')
  .version(version)
  // A usage error is one line like every other error (set before the commands, which inherit it).
  .configureOutput({
    outputError: (str, write) =>
      write(`proxytrace: ${str.trim().replace(/^error: /, '').split('\n').map(escapeInline).join(' ')} (run with --help for usage)\n`),
  })
  .exitOverride();

const EXIT_CODES = `
Exit codes: 0 ok; 1 internal error; 2 usage; 3 a capture cannot be opened;
4 a capture is corrupt, truncated or of an unknown link type (what came before the fault is still reported).`;

const CLOCK_OFFSET_HELP = 'with several captures: FILE\'s clock minus the reference\'s, e.g. web1.pcap=+0.350 or =-250ms (repeatable); wins over the estimate';
const CAPTURE_POINTS_HELP = `
Several files are capture points (one tcpdump per host): each file's clock offset is estimated
from the packets two files both saw and applied before any timing; a connection seen in two files
is one connection seen twice (docs/capture-points.md).`;

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

program
  .command('analyze')
  .description('Trace every client connection through the proxy: which server took it, what the proxy rewrote, how long it held the bytes, what it dropped, and what HAProxy would have logged.')
  .argument('<file...>', 'capture files taken where both legs are visible (on the proxy host, or loopback)')
  .option('--proxy <addr[:port]>', 'the proxy\'s address (repeatable); default: detected from the traffic', collect)
  .option('--haproxy-cfg <file>', 'haproxy.cfg: names frontends and servers, explains timeouts')
  .option('--haproxy-log <file>', 'HAProxy\'s log: compare each line with what the capture shows')
  .option('--json', 'print the versioned JSON document (docs/analyze.md)')
  .option('--ndjson', 'print one session per line as each session completes (the same objects as in --json)')
  .option('--ledger', 'with --json/--ndjson: the forwarding ledger per delivery chunk (every stretch and its hold time), not per message part')
  .option('--stats', 'print packets, processing time, rate and peak memory on stderr')
  .option('--low-memory', 'keep peak memory down (about half on a large capture) at the cost of about 30% more time')
  .option('--clock-offset <file=seconds>', CLOCK_OFFSET_HELP, collect)
  .addHelpText('after', CAPTURE_POINTS_HELP + EXIT_CODES)
  .action(action((files: string[], opts: { proxy?: string[]; haproxyCfg?: string; haproxyLog?: string; json?: boolean; ndjson?: boolean; ledger?: boolean; stats?: boolean; clockOffset?: string[] }) => import('./analyze-command.js').then((m) => m.analyzeCommand(files, opts))));

program
  .command('conns')
  .description('List every TCP connection in the captures: endpoints, times, bytes each way, Zeek conn_state and history.')
  .argument('<file...>', 'capture files (pcap, pcapng, optionally gzip-compressed; "-" reads stdin); several are capture points, one connection listed once')
  .option('--json', 'print the versioned JSON document (docs/json-contract.md) instead of a table')
  .option('--stats', 'print packets, processing time, rate and peak memory on stderr')
  .option('--clock-offset <file=seconds>', CLOCK_OFFSET_HELP, collect)
  .addHelpText('after', CAPTURE_POINTS_HELP + EXIT_CODES)
  .action(action((files: string[], opts: { json?: boolean; stats?: boolean; clockOffset?: string[] }) => import('./conns-command.js').then((m) => m.connsCommand(files, opts))));

program
  .command('follow')
  .description("Print one connection's two byte streams, like Wireshark's Follow TCP Stream.")
  .argument('<file...>', 'capture files; several are merged by time')
  .requiredOption('--conn <id>', 'connection id from `proxytrace conns`, or an endpoint "ip:port" of the connection')
  .addOption(new Option('--hex', 'hex dump instead of escaped text'))
  .addHelpText('after', `
Text mode shows printable ASCII as is, CRLF and LF as line ends, and every other byte as \\xNN
(a lone CR as \\r, a backslash as \\\\), so no captured byte can reach the terminal raw.
Missing bytes are marked "[N bytes missing in capture: why]".${EXIT_CODES}`)
  .action(action((files: string[], opts: { conn: string; hex?: boolean }) => import('./follow-command.js').then((m) => m.followCommand(files, opts))));

program
  .command('live')
  .description(LIVE_DESCRIPTION)
  .option('-i, --interface <name>', 'capture on this interface (libpcap name: lo, eth0, any); needs root or CAP_NET_RAW')
  .option('-r, --read <file>', 'read a pcap/pcapng stream instead ("-" for stdin: tcpdump -U -w - | proxytrace live -r -)')
  .option('-f, --filter <bpf>', 'capture filter, pcap-filter syntax (e.g. \'host 127.0.0.22\')')
  .option('--proxy <addr[:port]>', 'the proxy\'s address (repeatable); default: detected from the traffic', collect)
  .option('--haproxy-cfg <file>', 'haproxy.cfg: names frontends and servers, explains timeouts')
  .option('--ndjson', 'print one session per line (the objects of analyze --json); the summary goes to stderr')
  .option('-w, --write <file>', 'also write what was captured as a pcap file (microseconds)')
  .option('--duration <seconds>', 'stop after this long')
  .option('--count <n>', 'stop after this many packets')
  .option('-B, --buffer-size <MiB>', 'kernel capture buffer for -i (default 64): raise it if packets are lost in bursts')
  .option('--tui', 'browse the sessions in the terminal UI as they arrive (as `tui`); quitting it stops the capture')
  .addHelpText('after', LIVE_HELP)
  .action(action((opts: LiveCommandOptions) => import('./live-command.js').then((m) => m.liveCommand(opts))));

program
  .command('tui')
  .description('Browse the sessions full-screen: list (filter, sort), and per session the ladder, header rewrites, both legs\' bytes and the HAProxy verdict.')
  .argument('<file...>', 'capture files taken where both legs are visible (on the proxy host, or loopback)')
  .option('--proxy <addr[:port]>', 'the proxy\'s address (repeatable); default: detected from the traffic', collect)
  .option('--haproxy-cfg <file>', 'haproxy.cfg: names frontends and servers, explains timeouts')
  .option('--haproxy-log <file>', 'HAProxy\'s log: the verdict tab shows the real line next to the inferred one')
  .option('--filter <expr>', 'start with this filter (e.g. "server web1 & status 5xx"; ? in the TUI lists the language)')
  .option('--clock-offset <file=seconds>', CLOCK_OFFSET_HELP, collect)
  .addHelpText('after', `
Needs a terminal. Keys: j/k or arrows move, Enter opens a session, Tab switches tabs, / filters,
s sorts, ? shows every key, q quits.${EXIT_CODES}`)
  .action(action(async (files: string[], opts: { proxy?: string[]; haproxyCfg?: string; haproxyLog?: string; filter?: string; clockOffset?: string[] }) => {
    const { tuiCommand } = await import('./tui-command.js');
    return tuiCommand(files, opts);
  }));

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    process.exitCode = e.exitCode === 0 ? EXIT.ok : EXIT.usage;
  } else {
    throw e;
  }
}
