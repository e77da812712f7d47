/**
 * The TUI's filter language: tokens with positions, the recursive-descent parser (precedence,
 * errors pointing at the fault), and matching on the sessions of real captures.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import fs from 'node:fs';
import { parseHaproxyConfig } from '../src/correlate/haproxy/config.js';
import { analyze } from '../src/pipeline.js';
import { compileFilter, type FilterExpr } from '../src/tui/filter.js';
import { tokenize } from '../src/tui/filter-lexer.js';
import { parseFilter } from '../src/tui/filter-parser.js';
import { FactsCache, type SessionFacts } from '../src/tui/session-facts.js';
import { ROOT } from './helpers/tools.js';

test('tokens carry their positions; && and || are & and |; strings unescape', () => {
  const toks = tokenize('!(server "a b\\"c") && status 5xx||drops');
  assert.deepEqual(toks.map((t) => [t.kind, t.text, t.pos, t.end]), [
    ['!', '!', 0, 1], ['(', '(', 1, 2], ['word', 'server', 2, 8], ['string', 'a b"c', 9, 17], [')', ')', 17, 18],
    ['&', '&', 19, 21], ['word', 'status', 22, 28], ['word', '5xx', 29, 32], ['|', '|', 32, 34], ['word', 'drops', 34, 39], ['end', '', 39, 39],
  ]);
});

/** The tree as a compact string: (a & b), (a | b), !a, field=value, flag. */
function show(e: FilterExpr): string {
  switch (e.kind) {
    case 'and': return `(${show(e.left)} & ${show(e.right)})`;
    case 'or': return `(${show(e.left)} | ${show(e.right)})`;
    case 'not': return `!${show(e.expr)}`;
    case 'flag': return e.flag;
    case 'field': return `${e.field}=${e.value}`;
  }
}

test('precedence: ! over & over |, juxtaposition is &, words and/or/not, parentheses', () => {
  assert.equal(show(parseFilter('server a | server b & status 5xx')), '(server=a | (server=b & status=5xx))');
  assert.equal(show(parseFilter('!drops & term sD')), '(!drops & term=sD)');
  assert.equal(show(parseFilter('!(drops | abnormal)')), '!(drops | abnormal)');
  assert.equal(show(parseFilter('server web1 status 503')), '(server=web1 & status=503)');
  assert.equal(show(parseFilter('server a or not server b and drops')), '(server=a | (!server=b & drops))');
  assert.equal(show(parseFilter('(server a | server b) & (status 4xx | status 5xx)')), '((server=a | server=b) & (status=4xx | status=5xx))');
  assert.equal(show(parseFilter('host "x y"')), 'host=x y');
  assert.equal(show(parseFilter('STATUS 503')), 'status=503', 'field names ignore case');
});

