/**
 * `proxytrace live` against real traffic: HAProxy (http and tcp mode, short timeouts) with
 * backends from captures/tools on loopback addresses 127.0.0.161-165, driven by real clients,
 * captured three ways at once: `proxytrace live -i lo` (with -w), tcpdump to a file, and
 * `tcpdump -w - | proxytrace live -r -`. The sessions live reports must be the ones `analyze`
 * finds in tcpdump's file (servers, termination states, bytes, drops: not timers, as the
 * timestamps differ), and live's -w file must read back in proxytrace and tshark.
 *
 * Root, haproxy, tcpdump, tshark and a built `cap` are needed: skipped on a laptop without them,
 * failing in CI. Every process is stopped by PID in `finally`; the run takes about 10 s.
 * KEEP_LIVE_DIR=/some/dir keeps the captures, haproxy.cfg and HAProxy's log there for a look.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { runCli, tshark } from './helpers/cli.js';
import { Procs, needCap, sleep, type Proc } from './helpers/live-procs.js';
import { needRoot, needTool, ROOT } from './helpers/tools.js';

const TOOLS = path.join(ROOT, 'captures', 'tools');
const CLIENT = '127.0.0.161';
const PROXY = '127.0.0.162';
const WEB1 = '127.0.0.163';
const WEB2 = '127.0.0.164';
const ECHO = '127.0.0.165';
const HTTP_PORT = 18080;
const TCP_SD_PORT = 19000;
const TCP_CD_PORT = 19001;
const WEB_PORT = 18081;
const ECHO_PORT = 19007;
const FILTER = `tcp and (host ${CLIENT} or host ${PROXY} or host ${WEB1} or host ${WEB2} or host ${ECHO})`;
/** Long enough for the clients (about 3 s) and the settle time, with margin for a slow CI machine. */
const LIVE_SECONDS = 7;

// Like captures/http-roundrobin and captures/tcp-timeout-server / -client, with 1 s timeouts, in one
// HAProxy so that one --haproxy-cfg names everything.
const HAPROXY_CFG = `
global
    maxconn 200
    log stdout format raw local0

defaults
    log global
    option httplog
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s

frontend fe_http
    bind ${PROXY}:${HTTP_PORT}
    mode http
    option forwardfor
    option httpclose
    acl host_ok hdr(host) -i live.test
    use_backend be_web if host_ok
    default_backend be_deny

backend be_web
    mode http
    balance roundrobin
    timeout server 1s
    cookie SERVERID insert indirect nocache
    source ${PROXY}
    server web1 ${WEB1}:${WEB_PORT} weight 1 cookie web1
    server web2 ${WEB2}:${WEB_PORT} weight 2 cookie web2

backend be_deny
    mode http
    http-request deny deny_status 403

frontend fe_tcp_sd
    bind ${PROXY}:${TCP_SD_PORT}
    mode tcp
    default_backend be_echo_short

backend be_echo_short
    mode tcp
    timeout server 1s
    source ${PROXY}
    server echo ${ECHO}:${ECHO_PORT}

frontend fe_tcp_cd
    bind ${PROXY}:${TCP_CD_PORT}
    mode tcp
    timeout client 1s
    default_backend be_echo

backend be_echo
    mode tcp
    source ${PROXY}
    server echo ${ECHO}:${ECHO_PORT}
`;

interface SessionDoc {
  mode: string;
  client: string;
  frontend: string;
  frontendName?: string;
  bytes: { clientToProxy: number; proxyToClient: number };
  serverLegs: { source: string; server: string; name?: string; bytes: unknown }[];
  exchanges: { method: string; target: string; status: number | null; serverLeg: number | null; answeredLocally: boolean; haproxy: { termination: string; status: number | null; bytesRead: number } | null }[];
  haproxy: { termination: string; bytesRead: number } | null;
  drops: { direction: string; bytes: number; code: string }[];
}

