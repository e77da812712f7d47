#!/usr/bin/env node
// Byte-echo TCP server that records every byte received and sent.
//   node echo-server.mjs --addr 127.0.0.4 --port 7 --log servers.jsonl
//        [--delay MS]          echo each received chunk after MS milliseconds (default 0)
//        [--no-echo]           never send anything back
//        [--on-eof close|keep] on client FIN: close our side once pending echoes are out (default)
//                              or keep the half-open connection (we may still echo)
// Events: listening, accept, recv, sent, eof (peer FIN), error (e.g. ECONNRESET), close.
import net from 'node:net';
import { parseArgs, recorder, show, onStop } from './common.mjs';

const args = parseArgs(undefined, { addr: '127.0.0.4', port: '7', log: 'none', delay: '0', 'on-eof': 'close', name: 'echo' });
const rec = recorder(args.log, { server: String(args.name) });
const delay = Number(args.delay);
const noEcho = !!args['no-echo'];
let seq = 0;

const server = net.createServer({ allowHalfOpen: true }, (sock) => {
  const conn = ++seq;
  const remote = `${sock.remoteAddress}:${sock.remotePort}`;
  let pending = 0, gotEof = false, rx = 0, tx = 0;
  rec('accept', { conn, remote, local: `${sock.localAddress}:${sock.localPort}` });
  const maybeClose = () => {
    if (gotEof && pending === 0 && args['on-eof'] === 'close' && !sock.destroyed) {
      rec('end', { conn, remote, note: 'sending FIN after peer FIN', rx, tx });
      sock.end();
    }
  };
  sock.on('data', (buf) => {
    rx += buf.length;
    rec('recv', { conn, remote, ...show(buf), rxTotal: rx });
    if (noEcho) return;
    pending++;
    const send = () => {
      pending--;
      if (sock.destroyed || !sock.writable) { rec('echo-dropped', { conn, remote, ...show(buf), reason: 'socket not writable' }); return maybeClose(); }
      sock.write(buf, (err) => { if (!err) { tx += buf.length; rec('sent', { conn, remote, ...show(buf), txTotal: tx }); } });
      maybeClose();
    };
    if (delay > 0) setTimeout(send, delay); else send();
  });
  sock.on('end', () => { gotEof = true; rec('eof', { conn, remote, rx, tx }); maybeClose(); });
  sock.on('error', (err) => rec('error', { conn, remote, code: err.code, message: err.message }));
  sock.on('close', (hadError) => rec('close', { conn, remote, hadError, rx, tx }));
});
server.listen(Number(args.port), String(args.addr), () => rec('listening', { addr: args.addr, port: Number(args.port), delay, noEcho, onEof: args['on-eof'] }));
onStop((sig) => rec('stop', { signal: sig }));
