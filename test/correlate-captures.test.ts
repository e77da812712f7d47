/**
 * correlate() on every committed capture, against the scenario's own ground truth: HAProxy's
 * log (which server took each client connection's requests), nginx's access log, haproxy.cfg
 * (server addresses) and the verdicts listed in each README.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { correlate, type CorrelateResult } from '../src/correlate/correlate.js';
import { parseHaproxyConfig } from '../src/correlate/haproxy/config.js';
import { parseHaproxyLogLine } from '../src/correlate/haproxy/log-line.js';
import { LegCollector } from '../src/correlate/leg-collector.js';
import type { Exchange, Leg, Session } from '../src/correlate/model.js';
import { runPipeline } from '../src/pipeline.js';

const WEB1 = '127.0.0.2:80';
const WEB2 = '127.0.0.3:80';
const ECHO = '127.0.0.4:7';

async function legsOf(name: string): Promise<Leg[]> {
  const legs: Leg[] = [];
  const r = await runPipeline({ files: [`captures/${name}/capture.pcap`], handler: new LegCollector((l) => legs.push(l)) });
  assert.deepEqual(r.errors, []);
  return legs;
}

async function run(name: string, proxies?: string[]): Promise<CorrelateResult & { legs: Leg[] }> {
  const legs = await legsOf(name);
  const result = correlate(legs, proxies ? { proxies } : {});
  // Plain data all the way down.
  assert.doesNotThrow(() => JSON.stringify(result));
  return { ...result, legs };
}

/** The server endpoint that carried an exchange ('local' when the proxy answered without one). */
function serverOf(s: Session, e: Exchange): string {
  if (e.serverLeg === null) return 'local';
  return s.serverLegs[e.serverLeg]!.server;
}

/** haproxy.log traffic lines per client endpoint, in request order, as server endpoints via haproxy.cfg. */
function haproxyTruth(name: string): Map<string, { server: string; status: number; request: string }[]> {
  const cfg = parseHaproxyConfig(readFileSync(`captures/${name}/haproxy.cfg`, 'utf8'), 'haproxy.cfg');
  const byName = new Map<string, string>();
  for (const p of cfg.proxies) for (const s of p.servers) byName.set(`${p.name}/${s.name}`, `${s.address}:${s.port}`);
  const lines: { client: string; date: number; server: string; status: number; request: string }[] = [];
  for (const raw of readFileSync(`captures/${name}/haproxy.log`, 'utf8').split('\n')) {
    const l = parseHaproxyLogLine(raw);
    if (l.kind !== 'http') continue;
    lines.push({
      client: `${l.clientAddress}:${l.clientPort}`, date: l.acceptDate,
      server: byName.get(`${l.backend}/${l.server}`) ?? 'local', status: l.status, request: l.requestLine,
    });
  }
  lines.sort((a, b) => a.date - b.date);
  const out = new Map<string, { server: string; status: number; request: string }[]>();
  for (const l of lines) out.set(l.client, [...(out.get(l.client) ?? []), { server: l.server, status: l.status, request: l.request }]);
  return out;
}

/** Every exchange's server and request line equal HAProxy's log for that client connection. */
function assertServersMatchLog(r: CorrelateResult, name: string): number {
  const truth = haproxyTruth(name);
  let n = 0;
  for (const s of r.sessions) {
    const want = truth.get(s.client) ?? [];
    assert.equal(s.exchanges.length, want.length, `${s.client}: exchanges vs log lines`);
    s.exchanges.forEach((e, i) => {
      assert.equal(serverOf(s, e), want[i]!.server, `${s.client} #${i} ${e.method} ${e.target}`);
      assert.equal(`${e.method} ${e.target} HTTP/1.1`, want[i]!.request);
      n++;
    });
  }
  return n;
}

function sessionsUsing(r: CorrelateResult, legId: string): Session[] {
  return r.sessions.filter((s) => s.serverLegs.some((l) => l.leg === legId));
}