/** What must not depend on the timestamps: who, which server, how it ended, bytes, drops. */
function essentials(sessions: readonly SessionDoc[]): unknown[] {
  return sessions
    .map((s) => ({
      mode: s.mode,
      client: s.client,
      frontend: s.frontend,
      frontendName: s.frontendName,
      bytes: s.bytes,
      serverLegs: s.serverLegs.map((l) => ({ source: l.source, server: l.server, name: l.name, bytes: l.bytes })),
      exchanges: s.exchanges.map((e) => ({
        request: `${e.method} ${e.target}`, status: e.status, serverLeg: e.serverLeg, answeredLocally: e.answeredLocally,
        termination: e.haproxy?.termination, bytesRead: e.haproxy?.bytesRead,
      })),
      termination: s.haproxy?.termination,
      bytesRead: s.haproxy?.bytesRead,
      drops: s.drops.map((d) => ({ direction: d.direction, bytes: d.bytes, code: d.code })),
    }))
    .sort((a, b) => (a.client < b.client ? -1 : a.client > b.client ? 1 : 0));
}

function ndjson(text: string): SessionDoc[] {
  return text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as SessionDoc);
}

/** Resolves when something accepts connections at host:port (before the captures start). */
async function waitListening(host: string, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host, port, localAddress: host });
      s.once('connect', () => { s.destroy(); resolve(true); });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listening on ${host}:${port} after ${timeoutMs} ms`);
    await sleep(50);
  }
}

/** Frames of a microsecond pcap (little-endian, as tcpdump writes here) longer than `limit`, and their bytes beyond it. */
function framesOver(file: string, limit: number): { frames: number; bytes: number } {
  const b = fs.readFileSync(file);
  let frames = 0;
  let bytes = 0;
  for (let at = 24; at + 16 <= b.length; at += 16 + b.readUInt32LE(at + 8)) {
    const orig = b.readUInt32LE(at + 12);
    if (orig > limit) {
      frames++;
      bytes += orig - limit;
    }
  }
  return { frames, bytes };
}

/** Sends one request from CLIENT and closes only after the proxy has (its FIN); bounded. */
function rawRequest(request: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: PROXY, port: HTTP_PORT, localAddress: CLIENT });
    let got = '';
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`no close from the proxy within ${timeoutMs} ms: ${got}`));
    }, timeoutMs);
    s.on('connect', () => s.write(request));
    s.on('data', (b: Buffer) => (got += b.toString('latin1')));
    s.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    s.on('close', () => {
      clearTimeout(timer);
      resolve(got);
    });
  });
}

test('live -i lo: the sessions of real HAProxy traffic (http and tcp, sD and cD timeouts) equal analyze on tcpdump\'s capture; -w reads back; -r - from tcpdump agrees', { timeout: 60_000 }, async (t) => {
  if (!needRoot(t) || !needTool(t, 'haproxy') || !needTool(t, 'tcpdump') || !needTool(t, 'tshark') || !needCap(t)) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'proxytrace-live-test-'));
  const cfg = path.join(dir, 'haproxy.cfg');
  fs.writeFileSync(cfg, HAPROXY_CFG);
  const livePcap = path.join(dir, 'live.pcap');
  const tcpdumpPcap = path.join(dir, 'tcpdump.pcap');
  const procs = new Procs();
  try {
    // Servers and HAProxy first, checked before the captures start (the probes are not captured).
    const check = procs.start('haproxy -c', 'haproxy', ['-c', '-q', '-f', cfg]);
    assert.equal((await procs.waitExit(check, 10_000)).code, 0, `haproxy -c: ${check.stderr()}`);
    procs.start('web1', process.execPath, [path.join(TOOLS, 'http-backend.mjs'), '--addr', WEB1, '--port', String(WEB_PORT), '--name', 'web1', '--quiet']);
    procs.start('web2', process.execPath, [path.join(TOOLS, 'http-backend.mjs'), '--addr', WEB2, '--port', String(WEB_PORT), '--name', 'web2', '--quiet']);
    procs.start('echo', process.execPath, [path.join(TOOLS, 'echo-server.mjs'), '--addr', ECHO, '--port', String(ECHO_PORT)]);
    await Promise.all([waitListening(WEB1, WEB_PORT, 5000), waitListening(WEB2, WEB_PORT, 5000), waitListening(ECHO, ECHO_PORT, 5000)]);
    const haproxy = procs.start('haproxy', 'haproxy', ['-db', '-f', cfg]);
    haproxy.child.stdout!.on('data', (b: Buffer) => fs.appendFileSync(path.join(dir, 'haproxy.log'), b));
    await Promise.all([HTTP_PORT, TCP_SD_PORT, TCP_CD_PORT].map((p) => waitListening(PROXY, p, 5000)));
    await sleep(200);

    // The three captures.
    const tcpdump = procs.start('tcpdump', 'tcpdump', ['-i', 'lo', '-s', '0', '-B', '65536', '-U', '--immediate-mode', '-n', '-Z', 'root', '-w', tcpdumpPcap, FILTER]);
    const live = procs.proxytrace('live -i', ['live', '-i', 'lo', '-f', FILTER, '--ndjson', '--duration', String(LIVE_SECONDS), '-w', livePcap, '--haproxy-cfg', cfg]);
    const pipeDump = procs.start('tcpdump -w -', 'tcpdump', ['-i', 'lo', '-s', '0', '-B', '65536', '-U', '--immediate-mode', '-n', '-Z', 'root', '-w', '-', FILTER], { pipeStdout: true });
    const liveR = procs.proxytrace('live -r -', ['live', '-r', '-', '--ndjson', '--haproxy-cfg', cfg]);
    pipeDump.child.stdout!.pipe(liveR.child.stdin!);
    await Promise.all([
      procs.waitFor(tcpdump, /listening on lo/, 5000),
      procs.waitFor(pipeDump, /listening on lo/, 5000),
      procs.waitFor(live, /^proxytrace: capturing on lo \(EN10MB, snap length 65535\)/m, 5000),
      procs.waitFor(liveR, /^proxytrace: reading a capture from stdin/m, 5000),
    ]);

    // The traffic, about 3 s: the two tcp timeouts, meanwhile 6 requests balanced 1:2 (one at a
    // time, so roundrobin's choices are fixed), a Host the proxy denies, a server slower than
    // `timeout server` (504 sH), and a 3 MB response (loopback frames beyond cap's snap length).
    const httpClient = (name: string, host: string, req: string, ...more: string[]): Proc =>
      procs.start(name, process.execPath, [path.join(TOOLS, 'http-client.mjs'), '--src', CLIENT, '--dst', `${PROXY}:${HTTP_PORT}`, '--host', host, '--req', req, '--gap', '30', '--timeout', '5', ...more]);
    const done = async (c: Proc): Promise<void> => assert.equal((await procs.waitExit(c, 15_000)).code, 0, `${c.name}: ${c.stderr()}`);
    // timeout server 1s fires before the second byte: sD, the echo of 'b' dropped.
    const sdClient = procs.start('sD client', process.execPath, [path.join(TOOLS, 'slow-client.mjs'), '--src', CLIENT, '--dst', `${PROXY}:${TCP_SD_PORT}`, '--interval', '1.5', '--count', '2', '--linger', '0.5', '--max', '8']);
    // timeout client 1s fires before the second byte: cD, the late byte answered with RST.
    // Started 300 ms later: two look-alike sessions at the same instant could not be told apart.
    await sleep(300);
    const cdClient = procs.start('cD client', process.execPath, [path.join(TOOLS, 'slow-client.mjs'), '--src', CLIENT, '--dst', `${PROXY}:${TCP_CD_PORT}`, '--interval', '1.5', '--count', '2', '--linger', '0.5', '--max', '8']);
    await done(httpClient('http', 'live.test', 'GET /', '--repeat', '6'));
    await done(httpClient('wrong host', 'other.test', 'GET /'));
    // A client that waits for the proxy to close after its 504 (node's http client closes at once
    // on "Connection: close", racing HAProxy's own close; when the client's FIN comes first,
    // analyze may infer CH instead of sH depending on the timestamps).
    assert.match(await rawRequest(`GET /slow-headers?ms=1500 HTTP/1.1\r\nHost: live.test\r\n\r\n`, 5000), /^HTTP\/1\.[01] 504 /);
    await done(httpClient('big', 'live.test', 'GET /big?bytes=3000000'));
    await done(sdClient);
    await done(cdClient);
    await sleep(500);
    assert.equal(live.child.exitCode, null, `the traffic took longer than live's --duration ${LIVE_SECONDS}: raise LIVE_SECONDS`);
    procs.signal(tcpdump, 'SIGINT');
    procs.signal(pipeDump, 'SIGINT');
    await procs.waitExit(tcpdump, 5000);
    await procs.waitExit(pipeDump, 5000);
    const liveExit = await procs.waitExit(live, (LIVE_SECONDS + 15) * 1000);
    const liveRExit = await procs.waitExit(liveR, 15_000);
    procs.signal(haproxy, 'SIGUSR1');

    assert.equal(liveExit.code, 0, live.stderr());
    assert.match(live.stderr(), /^proxytrace: capture: \d+ packets in [\d.]+ s; 0 dropped \(queue full\); (\d+ cut by the snap length 65535 \(\d+ bytes missing\); )?stopped; written to /m);
    assert.equal(liveRExit.code, 0, liveR.stderr());
    assert.match(liveR.stderr(), /^proxytrace: capture: \d+ packets in [\d.]+ s; end of input$/m);

    // The reference: analyze on tcpdump's file.
    const ref = runCli(['analyze', tcpdumpPcap, '--haproxy-cfg', cfg, '--json']);
    assert.equal(ref.status, 0, ref.stderr);
    const refSessions = (JSON.parse(ref.out) as { sessions: SessionDoc[] }).sessions;

    // The scenario did what it should (else equal empty lists would prove nothing).
    const http = refSessions.filter((s) => s.mode === 'http').flatMap((s) => s.exchanges.map((e) => ({ server: e.serverLeg === null ? 'local' : s.serverLegs[e.serverLeg]!.name, term: e.haproxy?.termination, status: e.status })));
    // 6 GET / and the 3 MB one, roundrobin 1:2 over web1 and web2.
    assert.deepEqual(http.filter((x) => x.term === '--NI').map((x) => x.server).sort(), ['be_web/web1', 'be_web/web1', 'be_web/web2', 'be_web/web2', 'be_web/web2', 'be_web/web2', 'be_web/web2']);
    const others = http.filter((x) => x.term !== '--NI').map((x) => `${x.term} ${x.status} ${x.server}`).sort();
    assert.equal(others.length, 2, others.join(', '));
    assert.ok(others.includes('PR-- 403 local'), others.join(', '));
    assert.ok(others.some((o) => /^sHNN 504 be_web\/web[12]$/.test(o)), others.join(', '));
    const tcp = refSessions.filter((s) => s.mode === 'tcp');
    assert.deepEqual(tcp.map((s) => s.haproxy?.termination).sort(), ['cD', 'sD']);
    const sd = tcp.find((s) => s.haproxy?.termination === 'sD')!;
    assert.deepEqual(sd.drops.map((d) => `${d.direction} ${d.bytes} ${d.code}`), ['serverToClient 1 proxy_closed_other_side']);

    // live -i and live -r - report the same sessions.
    const expected = essentials(refSessions);
    assert.deepEqual(essentials(ndjson(live.stdout())), expected, 'live -i lo');
    assert.deepEqual(essentials(ndjson(liveR.stdout())), expected, 'tcpdump -w - | live -r -');

    // live's -w file: analyze finds exactly what live printed (same file, same timestamps) ...
    const again = runCli(['analyze', livePcap, '--haproxy-cfg', cfg, '--ndjson']);
    assert.equal(again.status, 0, again.stderr);
    assert.equal(again.out, live.stdout());
    // ... conns sees the connections of tcpdump's file, byte for byte ...
    // (the bytes cut by cap's snap length are missing there, and only those).
    const conns = (file: string): { list: unknown[]; missed: number } => {
      const r = runCli(['conns', file, '--json']);
      assert.equal(r.status, 0, r.stderr);
      type Each = { clientToServer: number; serverToClient: number };
      const doc = JSON.parse(r.out) as { connections: { client: string; server: string; bytes: Each; missedBytes: Each; state: string; packets: Each }[]; errors: string[] };
      assert.deepEqual(doc.errors, []);
      return {
        list: doc.connections.map((c) => ({ client: c.client, server: c.server, bytes: c.bytes, state: c.state, packets: c.packets })).sort((a, b) => (a.client < b.client ? -1 : 1)),
        missed: doc.connections.reduce((n, c) => n + c.missedBytes.clientToServer + c.missedBytes.serverToClient, 0),
      };
    };
    const liveConns = conns(livePcap);
    const refConns = conns(tcpdumpPcap);
    assert.equal(liveConns.list.length, 21, '9 client connections, 8 to the web servers, 2 + 2 tcp');
    assert.deepEqual(liveConns.list, refConns.list);
    assert.equal(refConns.missed, 0, 'tcpdump (-s 0) holds every byte');
    const cut = /; (\d+) cut by the snap length 65535 \((\d+) bytes missing\)/.exec(live.stderr());
    // The 3 MB response usually crosses loopback in frames larger than 65535 bytes (GSO); how
    // many depends on how the backend's writes were batched, so tcpdump's file is the truth.
    const big = framesOver(tcpdumpPcap, 65535);
    if (big.frames > 0) {
      assert.ok(cut, `tcpdump saw ${big.frames} frames over 65535 bytes: live must report them cut`);
      assert.equal(Number(cut[1]), big.frames);
      assert.equal(Number(cut[2]), big.bytes);
      // Every missing byte is a cut one (a cut frame sent twice is missing once).
      assert.ok(liveConns.missed > 0 && liveConns.missed <= big.bytes, `${liveConns.missed} missing, ${big.bytes} cut`);
    } else {
      assert.equal(cut, null, 'no frame over 65535 bytes, so nothing cut');
      assert.equal(liveConns.missed, 0);
    }
    // ... and tshark reads it: same conversations, same frames, link type and snap length from cap.
    const conv = (file: string): string[] => tshark(['-r', file, '-q', '-z', 'conv,tcp']).split('\n').filter((l) => l.includes('<->')).map((l) => l.trim().split(/\s+/).slice(0, 9).join(' ')).sort();
    assert.deepEqual(conv(livePcap), conv(tcpdumpPcap));
    const livePackets = Number(/capture: (\d+) packets/.exec(live.stderr())![1]);
    assert.equal(tshark(['-r', livePcap, '-T', 'fields', '-e', 'frame.number']).trim().split('\n').length, livePackets);
    const head = fs.readFileSync(livePcap).subarray(0, 24);
    assert.equal(head.readUInt32LE(0), 0xa1b2c3d4, 'microsecond pcap');
    assert.equal(head.readUInt32LE(16), 65535, 'snap length');
    assert.equal(head.readUInt32LE(20), 1, 'link type EN10MB');
  } finally {
    await procs.stopAll();
    if (process.env['KEEP_LIVE_DIR']) fs.cpSync(dir, process.env['KEEP_LIVE_DIR'], { recursive: true });
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
