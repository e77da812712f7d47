/**
 * HAProxy 2.6 log lines: real lines of captures/∗/haproxy.log, plus lines written by HAProxy
 * 2.6.12 itself for the variants the captures lack (every "log ... format", header captures,
 * logasap, redispatch, SSL frontends, bad requests, connection errors). Round trip: parse then
 * format gives back every traffic line byte for byte.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import {
  formatHttpLog, formatTcpLog, parseHaproxyLogLine, terminationParts,
  type EventLogLine, type HaproxyLogLine, type HttpLogLine, type TcpLogLine,
} from '../src/correlate/haproxy/log-line.js';
import { ROOT } from './helpers/tools.js';

function logLines(scenario: string, file = 'haproxy.log'): string[] {
  return fs.readFileSync(path.join(ROOT, 'captures', scenario, file), 'utf8').split('\n').filter((l) => l !== '');
}
function http(p: HaproxyLogLine): HttpLogLine {
  assert.equal(p.kind, 'http', p.raw);
  return p as HttpLogLine;
}
function tcp(p: HaproxyLogLine): TcpLogLine {
  assert.equal(p.kind, 'tcp', p.raw);
  return p as TcpLogLine;
}
function event(p: HaproxyLogLine): EventLogLine {
  assert.equal(p.kind, 'event', p.raw);
  return p as EventLogLine;
}
const utc = (d: number, h: number, m: number, s: number, ms: number): number => Date.UTC(2026, 10, d, h, m, s, ms);

describe('round trip on every captures/*/haproxy.log line', () => {
  it('parse then format gives the line back; nothing is unknown', () => {
    // The committed scenarios (8), plus bench when its large, gitignored log was made here.
    const scenarios = fs.readdirSync(path.join(ROOT, 'captures')).filter((d) => fs.existsSync(path.join(ROOT, 'captures', d, 'haproxy.log')));
    assert.ok(scenarios.length >= 8, scenarios.join(', '));
    let traffic = 0;
    for (const s of scenarios) {
      for (const line of logLines(s)) {
        const p = parseHaproxyLogLine(line);
        assert.notEqual(p.kind, 'unknown', `${s}: ${line}`);
        assert.equal(p.raw, line);
        if (p.kind === 'http') assert.equal(formatHttpLog(p), line, s);
        if (p.kind === 'tcp') assert.equal(formatTcpLog(p), line, s);
        if (p.kind === 'http' || p.kind === 'tcp') traffic++;
      }
    }
    // 70 traffic lines in the committed logs (the bench log, when present, adds ~170 000).
    assert.ok(traffic >= 70, `${traffic} traffic lines`);
  });
});

describe('captures/http-roundrobin/haproxy.log', () => {
  const lines = logLines('http-roundrobin').map((l) => parseHaproxyLogLine(l));

  it('a balanced request, every field', () => {
    const { raw: _raw, ...fields } = http(lines[2]!);
    assert.deepEqual(fields, {
      kind: 'http', syslog: null, clientAddress: '127.0.0.90', clientPort: 37827, acceptDate: utc(21, 7, 55, 22, 826), utcOffsetMinutes: 0,
      frontend: 'fe_http', frontendSsl: false, backend: 'be_web', server: 'web2',
      timers: { TR: 0, Tw: 0, Tc: 0, Tr: 2, Ta: 2 }, logasap: false, status: 200, bytesRead: 209, bytesReadPartial: false,
      capturedRequestCookie: '-', capturedResponseCookie: '-', termination: '--NI',
      actconn: 1, feconn: 1, beconn: 0, srvConn: 0, retries: 0, redispatched: false, srvQueue: 0, backendQueue: 0,
      requestHeaders: null, responseHeaders: null, requestLine: 'GET / HTTP/1.1', requestLineTruncated: false,
    });
    // --NI: no cookie from the client, the proxy inserted one ("cookie SERVERID insert").
    assert.deepEqual(terminationParts('--NI'), { cause: '-', state: '-', cookieChars: 'NI' });
  });

  it('weights 1:2 → web1 4, web2 8; the wrong Host is denied without a server', () => {
    const reqs = lines.filter((p) => p.kind === 'http').map(http);
    assert.equal(reqs.length, 13);
    const count = (s: string): number => reqs.filter((r) => r.server === s).length;
    assert.deepEqual([count('web1'), count('web2')], [4, 8]);
    const deny = reqs[12]!;
    assert.deepEqual(
      [deny.clientPort, deny.backend, deny.server, deny.timers, deny.status, deny.bytesRead, deny.termination],
      [36475, 'be_deny', '<NOSRV>', { TR: 0, Tw: -1, Tc: -1, Tr: -1, Ta: 0 }, 403, 192, 'PR--'],
    );
  });

  it('health checks and the soft stop are events', () => {
    const check = event(lines[0]!);
    assert.deepEqual([check.event, check.proxy, check.server, check.result, check.state], ['health-check', 'be_web', 'web1', 'succeeded', 'UP']);
    const stop = event(lines[15]!);
    assert.deepEqual([stop.event, stop.proxy], ['proxy-stopped', 'fe_http']);
    assert.deepEqual([event(lines[18]!).event, event(lines[18]!).proxy], ['proxy-stopped', '<HTTPCLIENT>']);
  });
});

