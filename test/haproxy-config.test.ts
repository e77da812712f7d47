/**
 * HAProxy 2.6 configuration reader: every captures/∗/haproxy.cfg (values read from the files),
 * then crafted configurations for defaults inheritance, time units, quoting, binds, servers and
 * the errors HAProxy itself reports (checked against `haproxy -c` 2.6.12).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import {
  formatDiagnostic, parseHaproxyConfig, parseHaproxyTime, proxyByName, proxyFor, serverByAddress, serversByAddress,
  type HaproxyConfig, type ProxySection,
} from '../src/correlate/haproxy/config.js';
import { ROOT } from './helpers/tools.js';

function load(scenario: string): HaproxyConfig {
  const file = path.join(ROOT, 'captures', scenario, 'haproxy.cfg');
  return parseHaproxyConfig(fs.readFileSync(file, 'utf8'), file);
}

function proxy(c: HaproxyConfig, name: string, kind?: ProxySection['kind']): ProxySection {
  const p = proxyByName(c, name, kind);
  assert.ok(p, `no proxy ${name}`);
  return p;
}

/** Options as "name" / "no name", with args, for compact assertions. */
function optionList(p: ProxySection): string[] {
  return Object.entries(p.options).map(([k, o]) => `${o.enabled ? '' : 'no '}${k}${o.args.length ? ` ${o.args.join(' ')}` : ''}`);
}

const cfg = (text: string): HaproxyConfig => parseHaproxyConfig(text, 'test.cfg');

