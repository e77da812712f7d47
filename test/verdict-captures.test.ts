/**
 * HAProxy verdicts inferred from every committed HAProxy capture, checked against the haproxy.log
 * HAProxy wrote during the same run: per real log line, the termination state, status, frontend,
 * backend and server must be equal, bytes_read equal, each timer within 1 ms (HAProxy stamps
 * events with its poll loop's clock, which a capture only brackets), and the date within 1 ms.
 * Not compared: the connection counters and queue sizes (actconn/feconn/beconn/srv_conn,
 * srv_queue/backend_queue) describe HAProxy's other streams at log time, which no packet shows;
 * retries are only checked where the capture shows the attempts (http-server-down).
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { compareWithLog, formatDifferences, verdictsOf } from '../src/correlate/haproxy/compare-log.js';
import { parseHaproxyLogLine } from '../src/correlate/haproxy/log-line.js';
import { inferHttpVerdicts } from '../src/correlate/haproxy/verdict-http.js';
import { inferTcpVerdict } from '../src/correlate/haproxy/verdict-tcp.js';
import type { Session } from '../src/correlate/model.js';
import { haproxyScenarios, loadScenario, type Scenario } from './helpers/verdict-sessions.js';

function inferAll(sc: Scenario, withConfig = true): Session[] {
  const cfg = withConfig ? sc.cfg : undefined;
  for (const s of sc.sessions) {
    if (s.mode === 'tcp') s.haproxy = inferTcpVerdict(s, sc.legs, cfg);
    else inferHttpVerdicts(s, sc.legs, cfg).forEach((v, i) => { s.exchanges[i]!.haproxy = v; });
  }
  return sc.sessions;
}

const EXPECTED_LINES: Record<string, number> = {
  'concurrent-identical': 48, 'failures': 10, 'haproxy-send-proxy': 6, 'http-keepalive': 16, 'http-reuse-always': 20, 'http-roundrobin': 13,
  'http-server-down': 3, 'tcp-timeout-client': 1, 'tcp-timeout-server': 1,
};

describe('inferred verdicts agree with haproxy.log', () => {
  it('covers every committed capture with a haproxy.log', () => {
    assert.deepEqual(haproxyScenarios(), Object.keys(EXPECTED_LINES));
  });

  for (const name of Object.keys(EXPECTED_LINES)) {
    it(name, async () => {
      const sc = await loadScenario(name);
      assert.equal(sc.log.length, EXPECTED_LINES[name]);
      const cmp = compareWithLog(verdictsOf(inferAll(sc)), sc.log);
      // One inferred verdict per logged stream, and none HAProxy did not log.
      assert.deepEqual(cmp.unmatched.map((v) => v.logLine), []);
      for (const c of cmp.lines) {
        const raw = c.logged.raw;
        assert.ok(c.inferred, `no verdict for ${raw}`);
        assert.deepEqual(c.differ, [], `${raw}\n  inferred ${c.inferred.logLine}\n  ${formatDifferences(c)}`);
        const mine = parseHaproxyLogLine(c.inferred.logLine);
        assert.ok(mine.kind === c.logged.kind, raw);
        assert.equal(mine.termination, c.logged.termination, raw);
        assert.equal(mine.server, c.logged.server, raw);
        assert.equal(mine.bytesRead, c.logged.bytesRead, raw);
        assert.ok(Math.abs(mine.acceptDate - c.logged.acceptDate) <= 1, `date of ${raw}: ${c.inferred.logLine}`);
        if (mine.kind === 'http' && c.logged.kind === 'http') {
          assert.equal(mine.status, c.logged.status, raw);
          assert.equal(mine.requestLine, c.logged.requestLine, raw);
          for (const k of ['TR', 'Tw', 'Tc', 'Tr', 'Ta'] as const) assertTimer(k, mine.timers[k], c.logged.timers[k], raw);
        } else if (mine.kind === 'tcp' && c.logged.kind === 'tcp') {
          for (const k of ['Tw', 'Tc', 'Tt'] as const) assertTimer(k, mine.timers[k], c.logged.timers[k], raw);
        }
      }
    });
  }
});

function assertTimer(name: string, inferred: number, logged: number, raw: string): void {
  if (logged < 0 || inferred < 0) assert.equal(inferred, logged, `${name} of ${raw}`);
  else assert.ok(Math.abs(inferred - logged) <= 1, `${name} ${inferred} vs logged ${logged}: ${raw}`);
}

describe('verdict details', () => {
  let server: Scenario;
  let client: Scenario;
  let down: Scenario;
  before(async () => {
    [server, client, down] = await Promise.all([loadScenario('tcp-timeout-server'), loadScenario('tcp-timeout-client'), loadScenario('http-server-down')]);
  });

  it('tcp-timeout-server: sD, Tw 1 (no queue: tcp mode logs t_queue - (-1)), Tt to the FIN toward the server', () => {
    const [s] = inferAll(server);
    assert.ok(s?.haproxy);
    assert.equal(s.haproxy.termination, 'sD');
    assert.equal(s.haproxy.timers.Tw, 1);
    assert.equal(s.haproxy.timers.Tc, 0);
    assert.equal(s.haproxy.bytesRead, 1);
    assert.ok(Math.abs(s.haproxy.timers.Tt - 22031) <= 1);
  });

  it('tcp-timeout-client: cD; the RST to the late byte (2 s after the end) does not extend Tt', () => {
    const [s] = inferAll(client);
    assert.ok(s?.haproxy);
    assert.equal(s.haproxy.termination, 'cD');
    assert.ok(Math.abs(s.haproxy.timers.Tt - 3005) <= 1, String(s.haproxy.timers.Tt));
  });

  it('without a configuration, names are the addresses and the rest is unchanged', () => {
    const [s] = inferAll(server, false);
    assert.ok(s?.haproxy);
    const line = parseHaproxyLogLine(s.haproxy.logLine);
    assert.ok(line.kind === 'tcp');
    assert.deepEqual([line.frontend, line.backend, line.server, line.termination], ['127.0.0.22:9000', '127.0.0.4:7', '127.0.0.4:7', 'sD']);
  });

  it('http-server-down: retries counted from the refused attempts the capture shows', () => {
    const lines = verdictsOf(inferAll(down)).map((v) => parseHaproxyLogLine(v.logLine));
    const retries = lines.map((l) => (l.kind === 'http' ? `${l.server} ${l.retries}` : ''));
    assert.deepEqual(retries, ['<NOSRV> 0', 'web1nc 2', '<NOSRV> 0']);
  });
});