test('http-roundrobin: 13 sessions, servers as logged, 403 answered locally, XFF added, 8 health checks', async () => {
  const r = await run('http-roundrobin');
  assert.deepEqual(r.proxies, [{ addresses: ['127.0.0.22'], listeners: ['127.0.0.22:80'] }]);
  assert.equal(r.sessions.length, 13);
  assert.equal(assertServersMatchLog(r, 'http-roundrobin'), 13);

  const counts = { [WEB1]: 0, [WEB2]: 0 } as Record<string, number>;
  for (const s of r.sessions) {
    assert.equal(s.mode, 'http');
    assert.equal(s.frontend, '127.0.0.22:80');
    assert.equal(s.exchanges.length, 1);
    const e = s.exchanges[0]!;
    if (e.status === 403) {
      // Wrong Host: denied by HAProxy itself, no server-side connection.
      assert.equal(e.answeredLocally, true);
      assert.equal(e.serverLeg, null);
      assert.deepEqual(s.serverLegs, []);
      assert.equal(e.rewrites.request, null);
      continue;
    }
    assert.equal(e.status, 200);
    assert.equal(e.answeredLocally, false);
    assert.equal(s.serverLegs.length, 1);
    const leg = s.serverLegs[0]!;
    counts[leg.server] = (counts[leg.server] ?? 0) + 1;
    assert.equal(leg.source.startsWith('127.0.0.22:'), true);
    assert.ok(leg.evidence.includes('request') && leg.evidence.includes('forwarded-for') && leg.evidence.includes('timing'));
    assert.ok(leg.confidence >= 0.9);
    assert.deepEqual(leg.bytes, { proxyToServer: 122, serverToProxy: 229 });
    assert.ok(e.forwardedAt! >= e.requestHeadersDone!);
    assert.ok(e.responseHeadersAt! <= e.responseEnd!);
    const req = e.rewrites.request!;
    assert.deepEqual(req.added, [['x-forwarded-for', '127.0.0.90']]);
    assert.deepEqual(req.removed, []);
    assert.deepEqual(req.changed, []);
    // HAProxy 2.6 lower-cases names: a case change, not a value change.
    assert.deepEqual(req.caseChanged, [['Host', 'host'], ['User-Agent', 'user-agent'], ['Connection', 'connection']]);
    assert.equal(req.requestLine, null);
    assert.equal(req.body, 'same');
    const resp = e.rewrites.response!;
    const name = leg.server === WEB1 ? 'web1' : 'web2';
    assert.deepEqual(resp.added, [['set-cookie', `SERVERID=${name}; path=/`]]);
    assert.equal(resp.body, 'same');
    // Ledger: the header block and the body of both messages.
    assert.deepEqual(s.ledger.map((l) => [l.direction, l.part]), [['clientToServer', 'headers'], ['serverToClient', 'headers'], ['serverToClient', 'body']]);
    for (const l of s.ledger) assert.ok(l.departed >= l.arrived);
  }
  assert.deepEqual(counts, { [WEB1]: 4, [WEB2]: 8 });

  // The checks: option httpchk's request, from the proxy, unpaired with any client.
  assert.equal(r.serverOnlyConnections.length, 8);
  for (const o of r.serverOnlyConnections) {
    assert.equal(o.kind, 'health-check');
    assert.equal(o.request, 'GET /index.html HTTP/1.0');
    assert.ok(o.source.startsWith('127.0.0.22:'));
    assert.ok(o.server === WEB1 || o.server === WEB2);
  }
  // Every leg accounted for: 13 client legs + 12 server legs + 8 checks.
  assert.equal(r.legs.length, 13 + 12 + 8);
});