describe('captures/*/haproxy.cfg', () => {
  const scenarios = fs.readdirSync(path.join(ROOT, 'captures')).filter((d) => fs.existsSync(path.join(ROOT, 'captures', d, 'haproxy.cfg')));

  it('every file parses without diagnostics or unknown statements', () => {
    assert.ok(scenarios.length >= 9);
    for (const s of scenarios) {
      const c = load(s);
      assert.deepEqual(c.diagnostics, [], s);
      assert.deepEqual(c.orphans, [], s);
      assert.deepEqual(c.proxies.flatMap((p) => p.unknown), [], s);
      assert.deepEqual(c.global?.unknown, [], s);
      assert.equal(c.global?.logTargets[0], 'stdout', s);
      assert.ok(c.proxies.length >= 2, s);
    }
  });

  it('http-roundrobin: binds, ACL switching, weights, cookies, checks, options', () => {
    const c = load('http-roundrobin');
    assert.equal(c.global?.maxconn, 1000);
    const fe = proxy(c, 'fe_http');
    assert.equal(fe.kind, 'frontend');
    assert.deepEqual(fe.binds.map((b) => [b.text, b.address, b.port]), [['127.0.0.22:80', '127.0.0.22', 80]]);
    assert.equal(fe.mode, 'http'); // from defaults
    assert.deepEqual(fe.timeouts, { connect: 2000, client: 10000, server: 10000 });
    assert.deepEqual(optionList(fe), ['httplog', 'log-health-checks', 'forwardfor', 'httpclose']);
    assert.equal(fe.options['httplog']?.inherited, true);
    assert.equal(fe.options['forwardfor']?.inherited, false);
    assert.equal(fe.httpConnectionMode, 'close');
    assert.equal(fe.logFormatKind, 'httplog');
    assert.deepEqual(fe.acls, [{ name: 'host_www', text: 'hdr(host) -i ww1.itnihao.cn', line: 19 }]);
    assert.deepEqual(fe.useBackends, [{ backend: 'be_web', condition: 'host_www', negate: false, line: 20 }]);
    assert.equal(fe.defaultBackend, 'be_deny');

    const be = proxy(c, 'be_web');
    assert.deepEqual(be.balance, { algorithm: 'roundrobin', args: [] });
    assert.deepEqual(be.httpCheck, { method: 'GET', uri: '/index.html', version: 'HTTP/1.0' });
    assert.deepEqual(be.cookie, { name: 'SERVERID', mode: 'insert', flags: ['indirect', 'nocache'], domains: [], maxidle: null, maxlife: null, attrs: [] });
    assert.equal(be.source?.address, '127.0.0.22');
    assert.equal(be.httpConnectionMode, 'keep-alive'); // httpclose is on the frontend only
    assert.deepEqual(be.servers.map((s) => [s.name, s.address, s.port, s.weight, s.cookie, s.check, s.inter]), [
      ['web1', '127.0.0.2', 80, 1, 'web1', true, 2000],
      ['web2', '127.0.0.3', 80, 2, 'web2', true, 2000],
    ]);
    const deny = proxy(c, 'be_deny');
    assert.deepEqual(deny.directives.map((d) => d.text), ['http-request deny deny_status 403']);
    assert.equal(proxyFor(c, '127.0.0.22:80'), fe);
    assert.equal(proxyFor(c, '127.0.0.22:81'), null);
    assert.equal(serverByAddress(c, '127.0.0.3:80')?.server.name, 'web2');
    assert.equal(serverByAddress(c, '127.0.0.3:80')?.proxy.name, 'be_web');
    assert.equal(serverByAddress(c, '127.0.0.3:8080'), null);
  });

  it('tcp-timeout-server / tcp-timeout-client: tcp mode, tcplog, the timeouts that fire', () => {
    const s = load('tcp-timeout-server');
    const fe = proxy(s, 'fe_tcp');
    assert.deepEqual([fe.mode, fe.logFormatKind], ['tcp', 'tcplog']);
    assert.deepEqual(fe.timeouts, { connect: 2000, client: 30000, server: 3000 });
    assert.equal(proxyFor(s, '127.0.0.22:9000'), fe);
    assert.equal(proxyFor(s, '127.0.0.22:80'), null);
    const echo = serverByAddress(s, '127.0.0.4:7');
    assert.deepEqual([echo?.proxy.name, echo?.server.name, echo?.server.weight, echo?.server.check], ['be_echo', 'echo', 1, false]);
    assert.deepEqual(proxy(load('tcp-timeout-client'), 'be_echo').timeouts, { connect: 2000, client: 3000, server: 30000 });
  });

  it('http-server-down: retries and 1 s connect timeout from defaults, checks with fall/rise', () => {
    const c = load('http-server-down');
    const be = proxy(c, 'be_web');
    assert.equal(be.retries, 2);
    assert.equal(be.timeouts.connect, 1000);
    const web1 = be.servers[0];
    assert.deepEqual(web1?.params, [{ name: 'check', value: null }, { name: 'inter', value: '1s' }, { name: 'fall', value: '2' }, { name: 'rise', value: '2' }]);
    assert.equal(web1?.inter, 1000);
    assert.deepEqual(proxy(c, 'fe_http').useBackends[0]?.condition, '{ hdr(host) -i nocheck.itnihao.cn }');
    // The same dead address serves two backends.
    assert.deepEqual(serversByAddress(c, '127.0.0.2:80').map((r) => `${r.proxy.name}/${r.server.name}`), ['be_web/web1', 'be_nocheck/web1nc']);
  });

  it('haproxy-send-proxy: send-proxy v1 / v2 and check-send-proxy; httpclose inherited everywhere', () => {
    const c = load('haproxy-send-proxy');
    const be = proxy(c, 'be_web');
    assert.deepEqual(be.servers.map((s) => [s.name, s.sendProxy, s.checkSendProxy, s.check]), [['web1', 'v1', true, true], ['web2', 'v2', true, true]]);
    assert.deepEqual(c.proxies.map((p) => p.httpConnectionMode), ['close', 'close']);
  });

  it('http-keepalive, http-reuse-always, failures, bench', () => {
    const ka = proxy(load('http-keepalive'), 'fe_http');
    assert.deepEqual([ka.httpConnectionMode, ka.timeouts['http-keep-alive']], ['keep-alive', 3000]);
    assert.equal(proxy(load('http-reuse-always'), 'be_web').httpReuse, 'always');
    const f = load('failures');
    assert.equal(proxy(f, 'be_abortonclose').options['abortonclose']?.enabled, true);
    assert.equal(proxy(f, 'be_web').options['abortonclose'], undefined);
    assert.equal(proxy(f, 'be_web').timeouts.server, 2000);
    assert.equal(serversByAddress(f, '127.0.0.2:80').length, 2);
    const b = load('bench');
    assert.equal(b.global?.maxconn, 5000);
    assert.deepEqual(proxy(b, 'be_web').servers.map((s) => s.weight), [1, 2]);
  });
});

