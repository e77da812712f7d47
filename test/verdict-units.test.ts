/**
 * The verdict building blocks on crafted input: HAProxy's millisecond arithmetic, the HTX byte
 * sizes of its error messages, ACL replay, tcp termination states on synthetic legs, and the
 * log comparison's matching and tolerance.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Acl } from '../src/correlate/haproxy/config-types.js';
import { compareWithLog } from '../src/correlate/haproxy/compare-log.js';
import { parseHaproxyLogLine } from '../src/correlate/haproxy/log-line.js';
import { evaluateCondition } from '../src/correlate/haproxy/verdict-acl.js';
import { DEFAULT_ERROR_BYTES } from '../src/correlate/haproxy/verdict-bytes.js';
import { logDateMs, msElapsed } from '../src/correlate/haproxy/verdict-clock.js';
import { inferTcpVerdict } from '../src/correlate/haproxy/verdict-tcp.js';
import { findDrops } from '../src/correlate/drops.js';
import type { HttpRequest } from '../src/app/http/index.js';
import type { Leg, LegDirection, Session } from '../src/correlate/model.js';

describe('verdict-clock', () => {
  it('truncates seconds and microseconds separately, like tv_ms_elapsed', () => {
    assert.equal(msElapsed(10.000100, 10.002099), 1);
    assert.equal(msElapsed(29.656189, 51.688074), 22031);
    // 0.6 ms across a second boundary: 1000 + trunc(-999.4) = 1.
    assert.equal(msElapsed(1.9995, 2.0001), 1);
    assert.equal(msElapsed(5, 5), 0);
  });

  it('adds whole milliseconds to a truncated date', () => {
    assert.equal(logDateMs(1795247729.656999), 1795247729656);
    assert.equal(logDateMs(1795247729.656999, 2), 1795247729658);
  });
});

describe('verdict-bytes', () => {
  it('gives the bytes_read HAProxy logs for its own answers', () => {
    // Logged in the captures: 403 192 (http-roundrobin), 503 217 (http-server-down), 504 198 (failures).
    assert.equal(DEFAULT_ERROR_BYTES[403], 192);
    assert.equal(DEFAULT_ERROR_BYTES[503], 217);
    assert.equal(DEFAULT_ERROR_BYTES[504], 198);
  });
});

describe('verdict-acl', () => {
  const req = (host: string, target = '/'): HttpRequest => ({ headers: [['Host', host]], target, method: 'GET' }) as unknown as HttpRequest;
  const acls: Acl[] = [{ name: 'host_www', text: 'hdr(host) -i ww1.itnihao.cn', line: 1 }];

  it('replays named and anonymous ACLs, negation and or', () => {
    assert.equal(evaluateCondition('host_www', acls, req('WW1.itnihao.cn')), true);
    assert.equal(evaluateCondition('host_www', acls, req('www.example.com')), false);
    assert.equal(evaluateCondition('!host_www', acls, req('www.example.com')), true);
    assert.equal(evaluateCondition('{ hdr(host) -i abort.itnihao.cn }', acls, req('abort.itnihao.cn')), true);
    assert.equal(evaluateCondition('{ path_beg /api } || host_www', acls, req('x', '/api/v1')), true);
    assert.equal(evaluateCondition('{ path_beg /api } host_www', acls, req('x', '/api/v1')), false);
  });

  it('answers null when it cannot tell', () => {
    assert.equal(evaluateCondition('{ src 10.0.0.0/8 }', acls, req('x')), null);
    assert.equal(evaluateCondition('unknown_acl', acls, req('x')), null);
    assert.equal(evaluateCondition('host_www', acls, null), null);
  });
});

// ---------------------------------------------------------------- synthetic tcp sessions

function dir(o: Partial<LegDirection> = {}): LegDirection {
  return {
    bytes: 0, missedBytes: 0, retransmittedBytes: 0, chunks: [], acks: [], gaps: [], head: new Uint8Array(),
    firstDataTs: null, lastDataTs: null, finTs: null, rstTs: null, finOffset: null, ...o,
  };
}

/** A direction that carried `bytes` at `ts`, ACKed right after. */
function sent(bytes: number, ts: number, o: Partial<LegDirection> = {}): LegDirection {
  return dir({ bytes, chunks: [0, bytes, ts], acks: [bytes, ts + 0.0001], firstDataTs: ts, lastDataTs: ts, ...o });
}

