#!/usr/bin/env node
// Small HTTP/1.1 origin server for captures.
//   node http-backend.mjs --addr 127.0.0.2 --port 80 --name web1 --log servers.jsonl [--quiet]
// Routes:
//   GET  / , /index.html      fixed HTML page with Content-Length (body names the server)
//   GET  /chunked[?n=K]       chunked response, K chunks (default 4) written 20 ms apart
//   GET  /big?bytes=N         N bytes of 'x' with Content-Length
//   GET  /slow-headers?ms=M   waits M ms before sending the headers
//   GET  /reset-mid           sends headers + part of the body, then resets the TCP connection (RST)
//   POST/PUT any path         reads the body, answers {"server","received":N} (JSON, Content-Length)
//   other                     404
// Keep-alive is supported (node default); each request is recorded as a JSON line
// with timestamps, plus connection open/close events.
// --accept-proxy: every connection must start with a PROXY protocol header (v1 text or v2 binary);
// it is parsed, recorded ("proxy-header" event) and stripped before HTTP parsing.
// --serial: every response carries "X-Serial: <name>-<n>" (n counts this server's requests), and
// the request record its serial, so a capture's client and server records can be joined per request.
import http from 'node:http';
import net from 'node:net';
import { parseArgs, recorder, onStop } from './common.mjs';

const args = parseArgs(undefined, { addr: '127.0.0.2', port: '80', name: 'web', log: 'none', 'keepalive-timeout': '5000' });
const name = String(args.name);
const rec = args.quiet ? () => {} : recorder(args.log, { server: name });

const page = Buffer.from(`<html><head><title>${name}</title></head><body><h1>${name}</h1><p>served by ${name}</p></body></html>\n`);
let connSeq = 0;
let serialSeq = 0;