test('http-keepalive: each client connection has its 8 requests on one server connection', async () => {
  const r = await run('http-keepalive');
  assert.deepEqual(r.proxies, [{ addresses: ['127.0.0.22'], listeners: ['127.0.0.22:80'] }]);
  assert.equal(r.sessions.length, 2);
  assert.equal(assertServersMatchLog(r, 'http-keepalive'), 16);
  const want = { '127.0.0.90': WEB1, '127.0.0.91': WEB2 } as Record<string, string>;
  for (const s of r.sessions) {
    const addr = s.client.split(':')[0]!;
    assert.deepEqual(s.exchanges.map((e) => `${e.method} ${e.target}`), [
      'GET /', 'POST /upload', 'GET /chunked', 'GET /index.html', 'GET /', 'POST /upload', 'GET /chunked', 'GET /index.html',
    ]);
    assert.equal(s.serverLegs.length, 1);
    assert.equal(s.serverLegs[0]!.server, want[addr]);
    assert.ok(s.exchanges.every((e) => e.serverLeg === 0 && e.status === 200 && !e.answeredLocally));
    for (const e of s.exchanges) {
      assert.deepEqual(e.rewrites.request!.added, [['x-forwarded-for', addr]]);
      assert.deepEqual(e.rewrites.request!.removed, [['Connection', 'keep-alive']]);
      assert.equal(e.rewrites.request!.body, 'same');
    }
    // The whole server connection is this session's: its bytes are the leg's.
    const leg = r.legs.find((l) => l.id === s.serverLegs[0]!.leg)!;
    assert.deepEqual(s.serverLegs[0]!.bytes, { proxyToServer: leg.dirs[0].bytes, serverToProxy: leg.dirs[1].bytes });
    // The POST bodies (3000 bytes) are forwarded byte for byte.
    const bodies = s.ledger.filter((l) => l.direction === 'clientToServer' && l.part === 'body');
    assert.equal(bodies.reduce((n, l) => n + l.length, 0), 6000);
  }
  assert.deepEqual(r.serverOnlyConnections, []);
});

test('http-reuse-always: 20 requests of 10 client connections over 2 shared server connections', async () => {
  const r = await run('http-reuse-always');
  assert.equal(r.sessions.length, 10);
  assert.equal(assertServersMatchLog(r, 'http-reuse-always'), 20);
  const legIds = new Set(r.sessions.flatMap((s) => s.serverLegs.map((l) => l.leg)));
  assert.equal(legIds.size, 2);
  for (const id of legIds) {
    const using = sessionsUsing(r, id);
    assert.equal(using.length, 5, `server leg ${id} serves 5 client connections`);
    const leg = r.legs.find((l) => l.id === id)!;
    assert.equal(leg.http!.requests.length, 10);
    // Shared: each session counts only its own messages; together they make up the leg.
    const up = using.reduce((n, s) => n + s.serverLegs.find((l) => l.leg === id)!.bytes.proxyToServer, 0);
    assert.equal(up, leg.dirs[0].bytes);
  }
  for (const s of r.sessions) {
    for (const e of s.exchanges) assert.deepEqual(e.rewrites.request!.added, [['x-forwarded-for', s.client.split(':')[0]!]]);
  }
  assert.deepEqual(r.serverOnlyConnections, []);
});