describe('defaults inheritance', () => {
  const c = cfg(`
defaults base
    mode http
    timeout client 30s
    timeout connect 5s
    option httplog
    option redispatch
    option http-server-close
    retries 5
    balance leastconn

frontend f1
    bind :80
    no option redispatch
    timeout client 1m

backend b1
    option httpclose

defaults
    timeout server 1h

backend b2

backend b3 from base
    no option http-server-close

frontend f2
    mode tcp
    option httplog
    bind :81
`);

  it('a proxy starts from the latest defaults section; its own statements override', () => {
    const f1 = proxy(c, 'f1');
    assert.deepEqual(f1.defaults, { name: 'base', line: 2 });
    assert.equal(f1.mode, 'http');
    assert.deepEqual(f1.timeouts, { client: 60000, connect: 5000 });
    assert.deepEqual(optionList(f1), ['httplog', 'no redispatch', 'http-server-close']);
    assert.equal(f1.retries, 5);
    assert.deepEqual(f1.balance, { algorithm: 'leastconn', args: [] });
  });

  it('httpclose / http-server-close / http-keep-alive replace each other; "no" cancels only its own', () => {
    const b1 = proxy(c, 'b1');
    assert.equal(b1.httpConnectionMode, 'close');
    assert.deepEqual(optionList(b1), ['httplog', 'redispatch', 'httpclose']);
    const b3 = proxy(c, 'b3');
    assert.equal(b3.httpConnectionMode, 'keep-alive');
  });

  it('an anonymous defaults section resets everything; "from" picks a named one', () => {
    const b2 = proxy(c, 'b2');
    assert.equal(b2.mode, 'tcp');
    assert.deepEqual(b2.timeouts, { server: 3600000 });
    assert.deepEqual(b2.options, {});
    assert.equal(b2.retries, null);
    const b3 = proxy(c, 'b3');
    assert.deepEqual(b3.defaults, { name: 'base', line: 2 });
    assert.deepEqual(b3.timeouts, { client: 30000, connect: 5000 });
  });

  it('option httplog on a TCP frontend falls back to tcplog, with HAProxy\'s warning', () => {
    const f2 = proxy(c, 'f2');
    assert.equal(f2.logFormatKind, 'tcplog');
    assert.deepEqual(c.diagnostics.map(formatDiagnostic), [
      `test.cfg:30: warning: 'option httplog' not usable with frontend 'f2' (needs 'mode http'). Falling back to 'option tcplog'.`,
    ]);
  });

  it('defaults can inherit from defaults; log formats replace each other', () => {
    const d = cfg(`
defaults a
    mode http
    option tcplog
    timeout queue 10s
defaults b from a
    option httplog clf
    option dontlognull
listen l from b
    bind 10.0.0.1:8080
    log-format "%ci:%cp %ST"
backend k from b
    default option dontlognull
`);
    const l = proxy(d, 'l');
    assert.deepEqual([l.mode, l.timeouts.queue, l.logFormatKind, l.logFormat], ['http', 10000, 'custom', '%ci:%cp %ST']);
    assert.deepEqual(optionList(l), ['dontlognull']);
    assert.equal(proxy(d, 'k').logFormatKind, 'httplog-clf');
    assert.deepEqual(optionList(proxy(d, 'k')), ['httplog clf']);
    assert.deepEqual(d.diagnostics, []);
  });
});