const server = http.createServer((req, res) => {
  const sock = req.socket;
  const conn = sock._capId;
  sock._capReqs = (sock._capReqs ?? 0) + 1;
  const reqIndex = sock._capReqs;
  let bodyBytes = 0;
  if (args.serial) res.setHeader('X-Serial', `${name}-${++serialSeq}`);
  req.on('data', (c) => { bodyBytes += c.length; });
  req.on('end', () => {
    const url = new URL(req.url, 'http://x');
    const base = {
      conn, reqIndex, ...(args.serial ? { serial: res.getHeader('X-Serial') } : {}), remote: `${sock.remoteAddress}:${sock.remotePort}`, local: `${sock.localAddress}:${sock.localPort}`,
      method: req.method, url: req.url, httpVersion: req.httpVersion, headers: req.rawHeaders, bodyBytes,
    };
    const done = (status, respBodyBytes, extra = {}) => rec('request', { ...base, status, respBodyBytes, ...extra });
    if (req.method === 'POST' || req.method === 'PUT') {
      const body = Buffer.from(JSON.stringify({ server: name, received: bodyBytes }) + '\n');
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': body.length, 'X-Server': name });
      res.end(body);
      return done(200, body.length);
    }
    if (req.method === 'GET' || req.method === 'HEAD') {
      if (url.pathname === '/' || url.pathname === '/index.html') {
        res.writeHead(200, { 'Content-Type': 'text/html', 'Content-Length': page.length, 'X-Server': name });
        res.end(req.method === 'HEAD' ? undefined : page);
        return done(200, req.method === 'HEAD' ? 0 : page.length);
      }
      if (url.pathname === '/chunked') {
        const n = Number(url.searchParams.get('n') ?? 4);
        res.writeHead(200, { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked', 'X-Server': name });
        let i = 0, total = 0;
        const tick = () => {
          if (i >= n) { res.end(); return done(200, total, { chunks: n }); }
          const c = `chunk ${i} from ${name}\n`; total += c.length; i++;
          res.write(c);
          setTimeout(tick, 20);
        };
        return tick();
      }
      if (url.pathname === '/big') {
        const n = Number(url.searchParams.get('bytes') ?? 100000);
        res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': n, 'X-Server': name });
        res.end(Buffer.alloc(n, 'x'));
        return done(200, n);
      }
      if (url.pathname === '/slow-headers') {
        const ms = Number(url.searchParams.get('ms') ?? 5000);
        rec('delaying-headers', { ...base, ms });
        const t = setTimeout(() => {
          if (sock.destroyed) return done(0, 0, { note: 'client gone before headers' });
          res.writeHead(200, { 'Content-Type': 'text/html', 'Content-Length': page.length, 'X-Server': name });
          res.end(page);
          done(200, page.length, { delayedMs: ms });
        }, ms);
        sock.once('close', () => clearTimeout(t) || (!res.headersSent && done(0, 0, { note: 'connection closed before headers sent' })));
        return;
      }
      if (url.pathname === '/reset-mid') {
        const partial = Buffer.alloc(2000, 'y');
        res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': 10000, 'X-Server': name });
        res.write(partial);
        setTimeout(() => { sock.resetAndDestroy(); done(200, partial.length, { note: 'reset after partial body', declaredLength: 10000 }); }, 50);
        return;
      }
    }
    const body = Buffer.from('not found\n');
    res.writeHead(404, { 'Content-Type': 'text/plain', 'Content-Length': body.length, 'X-Server': name });
    res.end(body);
    done(404, body.length);
  });
});

server.keepAliveTimeout = Number(args['keepalive-timeout']);

const V2SIG = Buffer.from('0d0a0d0a000d0a515549540a', 'hex');
// Parse a PROXY protocol header at the start of buf. Returns {len, info} or null if more bytes are needed.
function parseProxy(buf) {
  if (buf.length >= 16 && buf.subarray(0, 12).equals(V2SIG)) {
    const verCmd = buf[12], fam = buf[13], len = buf.readUInt16BE(14);
    if (buf.length < 16 + len) return null;
    const info = { version: 2, command: (verCmd & 0x0f) === 1 ? 'PROXY' : 'LOCAL', family: fam, addrLen: len };
    const a = buf.subarray(16, 16 + len);
    if (fam === 0x11 && len >= 12) { // TCP over IPv4
      info.src = `${a[0]}.${a[1]}.${a[2]}.${a[3]}:${a.readUInt16BE(8)}`;
      info.dst = `${a[4]}.${a[5]}.${a[6]}.${a[7]}:${a.readUInt16BE(10)}`;
      if (len > 12) info.tlvHex = a.subarray(12).toString('hex');
    }
    return { len: 16 + len, info };
  }
  if (buf.length >= 6 && buf.subarray(0, 6).toString('latin1') === 'PROXY ') {
    const e = buf.indexOf('\r\n');
    if (e < 0) return buf.length > 107 ? { len: 0, info: { error: 'bad v1 header' } } : null;
    const line = buf.subarray(0, e).toString('latin1');
    const [, proto, sip, dip, sport, dport] = line.split(' ');
    const info = { version: 1, line, proto };
    if (proto !== 'UNKNOWN') { info.src = `${sip}:${sport}`; info.dst = `${dip}:${dport}`; }
    return { len: e + 2, info };
  }
  if (buf.length < 16 && (V2SIG.subarray(0, buf.length).equals(buf) || Buffer.from('PROXY ').subarray(0, buf.length).equals(buf.subarray(0, 6)))) return null;
  return { len: 0, info: { error: 'no PROXY header', firstBytesHex: buf.subarray(0, 16).toString('hex') } };
}

let front = null;
if (args['accept-proxy']) {
  // Raw TCP front: strip the PROXY header, then hand the socket to the HTTP server.
  front = net.createServer((sock) => {
    let buf = Buffer.alloc(0);
    const onData = (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      const r = parseProxy(buf);
      if (!r) return;
      sock.removeListener('data', onData);
      sock.pause();
      rec('proxy-header', { remote: `${sock.remoteAddress}:${sock.remotePort}`, ...r.info });
      if (r.info.error) { sock.destroy(); return; }
      const rest = buf.subarray(r.len);
      if (rest.length) sock.unshift(rest);
      server.emit('connection', sock);
      sock.resume();
    };
    sock.on('data', onData);
    sock.on('error', () => {});
  });
}
server.on('connection', (sock) => {
  sock._capId = ++connSeq;
  const remote = `${sock.remoteAddress}:${sock.remotePort}`;
  rec('accept', { conn: sock._capId, remote });
  sock.on('close', (hadError) => rec('close', { conn: sock._capId, remote, requests: sock._capReqs ?? 0, hadError }));
});
server.on('clientError', (err, sock) => { rec('client-error', { conn: sock._capId, code: err.code, message: err.message }); sock.destroy(); });
(front ?? server).listen(Number(args.port), String(args.addr), () => rec('listening', { addr: args.addr, port: Number(args.port), acceptProxy: !!front }));
onStop((sig) => rec('stop', { signal: sig }));