test('nginx-proxy: proxy on 127.0.0.22 and 127.0.0.23, per-request round robin over 2 upstream connections', async () => {
  const r = await run('nginx-proxy');
  assert.deepEqual(r.proxies, [{ addresses: ['127.0.0.22', '127.0.0.23'], listeners: ['127.0.0.22:80'] }]);
  assert.equal(r.sessions.length, 7);

  // nginx-access.log: client addr:port, request, upstream; one line per request, in order.
  const truth = new Map<string, { request: string; upstream: string }[]>();
  for (const line of readFileSync('captures/nginx-proxy/nginx-access.log', 'utf8').split('\n')) {
    const m = /^(\S+) .*? "([^"]+)" .* upstream=(\S+)/.exec(line);
    if (m) truth.set(m[1]!, [...(truth.get(m[1]!) ?? []), { request: m[2]!, upstream: m[3]! }]);
  }
  let n = 0;
  for (const s of r.sessions) {
    const want = truth.get(s.client)!;
    assert.equal(s.exchanges.length, want.length);
    s.exchanges.forEach((e, i) => {
      assert.equal(`${e.method} ${e.target} HTTP/1.1`, want[i]!.request);
      assert.equal(serverOf(s, e), want[i]!.upstream, `${s.client} #${i}`);
      const addr = s.client.split(':')[0]!;
      assert.deepEqual(e.rewrites.request!.added, [['X-Real-IP', addr], ['X-Forwarded-For', addr]]);
      assert.ok(s.serverLegs[e.serverLeg!]!.evidence.includes('forwarded-for'));
      n++;
    });
    for (const l of s.serverLegs) assert.ok(l.source.startsWith('127.0.0.23:'));
  }
  assert.equal(n, 12);
  // Upstream keepalive: 2 server connections, each carrying requests of 4 client connections.
  const legIds = new Set(r.sessions.flatMap((s) => s.serverLegs.map((l) => l.leg)));
  assert.equal(legIds.size, 2);
  for (const id of legIds) assert.equal(sessionsUsing(r, id).length, 4);
  // The keep-alive client's 6 requests are spread over both.
  const ka = r.sessions.find((s) => s.client.startsWith('127.0.0.91:'))!;
  assert.equal(ka.serverLegs.length, 2);
  assert.deepEqual(ka.exchanges.map((e) => serverOf(ka, e)), [WEB1, WEB2, WEB1, WEB2, WEB1, WEB2]);

  // --proxy naming the listener gives the same answer (the follower address is still learned).
  const named = await run('nginx-proxy', ['127.0.0.22:80']);
  assert.deepEqual(named.proxies, r.proxies);
  assert.deepEqual(named.sessions, r.sessions);
});

test('haproxy-send-proxy: PROXY v1 toward web1, v2 toward web2, naming the client; checks are LOCAL or self', async () => {
  const r = await run('haproxy-send-proxy');
  assert.equal(r.sessions.length, 6);
  assert.equal(assertServersMatchLog(r, 'haproxy-send-proxy'), 6);
  for (const s of r.sessions) {
    assert.equal(s.serverLegs.length, 1);
    const leg = s.serverLegs[0]!;
    assert.deepEqual(leg.proxyProtocol, { version: leg.server === WEB1 ? 1 : 2, source: s.client, destination: '127.0.0.22:80' });
    assert.ok(leg.evidence.includes('proxy-protocol'));
    assert.equal(leg.confidence, 1);
    // The ledger skips the PROXY header: the request block starts after it on the server leg.
    const head = s.ledger.find((l) => l.direction === 'clientToServer' && l.part === 'headers')!;
    assert.equal(head.fromOffset, 0);
    assert.equal(head.toOffset, leg.server === WEB1 ? 43 : 28);
  }
  assert.ok(r.serverOnlyConnections.length >= 4);
  for (const o of r.serverOnlyConnections) {
    assert.equal(o.kind, 'health-check');
    assert.equal(o.request, 'GET /index.html HTTP/1.0');
  }
  assert.equal(r.legs.length, 12 + r.serverOnlyConnections.length);
});

/** A capture tool's JSON lines of one event. */
function records(name: string, file: string, event: string): Record<string, unknown>[] {
  return readFileSync(`captures/${name}/${file}`, 'utf8').split('\n').filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>).filter((r) => r.event === event);
}