function leg(id: string, client: string, server: string, syn: number, synAck: number | null, dirs: [LegDirection, LegDirection]): Leg {
  const [ca, cp] = client.split(':');
  const [sa, sp] = server.split(':');
  return {
    id, client, server, clientAddress: ca!, clientPort: Number(cp), serverAddress: sa!, serverPort: Number(sp),
    start: syn, end: syn + 1, state: 'SF', history: '', synTs: syn, synAckTs: synAck, establishedTs: synAck === null ? null : synAck + 0.00001,
    dirs, http: null, proxyProtocol: null, captures: [0],
  };
}

function session(client: Leg, servers: Leg[]): { s: Session; legs: Map<string, Leg> } {
  const s: Session = {
    id: client.id, mode: 'tcp', client: client.client, frontend: client.server, start: client.start, end: client.end,
    bytes: { clientToProxy: client.dirs[0].bytes, proxyToClient: client.dirs[1].bytes },
    serverLegs: servers.map((l) => ({
      leg: l.id, source: l.client, server: l.server, bytes: { proxyToServer: l.dirs[0].bytes, serverToProxy: l.dirs[1].bytes },
      proxyProtocol: null, evidence: ['timing'], confidence: 1,
    })),
    exchanges: [], haproxy: null, drops: [], ledger: [],
  };
  return { s, legs: new Map([client, ...servers].map((l) => [l.id, l])) };
}

const C = '10.0.0.1:40000';
const P = '10.0.0.2:9000';
const B = '10.0.0.2:50000';
const S = '10.0.0.3:7';

/** Client sends 10 bytes at t=100.010, server answers 20 at 100.020; closes as given. */
function exchange(closes: { client: Partial<LegDirection>; proxyToClient: Partial<LegDirection>; proxyToServer: Partial<LegDirection>; server: Partial<LegDirection> }) {
  const client = leg('c', C, P, 100, 100.0001, [sent(10, 100.010, closes.client), sent(20, 100.0201, closes.proxyToClient)]);
  const server = leg('s', B, S, 100.0003, 100.0004, [sent(10, 100.0102, closes.proxyToServer), sent(20, 100.020, closes.server)]);
  return session(client, [server]);
}

