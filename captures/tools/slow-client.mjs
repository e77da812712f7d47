#!/usr/bin/env node
// Slow TCP client: writes one byte every N seconds and records everything.
//   node slow-client.mjs --src 127.0.0.90 --dst 127.0.0.22:9000 --log clients.jsonl
//        [--interval S]   seconds between bytes (default 1; fractional allowed)
//        [--count N]      number of bytes to send (default 5); bytes are 'a','b','c',...
//        [--first-delay S] delay before the first byte (default 0)
//        [--linger S]     after the last byte, wait S seconds before sending our FIN (default 2)
//        [--max S]        hard limit on the run time (default 60)
// Events: connect, sent, write-error, recv, eof (peer FIN), error (e.g. ECONNRESET), end (our FIN), close.
import net from 'node:net';
import { parseArgs, recorder, show, hostPort } from './common.mjs';

const args = parseArgs(undefined, { src: '127.0.0.90', dst: '127.0.0.22:9000', log: 'none', interval: '1', count: '5', 'first-delay': '0', linger: '2', max: '60' });
const rec = recorder(args.log, { client: 'slow-client' });
const { host, port } = hostPort(String(args.dst), 9000);
const interval = Number(args.interval) * 1000, count = Number(args.count);
let sent = 0, rx = 0, closed = false;

const sock = net.connect({ host, port, localAddress: String(args.src), allowHalfOpen: true });
const local = () => `${sock.localAddress}:${sock.localPort}`;
sock.on('connect', () => {
  rec('connect', { local: local(), remote: `${host}:${port}` });
  setTimeout(tick, Number(args['first-delay']) * 1000);
});
function tick() {
  if (closed) return;
  if (sent >= count) {
    setTimeout(() => { if (!closed) { rec('end', { local: local(), note: 'sending FIN', sent, rx }); sock.end(); } }, Number(args.linger) * 1000);
    return;
  }
  const b = Buffer.from([0x61 + (sent % 26)]);
  const n = ++sent;
  sock.write(b, (err) => {
    if (err) rec('write-error', { local: local(), n, code: err.code, message: err.message });
  });
  rec('sent', { local: local(), n, ...show(b) });
  setTimeout(tick, interval);
}
sock.on('data', (buf) => { rx += buf.length; rec('recv', { local: local(), ...show(buf), rxTotal: rx }); });
sock.on('end', () => rec('eof', { local: local(), note: 'peer sent FIN', sent, rx }));
sock.on('error', (err) => rec('error', { local: local(), code: err.code, message: err.message, sent, rx }));
sock.on('close', (hadError) => { closed = true; rec('close', { hadError, sent, rx }); clearTimeout(hard); });
const hard = setTimeout(() => { rec('timeout', { note: 'max run time reached, destroying' }); sock.destroy(); }, Number(args.max) * 1000);