test('concurrent-identical: every identical request paired with the server request that answered it (X-Serial), no swaps', async () => {
  const r = await run('concurrent-identical');
  assert.deepEqual(r.proxies, [{ addresses: ['127.0.0.22'], listeners: ['127.0.0.22:80'] }]);
  // 24 new connections (one request each) + 8 keep-alive connections (3 requests each).
  assert.equal(r.sessions.length, 32);
  assert.equal(assertServersMatchLog(r, 'concurrent-identical'), 48);
  assert.deepEqual(r.serverOnlyConnections, []);

  // The servers' records: which proxy connection and which request on it got each serial.
  const served = new Map<string, { server: string; source: string; index: number }>();
  for (const q of records('concurrent-identical', 'servers.jsonl', 'request')) {
    served.set(String(q.serial), { server: String(q.local), source: String(q.remote), index: Number(q.reqIndex) - 1 });
  }
  assert.equal(served.size, 48);
  // The clients' records: the serial each connection got, in order.
  const got = new Map<string, { t: number; serial: string; server: string }[]>();
  for (const a of records('concurrent-identical', 'clients.jsonl', 'response')) {
    const local = String(a.local);
    got.set(local, [...(got.get(local) ?? []), { t: Number(a.t), serial: String(a.serial), server: String(a.server) }]);
  }
  const legById = new Map(r.legs.map((l) => [l.id, l]));
  const usedSerials = new Set<string>();
  let sameAddressPairs = 0;
  for (const s of r.sessions) {
    const want = got.get(s.client)!;
    assert.equal(s.exchanges.length, want.length, s.client);
    s.exchanges.forEach((e, i) => {
      const truth = served.get(want[i]!.serial)!;
      const ref = s.serverLegs[e.serverLeg!]!;
      assert.deepEqual([ref.source, ref.server], [truth.source, truth.server], `${s.client} #${i} got ${want[i]!.serial}`);
      // The very request on that connection, not another one it carried.
      const onLeg = legById.get(ref.leg)!.http!.requests.findIndex((q) => q.firstByteTs === e.forwardedAt);
      assert.equal(onLeg, truth.index, `${s.client} #${i}: request on ${ref.source}`);
      assert.ok(truth.server === (want[i]!.server === 'web1' ? WEB1 : WEB2));
      // A swap would show as a changed X-Serial between the server's answer and the client's.
      assert.deepEqual(e.rewrites.response!.changed.filter(([k]) => k.toLowerCase() === 'x-serial'), []);
      assert.deepEqual(e.rewrites.request!.added, [['x-forwarded-for', s.client.split(':')[0]!]]);
      usedSerials.add(want[i]!.serial);
      if (s.client.startsWith('127.0.0.90:')) sameAddressPairs++;
    });
  }
  assert.equal(usedSerials.size, 48);
  // Phases 2 and 4 (all four connections from .90) plus the .90 half of phases 1 and 3.
  assert.equal(sameAddressPairs, 12 + 6 + 12 + 6);
});

test('tcp-timeout-server: one tcp session paired by bytes with the echo leg', async () => {
  const r = await run('tcp-timeout-server');
  assert.deepEqual(r.proxies, [{ addresses: ['127.0.0.22'], listeners: ['127.0.0.22:9000'] }]);
  assert.equal(r.sessions.length, 1);
  const s = r.sessions[0]!;
  assert.equal(s.mode, 'tcp');
  assert.deepEqual(s.bytes, { clientToProxy: 5, proxyToClient: 1 });
  assert.deepEqual(s.exchanges, []);
  assert.equal(s.serverLegs.length, 1);
  const leg = s.serverLegs[0]!;
  assert.equal(leg.server, ECHO);
  assert.ok(leg.evidence.includes('bytes'));
  assert.deepEqual(leg.bytes, { proxyToServer: 5, serverToProxy: 5 });
  // Ledger: the 5 client bytes, each forwarded on its own (4 s apart); only the first echo relayed.
  const up = s.ledger.filter((l) => l.direction === 'clientToServer');
  assert.deepEqual(up.map((l) => [l.fromOffset, l.toOffset, l.length]), [[0, 0, 1], [1, 1, 1], [2, 2, 1], [3, 3, 1], [4, 4, 1]]);
  for (const l of up) assert.ok(l.departed >= l.arrived && l.departed - l.arrived < 0.01);
  assert.deepEqual(s.ledger.filter((l) => l.direction === 'serverToClient').map((l) => [l.fromOffset, l.length]), [[0, 1]]);
  assert.deepEqual(r.serverOnlyConnections, []);
});

test('tcp-timeout-client: one tcp session; the late byte never reached the server', async () => {
  const r = await run('tcp-timeout-client');
  assert.equal(r.sessions.length, 1);
  const s = r.sessions[0]!;
  assert.equal(s.mode, 'tcp');
  assert.deepEqual(s.bytes, { clientToProxy: 2, proxyToClient: 1 });
  assert.equal(s.serverLegs.length, 1);
  assert.equal(s.serverLegs[0]!.server, ECHO);
  assert.ok(s.serverLegs[0]!.evidence.includes('bytes'));
  assert.deepEqual(s.serverLegs[0]!.bytes, { proxyToServer: 1, serverToProxy: 1 });
  assert.deepEqual(s.ledger.map((l) => [l.direction, l.fromOffset, l.length]), [['clientToServer', 0, 1], ['serverToClient', 0, 1]]);
});