describe('time units', () => {
  it('us, ms, s, m, h, d, bare milliseconds, rounded up (parse_time_err)', () => {
    const cases: [string, number][] = [
      ['100', 100], ['100ms', 100], ['1500us', 2], ['1us', 1], ['0us', 0], ['2s', 2000], ['3m', 180000], ['2h', 7200000], ['1d', 86400000], ['24d', 2073600000], ['0', 0],
    ];
    for (const [text, ms] of cases) assert.deepEqual(parseHaproxyTime(text), { ms, warning: null }, text);
  });

  it('the errors and the warning HAProxy 2.6.12 gives', () => {
    assert.match((parseHaproxyTime('25d') as { error: string }).error, /timer overflow/);
    assert.match((parseHaproxyTime('3000000000') as { error: string }).error, /timer overflow/);
    assert.match((parseHaproxyTime('10x') as { error: string }).error, /unexpected character 'x'/);
    assert.match((parseHaproxyTime('1.5s') as { error: string }).error, /unexpected character '\.'/);
    assert.match((parseHaproxyTime('s') as { error: string }).error, /not a time value/);
    const w = parseHaproxyTime('1s5');
    assert.equal((w as { ms: number }).ms, 1000);
    assert.match((w as { warning: string }).warning, /unexpected character '5'/);
  });

  it('in timeouts: every name, bad values kept as unknown with a diagnostic', () => {
    const c = cfg(`defaults
  timeout client 1m
  timeout server 90s
  timeout connect 500
  timeout queue 1h
  timeout http-request 10s
  timeout http-keep-alive 1500us
  timeout tunnel 1d
  timeout client-fin 1s
  timeout server-fin 2s
  timeout check 3s
  timeout tarpit 4s
frontend f
  bind :80
  timeout client 25d
  timeout server 1s5
  timeout nosuch 1s
`);
    const f = proxy(c, 'f');
    assert.deepEqual(f.timeouts, {
      client: 60000, server: 1000, connect: 500, queue: 3600000, 'http-request': 10000, 'http-keep-alive': 2, tunnel: 86400000,
      'client-fin': 1000, 'server-fin': 2000, check: 3000, tarpit: 4000,
    });
    assert.deepEqual(f.unknown.map((d) => d.text), ['timeout client 25d', 'timeout nosuch 1s']);
    assert.deepEqual(c.diagnostics.map((d) => [d.severity, d.line]), [['error', 15], ['warning', 16]]);
  });
});

describe('section headers and unknown statements', () => {
  it('malformed headers are diagnosed with file:line, like haproxy -c', () => {
    const c = cfg(`frontend
    bind :1
frontend a/b
frontend fe 10.0.0.1:80
listen "abc
backend ok from nowhere
defaults x from
backend ok
global extra
`);
    assert.deepEqual(c.diagnostics.map(formatDiagnostic), [
      `test.cfg:1: error: 'frontend' expects a name (section header)`,
      `test.cfg:3: error: character '/' is not permitted in 'frontend' name 'a/b'`,
      `test.cfg:4: error: unexpected argument '10.0.0.1:80' in 'frontend' section header (please use the 'bind' keyword for listening addresses)`,
      `test.cfg:5: error: unmatched quote at position 8 in 'listen' section header`,
      `test.cfg:6: error: defaults section 'nowhere' not found for backend 'ok'`,
      `test.cfg:7: error: 'from' expects a defaults section name in 'defaults' section header`,
      `test.cfg:8: error: backend 'ok' has the same name as the backend declared at line 6`,
      `test.cfg:9: error: 'global' cannot handle unexpected argument 'extra'`,
    ]);
    // The statements after a broken header stay with it, not with the section before.
    assert.equal(c.proxies[0]?.malformed, true);
    assert.equal(c.proxies[0]?.binds[0]?.port, 1);
    assert.equal(c.proxies.filter((p) => p.malformed).length, 5);
  });

  it('lines it cannot understand are kept, never thrown', () => {
    const c = cfg(`stray line
global
    maxconn 10
    not-a-global-keyword 1
    tune.bufsize 32768
frontend f
    bind :80
    option no-such-option
    frobnicate yes
    http-request set-header X-A "b c"
    use_backend b when x
    server s 1.2.3.4:80
backend b
    server s1
    server s2 1.2.3.4:99999
    server s3 10.0.0.1:80 weight 5 bogus-flag
    balance
    mode health
    http-reuse sometimes
    cookie C insert maxidle
    acl only_name
`);
    assert.deepEqual(c.orphans.map((d) => d.text), ['stray line']);
    assert.deepEqual(c.global?.unknown.map((d) => d.keyword), ['not-a-global-keyword']);
    assert.deepEqual(proxy(c, 'f').unknown.map((d) => d.text), ['option no-such-option', 'frobnicate yes', 'use_backend b when x']);
    // "server" in a frontend is a known keyword HAProxy rejects there: kept as a statement only.
    assert.equal(proxy(c, 'f').servers.length, 1);
    assert.deepEqual(proxy(c, 'b').unknown.map((d) => d.text), [
      'server s1', 'server s2 1.2.3.4:99999', 'balance', 'mode health', 'http-reuse sometimes', 'cookie C insert maxidle', 'acl only_name',
    ]);
    assert.deepEqual(proxy(c, 'b').servers.map((s) => [s.name, s.weight, s.unknownParams]), [['s3', 5, ['bogus-flag']]]);
    assert.deepEqual(c.diagnostics.map(formatDiagnostic), [`test.cfg:1: error: unknown keyword 'stray' out of section`]);
    assert.equal(proxy(c, 'f').directives.length, 6);
  });
});

