/**
 * The PROXY protocol parser on a real capture: captures/haproxy-send-proxy, where HAProxy 2.6
 * sends v1 to web1 (send-proxy) and v2 to web2 (send-proxy-v2), health checks included. Ground
 * truth: servers.jsonl, where the backends recorded each header they parsed ("proxy-header"
 * events), clients.jsonl and haproxy.log.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { parseProxyProtocol, type ProxyHeader } from '../src/app/proxy-protocol/parse-proxy-protocol.js';
import { runPipeline } from '../src/pipeline.js';
import { ROOT } from './helpers/tools.js';

const DIR = path.join(ROOT, 'captures', 'haproxy-send-proxy');
const SERVERS: Record<string, string> = { '127.0.0.2:80': 'web1', '127.0.0.3:80': 'web2' };
const FRONTEND = '127.0.0.22:80'; // bind of fe_http in haproxy.cfg
const KEEP = 512;

interface ServerLeg {
  client: string;
  server: string;
  name: string;
  first: Buffer;
}

/** servers.jsonl "proxy-header" events: remote is the proxy's end of the server connection. */
interface ProxyHeaderEvent {
  server: string;
  event: string;
  remote: string;
  version: 1 | 2;
  command?: 'PROXY' | 'LOCAL';
  src?: string;
  dst?: string;
}

function jsonl<T>(file: string): T[] {
  return fs.readFileSync(path.join(DIR, file), 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as T);
}

function parsed(leg: ServerLeg): ProxyHeader {
  const r = parseProxyProtocol(leg.first);
  assert.equal(r.status, 'ok', `${leg.client} -> ${leg.server}: ${JSON.stringify(r)}`);
  return (r as { header: ProxyHeader }).header;
}

describe('PROXY headers in captures/haproxy-send-proxy', () => {
  const legs: ServerLeg[] = [];
  const clientLegs: string[] = [];

  before(async () => {
    const byId = new Map<string, ServerLeg>();
    await runPipeline({
      files: [path.join(DIR, 'capture.pcap')],
      handler: {
        open: (c) => {
          const name = SERVERS[c.server];
          if (name !== undefined) {
            // Strings now: the reassembler recycles connection objects after close.
            const leg: ServerLeg = { client: c.client, server: c.server, name, first: Buffer.alloc(0) };
            byId.set(c.id, leg);
            legs.push(leg);
          } else if (c.server === FRONTEND) {
            clientLegs.push(c.client);
          }
        },
        data: (c, dir, offset, data) => {
          const leg = byId.get(c.id);
          if (leg === undefined || dir !== 0 || offset >= KEEP || offset !== leg.first.length) return;
          leg.first = Buffer.concat([leg.first, data.subarray(0, KEEP - offset)]);
        },
      },
    });
  });

  it('every proxy→server connection starts with a header: v1 to web1, v2 to web2', () => {
    assert.equal(legs.length, 11); // 6 requests + 5 health checks
    for (const leg of legs) assert.equal(parsed(leg).version, leg.name === 'web1' ? 1 : 2, leg.client);
  });

  it('each header equals what the backend recorded in servers.jsonl', () => {
    const events = jsonl<ProxyHeaderEvent>('servers.jsonl').filter((e) => e.event === 'proxy-header');
    assert.equal(events.length, legs.length);
    for (const e of events) {
      const leg = legs.find((l) => l.client === e.remote && l.name === e.server);
      assert.ok(leg, `no ${e.server} connection from ${e.remote} in the capture`);
      const h = parsed(leg);
      assert.equal(h.version, e.version);
      assert.equal(h.command, e.command ?? 'PROXY');
      assert.equal(h.source, e.src ?? null);
      assert.equal(h.destination, e.dst ?? null);
    }
  });

  it('request headers name the real client and the frontend address; the request follows', () => {
    const requests = legs.filter((l) => parsed(l).source?.startsWith('127.0.0.9'));
    assert.equal(requests.length, 6);
    // The six client connections of clients.jsonl and of the capture, in order.
    const connects = jsonl<{ event: string; local: string }>('clients.jsonl').filter((e) => e.event === 'connect').map((e) => e.local);
    assert.deepEqual(requests.map((l) => parsed(l).source), connects);
    assert.deepEqual(clientLegs, connects);
    for (const leg of requests) {
      const h = parsed(leg);
      assert.equal(h.destination, FRONTEND);
      assert.equal(h.family, 'TCP4');
      assert.equal(leg.first.subarray(h.length, h.length + 16).toString('latin1'), 'GET / HTTP/1.1\r\n');
    }
    const first = requests[0];
    assert.ok(first);
    assert.equal(first.first.subarray(0, parsed(first).length).toString('latin1'), 'PROXY TCP4 127.0.0.90 127.0.0.22 33513 80\r\n');
    // Second request: v2, 16 + 12 bytes, client 127.0.0.90:41315 (0xa163), frontend port 80.
    const second = requests[1];
    assert.ok(second);
    assert.equal(second.first.subarray(0, 28).toString('hex'), '0d0a0d0a000d0a515549540a211100' + '0c7f00005a7f000016a1630050');
  });

  it('haproxy.log pairs each client connection with the server that got its header', () => {
    const lines = fs.readFileSync(path.join(DIR, 'haproxy.log'), 'utf8').split('\n');
    const logged = lines.flatMap((l) => {
      const m = /^(\S+) \[[^\]]+\] fe_http be_web\/(web\d) /.exec(l);
      return m ? [{ client: m[1], server: m[2] }] : [];
    });
    assert.equal(logged.length, 6);
    for (const { client, server } of logged) {
      const leg = legs.find((l) => parsed(l).source === client);
      assert.equal(leg?.name, server, client);
    }
  });

  it('health checks: v1 carries the check connection itself, v2 uses LOCAL', () => {
    const checks = legs.filter((l) => !parsed(l).source?.startsWith('127.0.0.9'));
    assert.equal(checks.length, 5);
    for (const leg of checks) {
      const h = parsed(leg);
      if (h.version === 1) {
        assert.deepEqual([h.command, h.source, h.destination], ['PROXY', leg.client, leg.server]);
      } else {
        assert.deepEqual([h.command, h.family, h.source, h.destination, h.length], ['LOCAL', 'UNSPEC', null, null, 16]);
      }
      assert.equal(leg.first.subarray(h.length, h.length + 16).toString('latin1'), 'GET /index.html ');
    }
  });

  it('the real headers, fed a byte at a time, stay incomplete until whole', () => {
    for (const leg of legs) {
      const total = parsed(leg).length;
      for (let n = 0; n < total; n++) assert.equal(parseProxyProtocol(leg.first.subarray(0, n)).status, 'incomplete');
    }
  });
});