test('http-server-down: 503s answered locally; the nocheck request owns its 3 refused connects, the rest are checks', async () => {
  const r = await run('http-server-down');
  assert.equal(r.sessions.length, 3);
  const truth = haproxyTruth('http-server-down');
  for (const s of r.sessions) {
    assert.equal(s.exchanges.length, 1);
    const e = s.exchanges[0]!;
    assert.equal(e.status, 503);
    assert.equal(e.answeredLocally, true);
    assert.equal(e.forwardedAt, null);
    const logged = truth.get(s.client)![0]!;
    if (logged.server === 'local') {
      // be_web/<NOSRV>: no server-side connection at all.
      assert.deepEqual(s.serverLegs, []);
      assert.equal(e.serverLeg, null);
    } else {
      // be_nocheck/web1nc: 3 connection attempts (retries 2), each refused.
      assert.equal(s.serverLegs.length, 3);
      for (const l of s.serverLegs) {
        assert.equal(l.server, WEB1);
        assert.deepEqual(l.evidence, ['timing']);
        assert.deepEqual(l.bytes, { proxyToServer: 0, serverToProxy: 0 });
        assert.equal(r.legs.find((x) => x.id === l.leg)!.state, 'REJ');
      }
      assert.equal(e.serverLeg, 2);
    }
  }
  const refused = r.legs.filter((l) => l.state === 'REJ');
  assert.equal(r.serverOnlyConnections.length, refused.length - 3);
  for (const o of r.serverOnlyConnections) assert.deepEqual({ kind: o.kind, server: o.server, request: o.request }, { kind: 'health-check', server: WEB1, request: undefined });
});

test('failures: one server connection per case; 504s from the proxy after the request reached web1', async () => {
  const r = await run('failures');
  assert.deepEqual(r.proxies, [{ addresses: ['127.0.0.22'], listeners: ['127.0.0.22:80'] }]);
  assert.equal(r.sessions.length, 10);
  assert.equal(assertServersMatchLog(r, 'failures'), 10);
  // What the client received, in case order (README table); null: the client was gone before any answer.
  assert.deepEqual(r.sessions.map((s) => s.exchanges[0]!.status), [200, 200, 504, null, 504, null, null, null, 504, 200]);
  const legs = new Set<string>();
  for (const s of r.sessions) {
    assert.equal(s.serverLegs.length, 1);
    legs.add(s.serverLegs[0]!.leg);
    const e = s.exchanges[0]!;
    assert.equal(e.serverLeg, 0);
    assert.notEqual(e.forwardedAt, null);
    // A 504 is HAProxy's own answer to a request web1 got but never answered.
    assert.equal(e.answeredLocally, e.status === 504);
    if (e.status === 504) assert.equal(e.responseHeadersAt, null);
  }
  assert.equal(legs.size, 10);
  // Case 2: web1's truncated body went through as far as it came (2000 bytes).
  const reset = r.sessions[1]!;
  assert.equal(reset.exchanges[0]!.target, '/reset-mid');
  const body = reset.ledger.filter((l) => l.direction === 'serverToClient' && l.part === 'body');
  assert.equal(body.reduce((n, l) => n + l.length, 0), 2000);
  // Cases 7 and 8: the 1000 upload bytes sent before the abort were forwarded.
  for (const s of r.sessions.slice(6, 8)) {
    assert.equal(s.exchanges[0]!.method, 'POST');
    const up = s.ledger.filter((l) => l.direction === 'clientToServer' && l.part === 'body');
    assert.equal(up.reduce((n, l) => n + l.length, 0), 1000);
  }
  assert.deepEqual(r.serverOnlyConnections, []);
});
