/**
 * Sessions for the TUI's tests and benchmark: many synthetic ones (seeded), hostile ones whose
 * every captured string carries terminal escape sequences, and a real capture made hostile
 * (a client, a proxy, a server: two TCP connections built packet by packet).
 */
import type { LineComparison } from '../../src/correlate/haproxy/compare-log.js';
import { parseHaproxyLogLine, type HttpLogLine } from '../../src/correlate/haproxy/log-line.js';
import type { Exchange, Leg, LegDirection, Session } from '../../src/correlate/model.js';
import { packetsToPcap } from './cli.js';
import { writeTemp } from './pcap-writer.js';
import { prng } from './prng.js';
import { Conversation, merge } from './tcp-harness.js';

const T = 1_795_247_722;

function exchange(rand: () => number, t: number, serverLeg: number | null, i: number): Exchange {
  const status = serverLeg === null ? 403 : rand() < 0.05 ? 503 : rand() < 0.1 ? 404 : 200;
  const term = serverLeg === null ? 'PR--' : rand() < 0.03 ? 'sD--' : rand() < 0.02 ? 'CD--' : '--NI';
  return {
    method: rand() < 0.8 ? 'GET' : 'POST',
    target: `/item/${i % 1000}`,
    status,
    serverLeg,
    answeredLocally: serverLeg === null,
    requestStart: t,
    requestHeadersDone: t,
    responseEnd: t + 0.002,
    forwardedAt: serverLeg === null ? null : t + 0.0001,
    responseHeadersAt: serverLeg === null ? null : t + 0.0015,
    rewrites: { request: null, response: null },
    haproxy: {
      termination: term, status, timers: { TR: 0, Tw: 0, Tc: 0, Tr: 1, Ta: 2 }, bytesRead: 200,
      logLine: `10.0.0.1:1 [21/Nov/2026:07:55:22.826] fe_http be_web/web1 0/0/0/1/2 ${status} 200 - - ${term} 1/1/0/0/0 0/0 "GET / HTTP/1.1"`,
    },
  };
}