describe('tcplog captures', () => {
  it('tcp-timeout-server: sD after 22 s, 1 byte back', () => {
    const { raw: _raw, ...f } = tcp(parseHaproxyLogLine(logLines('tcp-timeout-server')[0]!));
    assert.deepEqual(f, {
      kind: 'tcp', syslog: null, clientAddress: '127.0.0.90', clientPort: 34821, acceptDate: utc(21, 7, 55, 29, 656), utcOffsetMinutes: 0,
      frontend: 'fe_tcp', frontendSsl: false, backend: 'be_echo', server: 'echo', timers: { Tw: 1, Tc: 0, Tt: 22031 }, logasap: false,
      bytesRead: 1, bytesReadPartial: false, termination: 'sD',
      actconn: 1, feconn: 1, beconn: 0, srvConn: 0, retries: 0, redispatched: false, srvQueue: 0, backendQueue: 0,
    });
    assert.deepEqual(terminationParts(f.termination), { cause: 's', state: 'D', cookieChars: null });
  });

  it('tcp-timeout-client: cD after the 3 s client timeout', () => {
    const f = tcp(parseHaproxyLogLine(logLines('tcp-timeout-client')[0]!));
    assert.deepEqual([f.clientPort, f.acceptDate, f.timers, f.bytesRead, f.termination], [42851, utc(21, 7, 55, 54, 528), { Tw: 1, Tc: 0, Tt: 3005 }, 1, 'cD']);
    assert.equal(terminationParts(f.termination).cause, 'c');
  });
});

describe('captures/http-server-down/haproxy.log', () => {
  const lines = logLines('http-server-down').map((l) => parseHaproxyLogLine(l));

  it('the check fails, the server goes DOWN, the backend has no server left', () => {
    const check = event(lines[0]!);
    assert.deepEqual([check.event, check.proxy, check.server, check.result, check.state], ['health-check', 'be_web', 'web1', 'failed', 'DOWN']);
    const down = event(lines[1]!);
    assert.deepEqual([down.event, down.proxy, down.server, down.state], ['server-state', 'be_web', 'web1', 'DOWN']);
    const none = event(lines[2]!);
    assert.deepEqual([none.event, none.proxy], ['no-server', 'be_web']);
  });

  it('503 SC-- with <NOSRV>, and 2 retries on the backend without checks', () => {
    const nosrv = http(lines[3]!);
    assert.deepEqual([nosrv.server, nosrv.timers, nosrv.status, nosrv.bytesRead, nosrv.termination], ['<NOSRV>', { TR: 0, Tw: -1, Tc: -1, Tr: -1, Ta: 0 }, 503, 217, 'SC--']);
    const retried = http(lines[4]!);
    assert.deepEqual(
      [retried.backend, retried.server, retried.timers, retried.termination, retried.retries, retried.redispatched],
      ['be_nocheck', 'web1nc', { TR: 0, Tw: 0, Tc: -1, Tr: -1, Ta: 2005 }, 'SC--', 2, false],
    );
  });

  it('the same events from haproxy.stderr, with their "[LEVEL] (pid) :" prefix', () => {
    const err = logLines('http-server-down', 'haproxy.stderr').map((l) => parseHaproxyLogLine(l));
    const none = event(err[2]!);
    assert.deepEqual([none.event, none.proxy, none.syslog?.format, none.syslog?.level, none.syslog?.pid], ['no-server', 'be_web', 'stderr', 'ALERT', 20673]);
    assert.deepEqual(err.map((p) => (p as EventLogLine).event), ['health-check', 'server-state', 'no-server', 'proxy-stopped', 'proxy-stopped', 'proxy-stopped', 'proxy-stopped']);
  });
});

