/**
 * findDrops on the committed captures. The two tcp timeout scenarios are checked byte for byte
 * against what their tools recorded (clients.jsonl / servers.jsonl): the bytes one end sent that
 * the other never received, less those that never reached the proxy host.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findDrops } from '../src/correlate/drops.js';
import type { Drop } from '../src/correlate/model.js';
import { haproxyScenarios, jsonl, loadScenario, type Scenario } from './helpers/verdict-sessions.js';

function dropsOf(sc: Scenario, withConfig = true): Drop[] {
  return sc.sessions.flatMap((s) => findDrops(s, sc.legs, withConfig ? sc.cfg : undefined));
}

/** Sum of `bytes` over the records of one event. */
function total(records: Record<string, unknown>[], event: string): number {
  return records.filter((r) => r['event'] === event).reduce((n, r) => n + Number(r['bytes'] ?? 0), 0);
}

describe('drops', () => {
  it('tcp-timeout-server: the 4 echoes after `timeout server` were ACKed by the proxy and never reached the client', async () => {
    const sc = await loadScenario('tcp-timeout-server');
    const clients = jsonl(sc, 'clients.jsonl');
    const servers = jsonl(sc, 'servers.jsonl');
    // Ground truth: the echo server sent 5 bytes, the client received 1; the client sent 5, the server got 5.
    const lostToClient = total(servers, 'sent') - total(clients, 'recv');
    assert.equal(lostToClient, 4);
    assert.equal(total(clients, 'sent') - total(servers, 'recv'), 0);

    const drops = dropsOf(sc);
    assert.equal(drops.length, 1, JSON.stringify(drops));
    const [d] = drops;
    assert.ok(d);
    assert.equal(d.direction, 'serverToClient');
    assert.equal(d.bytes, lostToClient);
    assert.equal(d.code, 'proxy_closed_other_side');
    assert.match(d.cause, /closed its side toward the client \(FIN/);
    assert.match(d.cause, /timeout server \(3\.0\d\d s without server traffic; configured 3s\)/);
    // First: the echo of 'b'; last: the echo of 'e' (the server's own timestamps, a few µs earlier).
    const echoes = servers.filter((r) => r['event'] === 'sent').map((r) => Number(r['t']));
    assert.ok(Math.abs(d.first - echoes[1]!) < 0.005 && Math.abs(d.last - echoes[4]!) < 0.005, `${d.first} ${d.last} ${echoes.join(' ')}`);
  });

  it('tcp-timeout-client: the late byte was answered with RST, never ACKed, after `timeout client` ended the session', async () => {
    const sc = await loadScenario('tcp-timeout-client');
    const clients = jsonl(sc, 'clients.jsonl');
    const servers = jsonl(sc, 'servers.jsonl');
    // The client wrote 3 bytes, but 'c' failed locally with EPIPE (no packet): 2 reached the proxy host.
    const failed = clients.filter((r) => r['event'] === 'write-error').length;
    const onTheWire = total(clients, 'sent') - failed;
    assert.equal(onTheWire - total(servers, 'recv'), 1);
    assert.equal(total(servers, 'sent') - total(clients, 'recv'), 0);

    const drops = dropsOf(sc);
    assert.equal(drops.length, 1, JSON.stringify(drops));
    const [d] = drops;
    assert.ok(d);
    assert.equal(d.direction, 'clientToServer');
    assert.equal(d.bytes, 1);
    assert.equal(d.code, 'after_session_end');
    assert.match(d.cause, /RST/);
    assert.match(d.cause, /never ACKed/);
    assert.match(d.cause, /timeout client \(3\.0\d\d s without client traffic; configured 3s\)/);
    const late = clients.filter((r) => r['event'] === 'sent' && r['text'] === 'b').map((r) => Number(r['t']));
    assert.ok(Math.abs(d.first - late[0]!) < 0.005);
  });

  it('without a configuration the timeout is still named and measured', async () => {
    const sc = await loadScenario('tcp-timeout-server');
    const [d] = dropsOf(sc, false);
    assert.ok(d);
    assert.match(d.cause, /timeout server \(3\.0\d\d s without server traffic\)/);
  });

  it('http-server-down: the requests whose server connection failed were never forwarded', async () => {
    const drops = dropsOf(await loadScenario('http-server-down'));
    assert.deepEqual(drops.map((d) => [d.direction, d.bytes, d.code]), [
      ['clientToServer', 93, 'server_never_connected'],
      ['clientToServer', 97, 'server_never_connected'],
      ['clientToServer', 93, 'server_never_connected'],
    ]);
    assert.match(drops[1]!.cause, /3 attempts, 3 refused with RST/);
    assert.match(drops[0]!.cause, /no server was available/);
  });

  it('the other captures drop nothing (truncated responses and aborted uploads were forwarded as far as they came)', async () => {
    for (const name of haproxyScenarios().filter((n) => !['tcp-timeout-server', 'tcp-timeout-client', 'http-server-down'].includes(n))) {
      assert.deepEqual(dropsOf(await loadScenario(name)), [], name);
    }
  });
});