describe('quoting, binds and lookups', () => {
  it('quotes, escapes and comments as in manual 2.2', () => {
    const c = cfg(`frontend foo#comment right after the name
    bind :80 # trailing comment
    acl spaced hdr(x-a) -i "a b" 'c d' e\\ f
    acl hash path -m beg /\\#x "#y"
    log-format "%{+Q}o %t"' %s'\\ %{-Q}r
    use_backend "be x" unless spaced hash
`);
    const f = proxy(c, 'foo');
    assert.deepEqual(f.acls.map((a) => a.text), [`hdr(x-a) -i "a b" 'c d' e\\ f`, 'path -m beg /\\#x "#y"']);
    assert.deepEqual(f.directives[1]?.args, ['spaced', 'hdr(x-a)', '-i', 'a b', 'c d', 'e f']);
    assert.deepEqual(f.directives[2]?.args, ['hash', 'path', '-m', 'beg', '/#x', '#y']);
    assert.equal(f.logFormat, '%{+Q}o %t %s %{-Q}r');
    assert.deepEqual(f.useBackends, [{ backend: 'be x', condition: 'spaced hash', negate: true, line: 6 }]);
  });

  it('bind forms: ip:port, *:port, :port, lists, ranges, IPv6, unix; parameters ignored', () => {
    const c = cfg(`frontend a
    bind 10.0.0.1:80,10.0.0.1:443 ssl crt /etc/x.pem
    bind *:8080
frontend b
    bind :80
    bind [::]:80 v6only
    bind 10.0.0.2:2000-2100
    bind /run/haproxy.sock mode 600
frontend c
    bind ipv6@:::9000
    bind ::1:9001
    bind 0.0.0.0:9002
`);
    const a = proxy(c, 'a');
    assert.deepEqual(a.binds.map((b) => [b.text, b.address, b.port, b.params]), [
      ['10.0.0.1:80', '10.0.0.1', 80, ['ssl', 'crt', '/etc/x.pem']],
      ['10.0.0.1:443', '10.0.0.1', 443, ['ssl', 'crt', '/etc/x.pem']],
      ['*:8080', '', 8080, []],
    ]);
    assert.deepEqual(proxy(c, 'b').binds.map((b) => [b.family, b.address, b.port, b.portEnd]), [
      ['ipv4', '', 80, 80], ['ipv6', '', 80, 80], ['ipv4', '10.0.0.2', 2000, 2100], ['unix', '/run/haproxy.sock', null, null],
    ]);
    assert.equal(proxyFor(c, '10.0.0.1:443')?.name, 'a');
    assert.equal(proxyFor(c, '192.168.1.1:8080')?.name, 'a');
    assert.equal(proxyFor(c, '10.0.0.1:80')?.name, 'a'); // exact address beats b's wildcard
    assert.equal(proxyFor(c, '192.168.1.1:80')?.name, 'b');
    assert.equal(proxyFor(c, '[2001:db8::1]:80')?.name, 'b');
    assert.equal(proxyFor(c, '10.0.0.2:2050')?.name, 'b');
    assert.equal(proxyFor(c, '10.0.0.3:2050'), null);
    assert.equal(proxyFor(c, '[2001:db8::1]:9000')?.name, 'c');
    assert.equal(proxyFor(c, '10.9.9.9:9000')?.name, 'c'); // [::] without v6only takes IPv4 too
    assert.equal(proxyFor(c, '[::1]:9001')?.name, 'c');
    assert.equal(proxyFor(c, '[0:0:0:0:0:0:0:1]:9001')?.name, 'c');
    assert.equal(proxyFor(c, '1.2.3.4:9002')?.name, 'c');
    assert.equal(proxyFor(c, 'not an endpoint'), null);
  });

  it('servers: default-server, no- flags, send-proxy variants, source usesrc, ports', () => {
    const c = cfg(`defaults
    default-server inter 3s check send-proxy
backend b
    default-server weight 10
    server a 10.0.0.1:80
    server b 10.0.0.2:80 no-check no-send-proxy weight 0 backup
    server c 10.0.0.3 send-proxy-v2-ssl-cn source 10.0.0.9:1024-2000 usesrc clientip maxconn 50
    server d [2001:db8::5]:443 ssl verify none disabled cookie d1
    server e 10.0.0.5:+1000
    source 0.0.0.0 usesrc client interface eth0
`);
    const b = proxy(c, 'b');
    assert.deepEqual(b.servers.map((s) => [s.name, s.weight, s.check, s.inter, s.sendProxy, s.backup, s.disabled, s.port, s.portOffset]), [
      ['a', 10, true, 3000, 'v1', false, false, 80, null],
      ['b', 0, false, 3000, null, true, false, 80, null],
      ['c', 10, true, 3000, 'v2', false, false, null, null],
      ['d', 10, true, 3000, 'v1', false, true, 443, null],
      ['e', 10, true, 3000, 'v1', false, false, null, 1000],
    ]);
    const sc = b.servers[2];
    assert.deepEqual([sc?.source?.address, sc?.source?.port, sc?.source?.portEnd, sc?.source?.usesrc, sc?.maxconn], ['10.0.0.9', 1024, 2000, 'clientip', 50]);
    assert.deepEqual([b.servers[3]?.address, b.servers[3]?.cookie], ['2001:db8::5', 'd1']);
    assert.deepEqual(b.source, { text: '0.0.0.0 usesrc client interface eth0', address: '', port: null, portEnd: null, usesrc: 'client', interface: 'eth0' });
    assert.equal(serverByAddress(c, '10.0.0.3:8080')?.server.name, 'c'); // no port: any port
    assert.equal(serverByAddress(c, '[2001:db8::5]:443')?.server.name, 'd');
    assert.equal(serverByAddress(c, '10.0.0.5:80'), null); // an offset port depends on the client
  });

  it('cookie modes and attributes; option httpchk forms; captures', () => {
    const c = cfg(`backend b
    cookie SRV rewrite
    option httpchk
listen l
    bind :80
    mode http
    cookie JSID prefix nocache domain .a.com domain .b.com maxidle 30m maxlife 8h attr SameSite=Lax
    option httpchk /health
    capture request header Host len 20
    capture response header Server len 10
    capture cookie JSID len 32
    declare capture response len 8
listen m
    bind :81
    option httpchk HEAD /x HTTP/1.1
    option tcp-check
backend n
    option httpchk POST /y
`);
    assert.deepEqual([proxy(c, 'b').cookie?.mode, proxy(c, 'b').httpCheck], ['rewrite', { method: 'OPTIONS', uri: '/', version: 'HTTP/1.0' }]);
    const l = proxy(c, 'l');
    assert.deepEqual(l.cookie, { name: 'JSID', mode: 'prefix', flags: ['nocache'], domains: ['.a.com', '.b.com'], maxidle: 1800000, maxlife: 28800000, attrs: ['SameSite=Lax'] });
    assert.deepEqual(l.httpCheck, { method: 'OPTIONS', uri: '/health', version: 'HTTP/1.0' });
    assert.deepEqual(l.captures, {
      requestHeaders: [{ name: 'Host', length: 20 }],
      responseHeaders: [{ name: 'Server', length: 10 }, { name: '', length: 8 }],
      cookie: { name: 'JSID', length: 32 },
    });
    // tcp-check replaces httpchk: one check type per proxy.
    assert.deepEqual([proxy(c, 'm').httpCheck, optionList(proxy(c, 'm'))], [null, ['tcp-check']]);
    assert.deepEqual(proxy(c, 'n').httpCheck, { method: 'POST', uri: '/y', version: 'HTTP/1.0' });
  });
});
