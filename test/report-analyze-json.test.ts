/** `analyze`'s session JSON, written byte by byte, must be exactly asciiJson(JSON.stringify(sessionJson(s))). */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { analyze } from '../src/pipeline.js';
import { parseHaproxyConfig } from '../src/correlate/haproxy/config.js';
import type { Session } from '../src/correlate/model.js';
import { asciiJson, sessionJson, sessionJsonText, writeSessionJson } from '../src/report/analyze-json.js';
import { AsciiBuffer } from '../src/report/ascii-buffer.js';
import { jsonNumber, jsonString } from '../src/report/json-bytes.js';
import { writeHttpLogJson } from '../src/report/http-log-json.js';
import { HttpVerdict } from '../src/correlate/haproxy/verdict-log.js';
import type { VerdictNames } from '../src/correlate/haproxy/verdict-names.js';
import { committedCaptures } from './helpers/tools.js';

const reference = (s: Session): string => asciiJson(JSON.stringify(sessionJson(s)));

test('every session of every committed capture (with its haproxy.cfg verdicts) is written as JSON.stringify writes it', async () => {
  let sessions = 0;
  let exchanges = 0;
  let verdicts = 0;
  for (const file of committedCaptures()) {
    const cfgFile = path.join(path.dirname(file), 'haproxy.cfg');
    const cfg = fs.existsSync(cfgFile) ? parseHaproxyConfig(fs.readFileSync(cfgFile, 'utf8'), cfgFile) : undefined;
    // A small buffer: sessions straddle its growth.
    const out = new AsciiBuffer(new Uint8Array(64));
    await analyze({
      files: [file],
      ...(cfg ? { haproxyConfig: cfg } : {}),
      onSession: (s) => {
        out.pos = 0;
        writeSessionJson(s, out);
        assert.equal(out.text(), reference(s), `${file} session ${s.id}`);
        sessions++;
        exchanges += s.exchanges.length;
        verdicts += (s.haproxy !== null ? 1 : 0) + s.exchanges.filter((e) => e.haproxy !== null).length;
      },
    });
  }
  // The committed captures' counts (a capture added or re-recorded changes them).
  assert.deepEqual({ sessions, exchanges, verdicts }, { sessions: 85, exchanges: 128, verdicts: 130 });
});

test('odd values: escapes, non-ASCII, negative and non-finite numbers, losses, optional keys', () => {
  const rw = { added: [['X-\u00e9', 'a"b\\c']], removed: [], changed: [['Host', 'a', '\u2028']], caseChanged: [], reordered: true, requestLine: { before: 'GET / HTTP/1.1', after: 'GET /\u0001 HTTP/1.1' }, body: 'reframed' } as const;
  const s: Session = {
    id: '17', mode: 'http', client: '[2001:db8::1]:40000', frontend: '127.0.0.22:80', frontendName: 'f\u00fcr "x"',
    start: 1763712345.123456, end: 1763712345.5, bytes: { clientToProxy: 0, proxyToClient: 2 ** 53 + 2 },
    serverLegs: [{ leg: '18', source: '127.0.0.22:5000', server: 'not an endpoint\n', name: 'web\u0000', bytes: { proxyToServer: 1e21, serverToProxy: 1.5e-7 }, proxyProtocol: { version: 2, source: null, destination: '1.2.3.4:5' }, evidence: ['timing', 'bytes'] as never, confidence: 0.666 }],
    exchanges: [
      { method: 'G\u00c9T', target: '/\ud800', status: null, serverLeg: 0, answeredLocally: false, requestStart: 1763712345.0000009, requestHeadersDone: 1763712345.000001, responseEnd: 1763712344, forwardedAt: null, responseHeadersAt: 1763712346.25, rewrites: { request: rw as never, response: null }, haproxy: { termination: '----', status: 200, timers: { TR: -1, Tw: 0, Tc: -0, Tr: 0.001, Ta: 4294967296.5 }, bytesRead: 123456789012, logLine: 'log "\u007f"' } },
      { method: 'POST', target: '/', status: 503, serverLeg: null, answeredLocally: true, requestStart: 5e-7, requestHeadersDone: null, responseEnd: null, forwardedAt: null, responseHeadersAt: null, rewrites: { request: rw as never, response: rw as never }, haproxy: null },
    ],
    haproxy: { termination: 'SD', timers: { Tw: NaN, Tc: Infinity, Tt: -Infinity }, bytesRead: 0.1 + 0.2, logLine: '' },
    drops: [{ direction: 'serverToClient', bytes: 3, first: 1.0000005, last: 123.456789, cause: 'gone', code: 'client_gone' }],
    losses: [{ leg: 'client', direction: 'clientToServer', offset: 0, bytes: 1, copiesLost: 1, sent: 0.000001, resent: 99.999999, code: 'lost_between_client_and_proxy', cause: 'c' }, { leg: 0, direction: 'serverToClient', offset: 7, bytes: 1, copiesLost: 2, sent: -1.25, resent: -0.000001, code: 'x', cause: 'y' }],
    ledger: [{ direction: 'clientToServer', serverLeg: 0, fromOffset: 0, toOffset: 0, length: 10, arrived: 1.1, departed: 1.3, exchange: 0, part: 'headers', toLength: 12 }, { direction: 'serverToClient', serverLeg: 0, fromOffset: 5, toOffset: 6, length: 1, arrived: 2, departed: 1 }],
  };
  const want = reference(s);
  assert.ok(want.includes('"\\u00e9') || want.includes('\\u00e9'), want);
  assert.equal(sessionJsonText(s), want);
  assert.deepEqual(JSON.parse(sessionJsonText(s)), JSON.parse(JSON.stringify(sessionJson(s))));
});