describe('inferTcpVerdict on synthetic legs', () => {
  it('FINs both ways: --, Tw 1, Tc 0, Tt to the proxy\'s last close, bytes sent to the client', () => {
    const { s, legs } = exchange({
      client: { finTs: 100.5 }, proxyToServer: { finTs: 100.5001 }, server: { finTs: 100.5002 }, proxyToClient: { finTs: 100.5003 },
    });
    const v = inferTcpVerdict(s, legs);
    assert.equal(v.termination, '--');
    assert.deepEqual(v.timers, { Tw: 1, Tc: 0, Tt: 500 });
    assert.equal(v.bytesRead, 20);
    const line = parseHaproxyLogLine(v.logLine);
    assert.ok(line.kind === 'tcp');
    assert.deepEqual([line.clientAddress, line.clientPort, line.frontend, line.backend, line.server], ['10.0.0.1', 40000, P, S, S]);
  });

  it('client RST: CD; server RST: SD', () => {
    const cd = exchange({ client: { rstTs: 100.3 }, proxyToServer: { rstTs: 100.3001 }, server: {}, proxyToClient: {} });
    assert.equal(inferTcpVerdict(cd.s, cd.legs).termination, 'CD');
    const sd = exchange({ client: {}, proxyToServer: {}, server: { rstTs: 100.3 }, proxyToClient: { rstTs: 100.3001 } });
    assert.equal(inferTcpVerdict(sd.s, sd.legs).termination, 'SD');
  });

  it('the proxy closing first is a timeout: toward the client = timeout server (sD), toward the server = timeout client (cD)', () => {
    const sD = exchange({ client: { finTs: 110 }, proxyToServer: { finTs: 110.0001 }, server: {}, proxyToClient: { finTs: 103.02 } });
    assert.equal(inferTcpVerdict(sD.s, sD.legs).termination, 'sD');
    const cD = exchange({ client: {}, proxyToServer: { finTs: 103.02 }, server: { finTs: 103.0201 }, proxyToClient: { finTs: 103.0202 } });
    assert.equal(inferTcpVerdict(cD.s, cD.legs).termination, 'cD');
  });

  it('refused connection attempts: SC, Tc -1, retries = attempts - 1', () => {
    const client = leg('c', C, P, 100, 100.0001, [sent(10, 100.01), dir({ finTs: 102.0 })]);
    const a1 = leg('a1', B, S, 100.0002, null, [dir(), dir({ rstTs: 100.00021 })]);
    const a2 = leg('a2', '10.0.0.2:50001', S, 101.0002, null, [dir(), dir({ rstTs: 101.00021 })]);
    const { s, legs } = session(client, [a1, a2]);
    const v = inferTcpVerdict(s, legs);
    assert.equal(v.termination, 'SC');
    assert.equal(v.timers.Tc, -1);
    assert.equal(v.bytesRead, 0);
    const line = parseHaproxyLogLine(v.logLine);
    assert.ok(line.kind === 'tcp');
    assert.equal(line.retries, 1);
  });
});

describe('findDrops on synthetic legs', () => {
  it('bytes ACKed after the proxy closed toward the server (timeout client) are dropped, with the idle time', () => {
    // 'a' at 100.010 forwarded; the proxy FINs the server at 103.0102; 'b' arrives at 104, is ACKed, never sent on.
    const c0 = dir({ bytes: 2, chunks: [0, 1, 100.010, 1, 1, 104], acks: [1, 100.0101, 2, 104.0001], firstDataTs: 100.010, lastDataTs: 104 });
    const client = leg('c', C, P, 100, 100.0001, [c0, sent(20, 100.0201)]);
    const server = leg('s', B, S, 100.0003, 100.0004, [sent(1, 100.0102, { finTs: 103.0202 }), sent(20, 100.020)]);
    const { s, legs } = session(client, [server]);
    const drops = findDrops(s, legs);
    assert.equal(drops.length, 1);
    assert.equal(drops[0]?.direction, 'clientToServer');
    assert.equal(drops[0]?.bytes, 1);
    assert.equal(drops[0]?.first, 104);
    assert.equal(drops[0]?.code, 'proxy_closed_other_side');
    assert.match(drops[0]?.cause ?? '', /timeout client \(3\.000 s without client traffic\)/);
  });

  it('bytes missing only from the capture, or retransmitted, are not drops', () => {
    // The server leg lacks 5 of the 10 bytes in the capture (not_captured: the server ACKed them).
    const gap = { offset: 2, length: 5, reason: 'not_captured' as const, ts: 100.0102 };
    const s0 = dir({ bytes: 10, chunks: [0, 2, 100.0102, 7, 3, 100.0103], acks: [10, 100.0104], gaps: [gap], missedBytes: 5, firstDataTs: 100.0102, lastDataTs: 100.0103 });
    const client = leg('c', C, P, 100, 100.0001, [sent(10, 100.010, { retransmittedBytes: 10 }), sent(20, 100.0201)]);
    const server = leg('s', B, S, 100.0003, 100.0004, [s0, sent(20, 100.020)]);
    const { s, legs } = session(client, [server]);
    assert.deepEqual(findDrops(s, legs), []);
  });
});

// ---------------------------------------------------------------- compare-log

