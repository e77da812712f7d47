#!/usr/bin/env node
// Concurrent identical requests: several connections send the same bytes in the same tick.
//   node burst-client.mjs --src 127.0.0.90,127.0.0.91 --dst 127.0.0.22:80 --host ww1.itnihao.cn --log clients.jsonl
//        [--path /]        request target (default /)
//        [--rounds N]      bursts (default 1)
//        [--keepalive]     one connection per --src entry for all rounds; default: new connections each round
//        [--gap MS]        pause between rounds (default 100)
//        [--timeout S]     per-round limit (default 5)
// Each round first has every connection open (new ones are connected before anything is sent),
// then writes one byte-identical "GET" to all of them in a single synchronous loop, so they reach
// the proxy within microseconds of each other. A --src entry may repeat (same source address:
// only the ports tell the connections apart). Records connect / sent / response / close per
// connection: `slot` (index in --src), `round`, `local` address:port, and the response's status,
// raw headers (X-Server / X-Serial name the server and its request) and body bytes.
import net from 'node:net';
import { parseArgs, recorder, hostPort } from './common.mjs';

const args = parseArgs(undefined, { src: '127.0.0.90,127.0.0.91', dst: '127.0.0.22:80', host: 'localhost', path: '/', log: 'none', rounds: '1', gap: '100', timeout: '5', name: 'burst-client' });
const rec = recorder(args.log, { client: String(args.name) });
const { host, port } = hostPort(String(args.dst), 80);
const srcs = String(args.src).split(',');
const keepalive = !!args.keepalive;
const request = Buffer.from(`GET ${args.path} HTTP/1.1\r\nHost: ${args.host}\r\nUser-Agent: proxytrace-capture/1\r\n`
  + (keepalive ? '' : 'Connection: close\r\n') + '\r\n', 'latin1');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let seq = 0;

/** One connection: resolves `connected`, then one response per `expect()`. */
function open(slot) {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host, port, localAddress: srcs[slot] });
    const c = { slot, sock, local: '', buf: Buffer.alloc(0), waiting: null, closed: null };
    c.closed = new Promise((r) => sock.once('close', () => { rec('close', { slot, local: c.local }); r(); }));
    sock.once('connect', () => {
      c.local = `${sock.localAddress}:${sock.localPort}`;
      rec('connect', { slot, src: srcs[slot], local: c.local });
      resolve(c);
    });
    sock.on('data', (d) => { c.buf = Buffer.concat([c.buf, d]); parse(c); });
    sock.on('error', (err) => {
      rec('error', { slot, local: c.local, code: err.code, message: err.message });
      if (c.waiting) c.waiting.reject(err); else reject(err);
    });
    sock.on('end', () => { if (c.waiting) c.waiting.reject(new Error(`connection ${c.local} closed before the response`)); });
  });
}

// Content-Length responses only (what http-backend.mjs and HAProxy's own errors send).
function parse(c) {
  const w = c.waiting;
  if (!w) return;
  const e = c.buf.indexOf('\r\n\r\n');
  if (e < 0) return;
  const lines = c.buf.subarray(0, e).toString('latin1').split('\r\n');
  const status = Number(lines[0].split(' ')[1]);
  const headers = lines.slice(1).flatMap((l) => { const i = l.indexOf(':'); return [l.slice(0, i).trim(), l.slice(i + 1).trim()]; });
  const cl = Number(headers[headers.findIndex((h, i) => i % 2 === 0 && h.toLowerCase() === 'content-length') + 1] ?? 0);
  if (c.buf.length < e + 4 + cl) return;
  c.buf = c.buf.subarray(e + 4 + cl);
  c.waiting = null;
  w.resolve({ status, headers, bodyBytes: cl });
}

function ask(c, round) {
  const n = ++seq;
  const done = new Promise((resolve, reject) => { c.waiting = { resolve, reject }; }).then((r) => {
    const h = (name) => r.headers[r.headers.findIndex((x, i) => i % 2 === 0 && x.toLowerCase() === name) + 1];
    rec('response', { seq: n, slot: c.slot, round, local: c.local, status: r.status, server: h('x-server'), serial: h('x-serial'), headers: r.headers, bodyBytes: r.bodyBytes });
  });
  return { n, done };
}

async function withTimeout(p, what) {
  let t;
  const limit = new Promise((_, reject) => { t = setTimeout(() => reject(new Error(`${what}: no answer within ${args.timeout} s`)), Number(args.timeout) * 1000); });
  try { return await Promise.race([p, limit]); } finally { clearTimeout(t); }
}

async function burst(conns, round) {
  const asks = conns.map((c) => ask(c, round));
  // The point of the tool: every request written in this one loop, same bytes, same tick.
  for (const c of conns) c.sock.write(request);
  rec('sent', { round, bytes: request.length, requests: conns.map((c, i) => ({ seq: asks[i].n, slot: c.slot, local: c.local })) });
  await withTimeout(Promise.all(asks.map((a) => a.done)), `round ${round}`);
}

const rounds = Number(args.rounds);
if (keepalive) {
  const conns = await withTimeout(Promise.all(srcs.map((_, i) => open(i))), 'connect');
  for (let r = 1; r <= rounds; r++) {
    await burst(conns, r);
    if (r < rounds) await sleep(Number(args.gap));
  }
  for (const c of conns) c.sock.end();
  await withTimeout(Promise.all(conns.map((c) => c.closed)), 'close');
} else {
  for (let r = 1; r <= rounds; r++) {
    const conns = await withTimeout(Promise.all(srcs.map((_, i) => open(i))), 'connect');
    await burst(conns, r);
    // Connection: close: the proxy closes; close our side too and wait for both.
    for (const c of conns) c.sock.end();
    await withTimeout(Promise.all(conns.map((c) => c.closed)), 'close');
    if (r < rounds) await sleep(Number(args.gap));
  }
}
rec('done', { requests: seq });