describe('captures/failures/haproxy.log', () => {
  it('status -1 on a client abort, 504 sH-- on a server timeout', () => {
    const lines = logLines('failures').map((l) => parseHaproxyLogLine(l));
    const abort = http(lines[5]!);
    assert.deepEqual([abort.status, abort.bytesRead, abort.termination, abort.timers.Tr, abort.requestLine], [-1, 0, 'CD--', -1, 'POST /upload HTTP/1.1']);
    const timeout = http(lines[2]!);
    assert.deepEqual([timeout.status, timeout.termination, timeout.timers.Ta, timeout.requestLine], [504, 'sH--', 2001, 'GET /slow-headers?ms=4000 HTTP/1.1']);
  });
});

/** One request as HAProxy 2.6.12 logged it with each "log stdout format <f>" (same stream). */
const SAME_LINE = '127.0.0.1:54026 [21/Nov/2026:08:00:02.518] fe1 be1/s1 0/0/0/3/3 200 145 SID=xyz SID=abc123 ---- 1/1/0/0/0 0/0 {127.0.0.1:18080|Mozilla/5.0 (X11; #22quoted#22 #7Bx#7D} {b18090} "GET /a%20b?q=#22x#22 HTTP/1.1"';
const FORMATS: [string, string, Partial<Record<string, unknown>>][] = [
  ['raw', '', {}],
  ['rfc3164', '<134>Nov 21 08:00:02 localhost haproxy[28321]: ', { format: 'rfc3164', priority: 134, facility: 16, severity: 6, host: 'localhost', tag: 'haproxy', pid: 28321, timestamp: 'Nov 21 08:00:02' }],
  ['local', '<134>Nov 21 08:00:02 haproxy[28321]: ', { format: 'rfc3164', host: null, tag: 'haproxy', pid: 28321 }],
  ['rfc5424', '<134>1 2026-11-21T08:00:02.522005+00:00 - haproxy 28321 - - ', { format: 'rfc5424', host: null, tag: 'haproxy', pid: 28321, timestamp: '2026-11-21T08:00:02.522005+00:00' }],
  ['short', '<6>', { format: 'priority', priority: 6, severity: 6 }],
  ['priority', '<134>', { format: 'priority', priority: 134 }],
  ['timed', '<6>2026-11-21T08:00:02.522027+00:00 ', { format: 'timed', priority: 6, timestamp: '2026-11-21T08:00:02.522027+00:00' }],
  ['iso', '2026-11-21T08:00:02.522028+00:00 ', { format: 'iso', priority: null }],
  ['syslog file', 'Nov 21 08:00:02 lb1 haproxy[123]: ', { format: 'rfc3164', priority: null, host: 'lb1', pid: 123 }],
];