/** `n` plausible http and tcp sessions over 4 servers, some denied, some with drops. */
export function syntheticSessions(n: number, seed = 1): Session[] {
  const rand = prng(seed);
  const out: Session[] = [];
  for (let i = 0; i < n; i++) {
    const start = T + i * 0.001;
    const srv = 1 + Math.floor(rand() * 4);
    const tcp = rand() < 0.1;
    const denied = !tcp && rand() < 0.02;
    const s: Session = {
      id: String(i * 2 + 1),
      mode: tcp ? 'tcp' : 'http',
      client: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:${1024 + (i % 60000)}`,
      frontend: tcp ? '10.0.0.22:9000' : '10.0.0.22:80',
      frontendName: tcp ? 'fe_tcp' : 'fe_http',
      start,
      end: start + 0.003 + rand() * 0.01,
      bytes: { clientToProxy: 90 + Math.floor(rand() * 400), proxyToClient: 200 + Math.floor(rand() * 5000) },
      serverLegs: denied ? [] : [{
        leg: String(i * 2 + 2), source: `10.0.0.22:${20000 + (i % 40000)}`, server: `10.0.1.${srv}:80`,
        bytes: { proxyToServer: 100, serverToProxy: 300 }, proxyProtocol: null, evidence: ['request'], confidence: 0.9, name: `be_web/web${srv}`,
      }],
      exchanges: [],
      haproxy: null,
      drops: [],
      ledger: [],
    };
    if (tcp) {
      s.haproxy = { termination: rand() < 0.2 ? 'sD' : '--', timers: { Tw: 0, Tc: 0, Tt: 10 }, bytesRead: 10, logLine: 'x' };
    } else {
      const k = 1 + Math.floor(rand() * 3);
      for (let j = 0; j < k; j++) s.exchanges.push(exchange(rand, start + j * 0.001, denied ? null : 0, i + j));
    }
    if (!denied) {
      s.ledger.push({ direction: 'clientToServer', serverLeg: 0, fromOffset: 0, toOffset: 0, length: 90, arrived: start, departed: start + rand() * 0.001 });
    }
    if (rand() < 0.01) {
      s.drops.push({ direction: 'serverToClient', bytes: 4, first: start + 0.002, last: start + 0.003, cause: 'the proxy had already closed its side', code: 'proxy_closed_other_side' });
    }
    out.push(s);
  }
  return out;
}

/** Every control that could drive a terminal: CSI, OSC with BEL, alternate screen, C1 CSI, DEL. */
export const EVIL = '\x1b[31m\x1b]0;pwned\x07\x1b[2J\x1b[?1049l\x9b1m\x7f';

function dir(head: Uint8Array, ts: number): LegDirection {
  return {
    bytes: head.length, missedBytes: 0, retransmittedBytes: 0, chunks: [0, head.length, ts], acks: [], gaps: [],
    head, firstDataTs: ts, lastDataTs: ts, finTs: ts + 0.001, rstTs: null, finOffset: head.length,
  };
}

/** A hand-made session (http, one exchange, one drop) and its legs, every string hostile. */
export function hostileSession(): { session: Session; legs: Map<string, Leg>; comparison: Map<unknown, LineComparison> } {
  const t = T;
  const reqText = `GET /${EVIL} HTTP/1.1\r\nHost: ${EVIL}.test\r\nX-Evil: ${EVIL}\r\n\r\n`;
  const fwdText = `GET /${EVIL} HTTP/1.1\r\nhost: ${EVIL}.test\r\nX-Evil: changed${EVIL}\r\nx-forwarded-for: 10.0.0.90\r\n\r\n`;
  const respText = `HTTP/1.1 200 O${EVIL}K\r\nContent-Length: 5\r\nX-Bad: ${EVIL}\r\n\r\nhe${EVIL}`;
  const bytes = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));
  const headers = (s: string): [string, string][] => s.split('\r\n').slice(1).filter((l) => l.includes(':')).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)]);
  const msg = (kind: 'request' | 'response', text: string, ts: number) => ({
    index: 0, startLine: text.slice(0, text.indexOf('\r\n')), version: 'HTTP/1.1', headers: headers(text.slice(0, text.indexOf('\r\n\r\n'))), trailers: [],
    headerBytes: text.indexOf('\r\n\r\n') + 4, offset: 0, headerEndOffset: text.indexOf('\r\n\r\n') + 4, bodyOffset: text.indexOf('\r\n\r\n') + 4,
    endOffset: text.length, body: { framing: 'none' as const, length: 0, wireLength: 0, chunks: [], hash: '00000000' },
    firstByteTs: ts, headersCompleteTs: ts, lastByteTs: ts, damaged: false, missingBytes: 0, complete: true, keepAlive: false, notes: [],
    ...(kind === 'request'
      ? { kind, method: 'GET', target: `/${EVIL}` }
      : { kind, status: 200, reason: `O${EVIL}K`, interim: false, requestMethod: 'GET', requestIndex: 0 }),
  });
  const leg = (id: string, client: string, server: string, up: string, down: string, t0: number): Leg => ({
    id, client, server, clientAddress: client.split(':')[0]!, clientPort: Number(client.split(':')[1]), serverAddress: server.split(':')[0]!, serverPort: Number(server.split(':')[1]),
    start: t0, end: t0 + 0.01, state: 'SF', history: 'ShADadFf', synTs: t0, synAckTs: t0 + 0.0001, establishedTs: t0 + 0.0002,
    dirs: [dir(bytes(up), t0 + 0.001), dir(bytes(down), t0 + 0.003)],
    http: { requests: [msg('request', up, t0 + 0.001) as never], responses: [msg('response', down, t0 + 0.003) as never], notHttp: false },
    proxyProtocol: null, captures: [0],
  });
  const client = leg('1', '10.0.0.90:40000', '10.0.0.22:80', reqText, respText, t);
  const server = leg('2', '10.0.0.22:50000', '10.0.0.2:80', fwdText, respText, t + 0.0005);
  const logLine = `10.0.0.90:40000 [21/Nov/2026:07:55:22.826] fe${EVIL} be/web 0/0/0/1/2 200 99 - - sD-- 1/1/0/0/0 0/0 "GET /${EVIL} HTTP/1.1"`;
  const session: Session = {
    id: '1', mode: 'http', client: '10.0.0.90:40000', frontend: '10.0.0.22:80', frontendName: `fe${EVIL}`,
    start: t, end: t + 0.01, bytes: { clientToProxy: reqText.length, proxyToClient: respText.length },
    serverLegs: [{ leg: '2', source: '10.0.0.22:50000', server: '10.0.0.2:80', bytes: { proxyToServer: fwdText.length, serverToProxy: respText.length }, proxyProtocol: null, evidence: ['request'], confidence: 0.9, name: `be/web${EVIL}` }],
    exchanges: [{
      method: 'GET', target: `/${EVIL}`, status: 200, serverLeg: 0, answeredLocally: false,
      requestStart: t + 0.001, requestHeadersDone: t + 0.001, responseEnd: t + 0.003, forwardedAt: t + 0.0015, responseHeadersAt: t + 0.0035,
      rewrites: {
        request: { added: [['x-forwarded-for', '10.0.0.90']], removed: [], changed: [['X-Evil', EVIL, `changed${EVIL}`]], caseChanged: [['Host', 'host']], reordered: false, requestLine: null, body: 'same' },
        response: null,
      },
      haproxy: { termination: '--NI', status: 200, timers: { TR: 0, Tw: 0, Tc: 0, Tr: 1, Ta: 2 }, bytesRead: 99, logLine: logLine.replace('sD--', '--NI') },
    }],
    haproxy: null,
    drops: [{ direction: 'serverToClient', bytes: 5, first: t + 0.003, last: t + 0.004, cause: `cause ${EVIL}`, code: `code${EVIL}` }],
    ledger: [{ direction: 'clientToServer', serverLeg: 0, fromOffset: 0, toOffset: 0, length: reqText.length, arrived: t + 0.001, departed: t + 0.0015 }],
  };
  const logged = parseHaproxyLogLine(logLine) as HttpLogLine;
  const comparison = new Map<unknown, LineComparison>([[session.exchanges[0]!.haproxy, {
    logged, inferred: session.exchanges[0]!.haproxy, agree: ['status'], differ: [{ field: 'termination', logged: 'sD--', inferred: '--NI' }],
  }]]);
  return { session, legs: new Map([[client.id, client], [server.id, server]]), comparison };
}

/**
 * A real capture through the whole pipeline: client 10.0.0.90 → proxy 10.0.0.22:80 and the
 * proxy's connection to 10.0.0.2:80, a request whose line and headers carry escape sequences,
 * forwarded with a header added; the response carries some too. Returns the pcap's path.
 */
export function hostileCapture(): string {
  let isn = 7000;
  const conn = (client: string, server: string, t0: number): Conversation => {
    isn += 100_000;
    return new Conversation(client, server, isn, isn + 50_000, { t0, step: 0.00001 }).handshake();
  };
  const evilValue = '\x1b]0;pwned\x07\x1b[2J\x9b1m';
  const req = `GET /a\x9b31m\xff HTTP/1.1\r\nHost: www.example.test\r\nX-Evil: ${evilValue}\r\n\r\n`;
  const fwd = `GET /a\x9b31m\xff HTTP/1.1\r\nHost: www.example.test\r\nX-Evil: ${evilValue}\r\nX-Forwarded-For: 10.0.0.90\r\n\r\n`;
  const resp = `HTTP/1.1 200 OK\r\nContent-Length: 7\r\nX-Bad: \x1b[?1049l\r\n\r\nhi\x1b[2Jx`;
  const c = conn('10.0.0.90:40000', '10.0.0.22:80', 1);
  const s = conn('10.0.0.22:50000', '10.0.0.2:80', 1.0101);
  c.data(0, req, { at: 1.01 });
  c.ack(1);
  s.data(0, fwd, { at: 1.0102 });
  s.ack(1);
  s.data(1, resp, { at: 1.011 });
  s.ack(0);
  c.data(1, resp, { at: 1.0111 });
  c.ack(0);
  for (const x of [c, s]) {
    x.fin(0, { at: 1.02 });
    x.fin(1);
    x.ack(0);
  }
  return writeTemp('hostile.pcap', packetsToPcap(merge(c, s)));
}
