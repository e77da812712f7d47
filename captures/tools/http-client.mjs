#!/usr/bin/env node
// HTTP/1.1 test client (node:http), records every request/response as JSON lines.
//   node http-client.mjs --src 127.0.0.90 --dst 127.0.0.22:80 --host ww1.itnihao.cn --log clients.jsonl
//        [--req "GET /"] ...     requests of one round, in order (repeatable; default "GET /")
//                                 "POST /path 3000" sends a 3000-byte body
//        [--repeat N]            number of rounds (default 1)
//        [--keepalive]           reuse one connection (one socket at a time); default: new connection per request
//        [--gap MS]              pause between requests (default 0)
//        [--abort-after MS]      abort (destroy) each request MS ms after sending it (client-abort tests):
//                                 the socket is closed normally (FIN)...
//        [--abort-rst]           ...or reset (RST, SO_LINGER 0) with this flag
//        [--partial N]           for requests with a body: announce the full Content-Length but send only
//                                 N bytes of it (use with --abort-after to abort mid-upload)
//        [--timeout S]           per-request timeout (default 10)
import http from 'node:http';
import { parseArgs, recorder, hostPort } from './common.mjs';

const args = parseArgs(undefined, { src: '127.0.0.90', dst: '127.0.0.22:80', host: 'localhost', log: 'none', req: [], repeat: '1', gap: '0', timeout: '10', name: 'http-client' });
const rec = recorder(args.log, { client: String(args.name) });
const { host, port } = hostPort(String(args.dst), 80);
const plan = (args.req.length ? args.req : ['GET /']).map((s) => {
  const [method, path, bodyBytes] = String(s).trim().split(/\s+/);
  return { method, path: path ?? '/', bodyBytes: Number(bodyBytes ?? 0) };
});
const agent = args.keepalive ? new http.Agent({ keepAlive: true, maxSockets: 1, localAddress: String(args.src) }) : false;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let seq = 0, sockSeq = 0;

function once(step) {
  return new Promise((resolve) => {
    const n = ++seq;
    const headers = { Host: String(args.host), 'User-Agent': 'proxytrace-capture/1' };
    if (!args.keepalive) headers.Connection = 'close';
    let body;
    if (step.bodyBytes) { body = Buffer.alloc(step.bodyBytes, 'p'); headers['Content-Type'] = 'application/octet-stream'; headers['Content-Length'] = body.length; }
    const req = http.request({ host, port, method: step.method, path: step.path, headers, agent, localAddress: agent ? undefined : String(args.src) });
    const t0 = Date.now();
    let finished = false;
    const fin = (ev, fields) => { if (finished) return; finished = true; rec(ev, { seq: n, method: step.method, path: step.path, host: String(args.host), ...fields, ms: Date.now() - t0 }); resolve(); };
    req.on('socket', (s) => {
      if (!s._capId) s._capId = ++sockSeq;
      const info = () => ({ socket: s._capId, local: `${s.localAddress}:${s.localPort}`, reusedSocket: req.reusedSocket });
      if (s.connecting) s.once('connect', () => rec('connect', { seq: n, ...info() }));
      req._capInfo = info;
    });
    req.setTimeout(Number(args.timeout) * 1000, () => { req.destroy(new Error('client timeout')); });
    if (args['abort-after']) setTimeout(() => { if (!finished) {
      rec('abort', { seq: n, ...(req._capInfo?.() ?? {}), how: args['abort-rst'] ? 'RST' : 'FIN' });
      if (args['abort-rst'] && req.socket) req.socket.resetAndDestroy();
      req.destroy(new Error('aborted by client'));
    } }, Number(args['abort-after']));
    req.on('response', (res) => {
      let bytes = 0, chunks = 0;
      res.on('data', (c) => { bytes += c.length; chunks++; });
      res.on('end', () => fin('response', { ...req._capInfo(), status: res.statusCode, httpVersion: res.httpVersion, headers: res.rawHeaders, bodyBytes: bytes, dataEvents: chunks, requestBodyBytes: step.bodyBytes }));
      res.on('error', (err) => fin('error', { ...(req._capInfo?.() ?? {}), status: res.statusCode, bodyBytes: bytes, code: err.code, message: err.message }));
    });
    req.on('error', (err) => fin('error', { ...(req._capInfo?.() ?? {}), code: err.code, message: err.message }));
    if (body && args.partial !== undefined) req.write(body.subarray(0, Number(args.partial)));
    else req.end(body);
  });
}

for (let r = 0; r < Number(args.repeat); r++) {
  for (const step of plan) {
    await once(step);
    if (Number(args.gap)) await sleep(Number(args.gap));
  }
}
if (agent) agent.destroy();
rec('done', { requests: seq });