describe('compareWithLog', () => {
  const logged = [
    '127.0.0.90:1000 [21/Nov/2026:07:55:22.826] fe be/web2 0/0/0/2/2 200 209 - - --NI 1/1/0/0/0 0/0 "GET / HTTP/1.1"',
    '127.0.0.90:1001 [21/Nov/2026:07:55:29.656] fe_tcp be_echo/echo 1/0/22031 1 sD 1/1/0/0/0 0/0',
  ].map((l) => parseHaproxyLogLine(l));
  const verdict = (logLine: string) => ({ termination: '', timers: { Tw: 0, Tc: 0, Tt: 0 }, bytesRead: 0, logLine });

  it('matches by client and date, and lists agreeing and differing fields (timers within 1 ms)', () => {
    const c = compareWithLog([
      verdict('127.0.0.90:1001 [21/Nov/2026:07:55:29.657] fe_tcp be_echo/echo 1/1/22032 1 cD 9/9/9/9/0 0/0'),
      verdict('127.0.0.90:1000 [21/Nov/2026:07:55:22.826] fe be/web1 0/0/0/4/2 200 209 - - --NI 1/1/0/0/0 0/0 "GET / HTTP/1.1"'),
    ], logged);
    assert.equal(c.unmatched.length, 0);
    const [http, tcp] = c.lines;
    assert.deepEqual(http?.differ, [{ field: 'server', logged: 'web2', inferred: 'web1' }, { field: 'Tr', logged: 2, inferred: 4 }]);
    assert.ok(http?.agree.includes('termination') && http.agree.includes('bytesRead') && http.agree.includes('Ta'));
    assert.deepEqual(tcp?.differ, [{ field: 'termination', logged: 'sD', inferred: 'cD' }]);
  });

  it('a timer never reached (-1) must agree exactly; other clients or far dates do not match', () => {
    const c = compareWithLog([
      verdict('127.0.0.90:1000 [21/Nov/2026:07:55:22.826] fe be/web2 0/0/0/-1/2 200 209 - - --NI 1/1/0/0/0 0/0 "GET / HTTP/1.1"'),
      verdict('127.0.0.91:1001 [21/Nov/2026:07:55:29.656] fe_tcp be_echo/echo 1/0/22031 1 sD 1/1/0/0/0 0/0'),
      verdict('127.0.0.90:1001 [21/Nov/2026:07:56:29.656] fe_tcp be_echo/echo 1/0/22031 1 sD 1/1/0/0/0 0/0'),
    ], logged);
    assert.deepEqual(c.lines[0]?.differ, [{ field: 'Tr', logged: 2, inferred: -1 }]);
    assert.equal(c.lines[1]?.inferred, null);
    assert.equal(c.unmatched.length, 2);
  });

  it('keep-alive requests of one client a ms apart pair in request order, not crosswise by nearest date', () => {
    // As on bench.pcap: HAProxy dates the second request 1 ms after the first; the capture's
    // dates are both .282. Nearest date first would pair line 2 with verdict 1 and leave line 1
    // to verdict 2: two "wrong server" lines out of two right ones.
    const ka = [
      '127.0.0.91:36237 [21/Nov/2026:07:57:25.281] fe_http be_web/web1 0/0/0/0/0 200 228 - - ---- 32/32/31/2/0 0/0 "GET /index.html HTTP/1.1"',
      '127.0.0.91:36237 [21/Nov/2026:07:57:25.282] fe_http be_web/web2 0/0/0/1/1 200 228 - - ---- 32/32/30/30/0 0/0 "GET /index.html HTTP/1.1"',
    ].map((l) => parseHaproxyLogLine(l));
    const c = compareWithLog([
      verdict('127.0.0.91:36237 [21/Nov/2026:07:57:25.282] fe_http be_web/web1 0/0/0/0/0 200 228 - - ---- 1/1/0/0/0 0/0 "GET /index.html HTTP/1.1"'),
      verdict('127.0.0.91:36237 [21/Nov/2026:07:57:25.282] fe_http be_web/web2 0/0/0/1/1 200 228 - - ---- 1/1/0/0/0 0/0 "GET /index.html HTTP/1.1"'),
    ], ka);
    assert.deepEqual(c.lines.map((l) => l.differ), [[], []]);
    assert.equal(c.unmatched.length, 0);
  });
});