test('errors point at the fault', () => {
  const err = (text: string): [number, number, string] => {
    const c = compileFilter(text);
    assert.equal(c.ok, false, `${text} should not parse`);
    if (c.ok) throw new Error('unreachable');
    return [c.error.pos, c.error.end, c.error.message];
  };
  assert.deepEqual(err('server').slice(0, 2), [6, 7]);
  assert.match(err('server')[2], /expected a value after 'server'/);
  assert.deepEqual(err('server web1 &').slice(0, 2), [13, 14]);
  assert.match(err('server web1 &')[2], /expected a filter/);
  assert.deepEqual(err('(server web1').slice(0, 2), [12, 13]);
  assert.match(err('(server web1')[2], /expected '\)' to close the '\(' at column 1, found the end/);
  assert.deepEqual(err('server web1)').slice(0, 2), [11, 12]);
  assert.match(err('server web1)')[2], /'\)' without a matching '\('/);
  assert.deepEqual(err('status 6xx'), [7, 10, "status takes a code (503), a class (5xx) or none, not '6xx'"]);
  assert.deepEqual(err('bogus x').slice(0, 2), [0, 5]);
  assert.match(err('bogus x')[2], /unknown field 'bogus' \(fields: server, term, status/);
  assert.deepEqual(err('& drops').slice(0, 2), [0, 1]);
  assert.match(err('& drops')[2], /expected a filter before '&'/);
  assert.deepEqual(err('host "abc').slice(0, 2), [5, 9]);
  assert.match(err('host "abc')[2], /unterminated string/);
  assert.deepEqual(err('mode udp'), [5, 8, "mode is http or tcp, not 'udp'"]);
  assert.deepEqual(err('client 10.0.0.0/40').slice(0, 2), [7, 18]);
  assert.deepEqual(err('term s/D').slice(0, 2), [5, 8]);
  assert.deepEqual(err('drops "x"').slice(0, 2), [6, 9]);
  assert.deepEqual(err('!').slice(0, 2), [1, 2]);
});

test('an empty filter matches everything', () => {
  const c = compileFilter('   ');
  assert.ok(c.ok);
  assert.equal(c.expr, null);
});

async function factsOf(scenario: string): Promise<SessionFacts[]> {
  const dir = path.join(ROOT, 'captures', scenario);
  const cfg = parseHaproxyConfig(fs.readFileSync(path.join(dir, 'haproxy.cfg'), 'utf8'), 'haproxy.cfg');
  const r = await analyze({ files: [path.join(dir, 'capture.pcap')], keepLegs: true, haproxyConfig: cfg });
  const cache = new FactsCache(r.legs);
  return r.sessions.map((s) => cache.get(s));
}

test('matching on the round-robin capture (13 sessions: web1 4, web2 8, one 403 from the proxy)', async () => {
  const facts = await factsOf('http-roundrobin');
  const count = (text: string): number => {
    const c = compileFilter(text);
    assert.ok(c.ok, `${text}: ${c.ok ? '' : c.error.message}`);
    return facts.filter(c.match).length;
  };
  assert.equal(facts.length, 13);
  assert.equal(count('server web1'), 4);
  assert.equal(count('server web2'), 8);
  assert.equal(count('server be_web/web1'), 4);
  assert.equal(count('server 127.0.0.2'), 4);
  assert.equal(count('server 127.0.0.3:80'), 8);
  assert.equal(count('server be_web'), 12);
  assert.equal(count('server web*'), 12);
  assert.equal(count('server proxy'), 1);
  assert.equal(count('server web1 | server web2'), 12);
  assert.equal(count('!server web2'), 5);
  assert.equal(count('status 4xx'), 1);
  assert.equal(count('status 403'), 1);
  assert.equal(count('status 200'), 12);
  assert.equal(count('status 5xx'), 0);
  assert.equal(count('!status 200'), 1);
  assert.equal(count('term PR'), 1);
  assert.equal(count('term --NI'), 12);
  assert.equal(count('term --'), 12);
  assert.equal(count('abnormal'), 1);
  assert.equal(count('drops'), 0);
  assert.equal(count('client 127.0.0.90'), 13);
  assert.equal(count('client 127.0.0.0/24'), 13);
  assert.equal(count('client 10.0.0.0/8'), 0);
  assert.equal(count(`client ${facts[0]!.session.client}`), 1);
  assert.equal(count('host ww1.itnihao.cn'), 12);
  assert.equal(count('host WW1.ITNIHAO.CN:80'), 12, 'case and port do not matter');
  assert.equal(count('host *.example.com'), 1);
  assert.equal(count('method GET'), 13);
  assert.equal(count('method get'), 0, 'methods are case-sensitive');
  assert.equal(count('path /'), 13);
  assert.equal(count('frontend fe_http & mode http'), 13);
  assert.equal(count('mode tcp'), 0);
  assert.equal(count('(server web1 | server web2) & !host ww1.itnihao.cn'), 0);
  assert.equal(count('!(server web1 | server web2) & status 403 & term PR--'), 1);
});

test('matching drops and tcp termination states (tcp-timeout-server: sD, 4 bytes dropped)', async () => {
  const facts = await factsOf('tcp-timeout-server');
  const count = (text: string): number => {
    const c = compileFilter(text);
    assert.ok(c.ok);
    return facts.filter(c.match).length;
  };
  assert.equal(count('drops'), 1);
  assert.equal(count('term sD'), 1);
  assert.equal(count('term cD'), 0);
  assert.equal(count('term s'), 1);
  assert.equal(count('mode tcp & server echo & drops & abnormal'), 1);
  assert.equal(count('status none'), 0, 'a tcp session has no HTTP status to miss');
});