describe('lines written by HAProxy 2.6.12', () => {
  it('every "log ... format": the prefix is stripped, kept, and put back', () => {
    const plain = http(parseHaproxyLogLine(SAME_LINE));
    for (const [name, prefix, expected] of FORMATS) {
      const p = http(parseHaproxyLogLine(prefix + SAME_LINE));
      assert.equal(formatHttpLog(p), prefix + SAME_LINE, name);
      assert.deepEqual({ ...p, syslog: null, raw: '' }, { ...plain, raw: '' }, name);
      if (prefix === '') assert.equal(p.syslog, null);
      else assert.equal(p.syslog?.text, prefix, name);
      for (const [k, v] of Object.entries(expected)) assert.deepEqual((p.syslog as unknown as Record<string, unknown>)[k], v, `${name} ${k}`);
    }
  });

  it('captured cookies and headers, spaces and #XX encoding included', () => {
    const p = http(parseHaproxyLogLine(SAME_LINE));
    assert.deepEqual([p.capturedRequestCookie, p.capturedResponseCookie], ['SID=xyz', 'SID=abc123']);
    assert.deepEqual(p.requestHeaders, ['127.0.0.1:18080', 'Mozilla/5.0 (X11; #22quoted#22 #7Bx#7D']);
    assert.deepEqual(p.responseHeaders, ['b18090']);
    assert.equal(p.requestLine, 'GET /a%20b?q=#22x#22 HTTP/1.1');
    // A lone block is the request's unless the configuration says only responses are captured.
    const one = '127.0.0.1:41436 [21/Nov/2026:08:00:02.527] fe2 be2/s1 0/0/0/3/+3 200 +145 - - ---- 1/1/1/1/+1 0/0 {b18090} "GET / HTTP/1.1"';
    assert.deepEqual(http(parseHaproxyLogLine(one)).requestHeaders, ['b18090']);
    const resp = http(parseHaproxyLogLine(one, { captures: { request: false, response: true } }));
    assert.deepEqual([resp.requestHeaders, resp.responseHeaders], [null, ['b18090']]);
    assert.equal(formatHttpLog(resp), one);
  });

  it('logasap (+Ta, +bytes) and a redispatch (+retries)', () => {
    const line = '127.0.0.1:41436 [21/Nov/2026:08:00:02.527] fe2 be2/s1 0/0/0/3/+3 200 +145 - - ---- 1/1/1/1/+1 0/0 {b18090} "GET / HTTP/1.1"';
    const p = http(parseHaproxyLogLine(line));
    assert.deepEqual([p.logasap, p.timers.Ta, p.bytesReadPartial, p.bytesRead, p.redispatched, p.retries], [true, 3, true, 145, true, 1]);
    const t = tcp(parseHaproxyLogLine('127.0.0.1:33536 [21/Nov/2026:08:00:02.547] fe3 be3/s1 1/0/+0 +0 -- 1/1/1/1/0 0/0'));
    assert.deepEqual([t.logasap, t.timers, t.bytesReadPartial, t.termination], [true, { Tw: 1, Tc: 0, Tt: 0 }, true, '--']);
    assert.equal(formatTcpLog(t), t.raw);
  });

  it('SSL frontends carry a "~"', () => {
    const h = http(parseHaproxyLogLine('127.0.0.1:34806 [21/Nov/2026:08:09:45.980] fs~ b/s 0/0/0/4/4 200 145 - - ---- 1/1/0/0/0 0/0 "GET /s HTTP/1.1"'));
    assert.deepEqual([h.frontend, h.frontendSsl, h.backend], ['fs', true, 'b']);
    assert.equal(formatHttpLog(h), h.raw);
    const t = tcp(parseHaproxyLogLine('127.0.0.1:46478 [21/Nov/2026:08:09:45.991] ft~ bt/s 3/0/5 174 -- 1/1/0/0/0 0/0'));
    assert.deepEqual([t.frontend, t.frontendSsl, t.bytesRead], ['ft', true, 174]);
    assert.equal(formatTcpLog(t), t.raw);
  });

  it('IPv6 clients, bad requests, request timeouts, PROXY-protocol clients, refused servers', () => {
    const v6 = http(parseHaproxyLogLine('::1:51520 [21/Nov/2026:08:00:19.290] fe6 be1/s1 0/0/0/12/12 200 145 - - ---- 1/1/0/0/0 0/0 "GET /v6 HTTP/1.1"'));
    assert.deepEqual([v6.clientAddress, v6.clientPort], ['::1', 51520]);
    const bad = http(parseHaproxyLogLine('::1:51522 [21/Nov/2026:08:00:19.411] fe6 fe6/<NOSRV> -1/-1/-1/-1/0 400 0 - - PR-- 1/1/0/0/0 0/0 "<BADREQ>"'));
    assert.deepEqual([bad.backend, bad.timers.TR, bad.status, bad.requestLine], ['fe6', -1, 400, '<BADREQ>']);
    const slow = http(parseHaproxyLogLine('::1:51526 [21/Nov/2026:08:00:19.604] fe6 fe6/<NOSRV> -1/-1/-1/-1/1001 408 0 - - cR-- 1/1/0/0/0 0/0 "<BADREQ>"'));
    assert.deepEqual([slow.status, slow.termination, slow.timers.Ta], [408, 'cR--', 1001]);
    const pp = http(parseHaproxyLogLine('1.2.3.4:1111 [21/Nov/2026:08:00:20.681] fe6 be1/s1 0/0/0/2/2 200 110 - - ---- 1/1/0/0/0 0/0 "GET /pp HTTP/1.0"'));
    assert.deepEqual([pp.clientAddress, pp.clientPort], ['1.2.3.4', 1111]); // the address the PROXY header announced
    const refused = tcp(parseHaproxyLogLine('127.0.0.1:47810 [21/Nov/2026:08:00:20.829] fe7 be7/dead 1/-1/605 0 SC 1/1/0/0/3 0/0'));
    assert.deepEqual([refused.timers, refused.termination, refused.retries], [{ Tw: 1, Tc: -1, Tt: 605 }, 'SC', 3]);
    for (const p of [v6, bad, slow, pp]) assert.equal(formatHttpLog(p), p.raw);
  });

  it('connection errors (error log format, 8.2.5) are events', () => {
    const e = event(parseHaproxyLogLine('127.0.0.1:58604 [21/Nov/2026:08:00:20.767] fe6/2: Truncated PROXY protocol header received'));
    assert.deepEqual([e.event, e.proxy, e.clientAddress, e.clientPort, e.date], ['connection-error', 'fe6', '127.0.0.1', 58604, utc(21, 8, 0, 20, 767)]);
  });
});

