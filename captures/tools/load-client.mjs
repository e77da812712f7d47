#!/usr/bin/env node
// HTTP/1.1 load generator on raw sockets (no dependencies): N requests over K concurrent connections.
//   node load-client.mjs --dst 127.0.0.22:80 --src 127.0.0.90,127.0.0.91 --host ww1.itnihao.cn
//        [--requests N]       total requests (default 10000; 0 = unlimited, until --duration)
//        [--concurrency K]    concurrent connections (default 8)
//        [--mode keepalive|close|mixed]  keepalive: many requests per connection; close: one request per
//                             connection ("Connection: close"); mixed: every 4th slot uses close (default mixed)
//        [--per-conn M]       keep-alive connections are closed by the client after M requests (default 100)
//        [--paths /,/index.html]  paths used in turn
//        [--post-every P]     every P-th request is a POST with a 512-byte body (default 0 = never)
//        [--duration S]       stop after S seconds (default 120)
//        [--log file]         JSON summary (and errors) as JSON lines; default none
// Responses must carry Content-Length (the captures' http-backend does for these paths).
import net from 'node:net';
import { parseArgs, recorder, hostPort, now } from './common.mjs';

const a = parseArgs(undefined, { dst: '127.0.0.22:80', src: '127.0.0.90', host: 'ww1.itnihao.cn', requests: '10000', concurrency: '8',
  mode: 'mixed', 'per-conn': '100', paths: '/,/index.html', 'post-every': '0', duration: '120', log: 'none' });
const rec = recorder(a.log, { client: 'load-client' });
const { host, port } = hostPort(String(a.dst), 80);
const srcs = String(a.src).split(',');
const paths = String(a.paths).split(',');
const total = Number(a.requests), K = Number(a.concurrency), perConn = Number(a['per-conn']), postEvery = Number(a['post-every']);
const postBody = Buffer.alloc(512, 'q');
let issued = 0, done = 0, errors = 0, conns = 0, stopping = false;
const status = {};
const t0 = now();

function nextRequest(close) {
  const n = issued++;
  const path = paths[n % paths.length];
  const conn = close ? 'close' : 'keep-alive';
  if (postEvery && n % postEvery === postEvery - 1) {
    return Buffer.concat([Buffer.from(`POST ${path} HTTP/1.1\r\nHost: ${a.host}\r\nUser-Agent: proxytrace-load/1\r\nConnection: ${conn}\r\nContent-Type: application/octet-stream\r\nContent-Length: ${postBody.length}\r\n\r\n`), postBody]);
  }
  return Buffer.from(`GET ${path} HTTP/1.1\r\nHost: ${a.host}\r\nUser-Agent: proxytrace-load/1\r\nConnection: ${conn}\r\n\r\n`);
}
const more = () => !stopping && (total === 0 || issued < total);

let active = 0;
function slot(id) {
  if (!more()) { if (--active === 0) finish(); return; }
  const close = a.mode === 'close' || (a.mode === 'mixed' && id % 4 === 3);
  const sock = net.connect({ host, port, localAddress: srcs[(conns++) % srcs.length] });
  sock.setNoDelay(true);
  let buf = Buffer.alloc(0), need = -1, onConn = 0, serverClose = false, ended = false;
  const send = () => {
    if (!more()) { sock.end(); return; }
    onConn++;
    sock.write(nextRequest(close || onConn >= perConn));
  };
  sock.on('connect', send);
  sock.on('data', (chunk) => {
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
    for (;;) {
      if (need < 0) {
        const he = buf.indexOf('\r\n\r\n');
        if (he < 0) return;
        const head = buf.subarray(0, he).toString('latin1');
        const st = head.slice(9, 12);
        status[st] = (status[st] ?? 0) + 1;
        const m = /\r\ncontent-length:\s*(\d+)/i.exec(head);
        if (!m) { errors++; rec('error', { note: 'response without content-length', head }); sock.destroy(); return; }
        need = he + 4 + Number(m[1]);
        serverClose = /\r\nconnection:\s*close/i.test(head);
      }
      if (buf.length < need) return;
      buf = buf.subarray(need); need = -1; done++;
      if (close || onConn >= perConn || serverClose || !more()) { sock.end(); return; }
      send();
    }
  });
  sock.on('error', (err) => { errors++; if (errors <= 20) rec('error', { code: err.code, message: err.message }); });
  sock.on('close', () => { if (ended) return; ended = true; setImmediate(() => slot(id)); });
}

function finish() {
  const el = now() - t0;
  const summary = { requests: done, issued, errors, connections: conns, seconds: Number(el.toFixed(3)), rps: Math.round(done / el), status };
  rec('summary', summary);
  console.error(JSON.stringify(summary));
  process.exit(0);
}
for (let i = 0; i < K; i++) { active++; slot(i); }
setTimeout(() => { stopping = true; }, Number(a.duration) * 1000).unref();
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { stopping = true; finish(); });