test('numbers: the text of String() for integers, microsecond values and everything else', () => {
  const out = new AsciiBuffer(new Uint8Array(8));
  const check = (v: number): void => {
    out.pos = 0;
    jsonNumber(out, v);
    assert.equal(out.text(), Number.isFinite(v) ? String(v) : 'null', `${v}`);
  };
  for (const v of [0, -0, 1, -1, 9, 10, 99, 100, 2 ** 31, 2 ** 32, 2 ** 53 - 1, 2 ** 53, 2 ** 60, 1e21, 0.5, -0.5, 0.1, 1e-6, 1e-7, 5e-7, 0.000123, 4294967295.999999, 4294967296.5, 1763712345.123456, 1763712345.1, 0.1 + 0.2, NaN, Infinity]) check(v);
  // Deterministic pseudo-random microsecond and millisecond values around the epoch and zero.
  let x = 12345;
  const rnd = (): number => (x = (x * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (let i = 0; i < 200000; i++) {
    const us = Math.floor(rnd() * 2e15);
    check(Math.round(us) / 1e6);
    check(-Math.round(rnd() * 1e9) / 1e3);
    check(Math.round(rnd() * 1e8) / 1e6);
    check(rnd() * 1e4);
    // Up to 2^53 µs: past 2^32 s a double's spacing exceeds 1e-6 and String() prints other digits.
    check(Math.round(rnd() * 9e15) / 1e6);
  }
});

test('strings: printable ASCII as it is, the rest as JSON.stringify then \\u escapes', () => {
  const out = new AsciiBuffer(new Uint8Array(4));
  for (const s of ['', 'a', '127.0.0.1:80', 'a b~', '"', '\\', '\n', '\u001f', '\u007f', '\u00ff', '\u2028', '\ud83d\ude00', '\udc00', 'x'.repeat(1000) + '\u00e9']) {
    out.pos = 0;
    jsonString(out, s);
    assert.equal(out.text(), asciiJson(JSON.stringify(s)), JSON.stringify(s));
  }
  // Every code unit, alone and between printable text.
  for (let c = 0; c < 0x10000; c++) {
    const s = `a${String.fromCharCode(c)}"`;
    out.pos = 0;
    jsonString(out, s);
    assert.equal(out.text(), asciiJson(JSON.stringify(s)), `code unit ${c}`);
  }
});

test('http log lines: written from the verdict\'s fields as jsonString writes its logLine', () => {
  const out = new AsciiBuffer(new Uint8Array(4));
  const names = (frontend: string, backend: string, server: string): VerdictNames => ({ frontend, backend, server, frontendSection: null, backendSection: null, serverEntry: null });
  const odd = 'a"b\\c#\u0001\u007f\u00e9\u2028\ud83d\ude00\udc00\ud800 |}';
  const cases = [
    new HttpVerdict({ clientAddress: '10.0.0.1', clientPort: 40000 }, 1763712345123, names('fe', 'be', 'web1'), '----', 200, { TR: 0, Tw: 0, Tc: 1, Tr: 2, Ta: 3 }, 228, 0, 'GET', '/', 'HTTP/1.1', null),
    new HttpVerdict({ clientAddress: '2001:db8::1', clientPort: 0 }, 1763712345007, names(odd, odd, odd), odd, -1, { TR: -1, Tw: -1, Tc: -1, Tr: -1, Ta: -0 }, 0, 3, odd, odd, odd, [odd, '', 'x']),
    new HttpVerdict({ clientAddress: 'x', clientPort: 1 }, 0, names('f', 'b', 's'), 'CR--', 400, { TR: 1e21, Tw: 0.5, Tc: NaN, Tr: 2 ** 53, Ta: -(2 ** 60) }, 1.5, 0, '', '', null, []),
    new HttpVerdict({ clientAddress: 'x', clientPort: 1 }, 1763712345123.5, names('f', 'b', 's'), 'CR--', 400, { TR: 0, Tw: 0, Tc: 0, Tr: 0, Ta: 0 }, 1, 0, 'GET', '/"#', null, null),
    new HttpVerdict({ clientAddress: 'x', clientPort: 1 }, -1, names('f', 'b', 's'), 'CR--', 400, { TR: 0, Tw: 0, Tc: 0, Tr: 0, Ta: 0 }, 1, 0, 'G', odd, null, null),
  ];
  for (const v of cases) {
    out.pos = 0;
    writeHttpLogJson(out, v);
    const got = out.text();
    out.pos = 0;
    jsonString(out, v.logLine);
    assert.equal(got, out.text());
  }
});