describe('details', () => {
  it('dates are UTC unless an offset is given; formatting uses the same offset', () => {
    const line = '127.0.0.90:42851 [21/Nov/2026:07:55:54.528] fe_tcp be_echo/echo 1/0/3005 1 cD 1/1/0/0/0 0/0';
    const paris = tcp(parseHaproxyLogLine(line, { utcOffsetMinutes: 60 }));
    assert.equal(paris.acceptDate, utc(21, 6, 55, 54, 528));
    assert.equal(formatTcpLog(paris), line);
    const ny = tcp(parseHaproxyLogLine(line.replace('21/Nov/2026:07', '01/Jan/2027:03'), { utcOffsetMinutes: -300 }));
    assert.equal(ny.acceptDate, Date.UTC(2027, 0, 1, 8, 55, 54, 528));
    assert.equal(formatTcpLog(ny), ny.raw);
  });

  it('a request line cut at the log length limit has no closing quote', () => {
    const line = `127.0.0.90:1 [21/Nov/2026:07:55:54.528] fe be/s 0/0/0/1/1 200 10 - - ---- 1/1/0/0/0 0/0 "GET /${'a'.repeat(50)}`;
    const p = http(parseHaproxyLogLine(line));
    assert.deepEqual([p.requestLineTruncated, p.requestLine.length], [true, 55]);
    assert.equal(formatHttpLog(p), line);
  });

  it('the brief\'s syslog example, agent checks, maintenance, soft-stop variants', () => {
    const p = event(parseHaproxyLogLine('<134>Nov 21 07:44:26 haproxy[123]: Server be_web/web2 is going DOWN for maintenance. 1 active and 0 backup servers left.'));
    assert.deepEqual([p.event, p.server, p.state, p.syslog?.pid], ['server-state', 'web2', 'MAINT', 123]);
    const up = event(parseHaproxyLogLine('Server be_web/web1 is UP, reason: Layer7 check passed, code: 200, check duration: 1ms. 2 active and 0 backup servers online.'));
    assert.deepEqual([up.event, up.state], ['server-state', 'UP']);
    const agent = event(parseHaproxyLogLine('Agent check for server be/s1 failed, reason: Layer4 timeout, check duration: 2001ms, status: 0/1 DOWN.'));
    assert.deepEqual([agent.event, agent.result, agent.state], ['agent-check', 'failed', 'DOWN']);
    assert.equal(event(parseHaproxyLogLine('Proxy fe_http started.')).event, 'proxy-started');
    assert.deepEqual([event(parseHaproxyLogLine('Stopping frontend fe_http in 0 ms.')).event, event(parseHaproxyLogLine('Stopping frontend fe_http in 0 ms.')).proxy], ['proxy-stopping', 'fe_http']);
    const connect = event(parseHaproxyLogLine('Connect from 10.0.1.2:33312 to 10.0.3.31:8012 (www/HTTP)'));
    assert.deepEqual([connect.event, connect.proxy, connect.clientAddress, connect.clientPort], ['connect', 'www', '10.0.1.2', 33312]);
  });

  it('anything else is unknown, never an exception', () => {
    for (const line of ['', 'garbage', '127.0.0.1:1 [bad date] fe be/s 0/0/0/1/1 200 10 - - ---- 1/1/0/0/0 0/0 "GET /"', '127.0.0.90:1 [21/Nov/2026:07:55:54.528] fe be/s 0/0/0/1/1 200 10 - - ---- 1/1/0/0/0 0/0', '<999>x']) {
      assert.equal(parseHaproxyLogLine(line).kind, 'unknown', line);
    }
    // A CRLF-terminated file still round-trips (the CR is not part of the request line).
    const crlf = http(parseHaproxyLogLine(`${SAME_LINE}\r`));
    assert.equal(crlf.requestLine, 'GET /a%20b?q=#22x#22 HTTP/1.1');
  });
});
