/**
 * tshark as the oracle on every committed real capture: per connection, frames and frame bytes
 * each way equal `-z conv,tcp`, and the reassembled payload each way equals `-z follow,tcp,raw`.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { runPipeline } from '../src/pipeline.js';
import { connectionJson, type ConnectionJson } from '../src/report/connection-json.js';
import { committedCaptures, needTool, ROOT } from './helpers/tools.js';

interface Ours {
  json: ConnectionJson;
  payload: [Buffer[], Buffer[]];
}

async function analyse(file: string): Promise<Ours[]> {
  const byId = new Map<string, Ours>();
  const conns: Ours[] = [];
  await runPipeline({
    files: [file],
    handler: {
      open: (c) => {
        const o: Ours = { json: null as unknown as ConnectionJson, payload: [[], []] };
        byId.set(c.id, o);
        conns.push(o);
      },
      data: (c, dir, _off, data) => byId.get(c.id)!.payload[dir].push(Buffer.from(data)),
      close: (c) => {
        byId.get(c.id)!.json = connectionJson(c);
      },
    },
  });
  return conns;
}

function tshark(args: string[]): string {
  const r = spawnSync('tshark', args, { encoding: 'utf8', maxBuffer: 256 << 20 });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

interface ConvRow {
  a: string;
  b: string;
  /** Frames and bytes from b to a ("<-") and from a to b ("->"). */
  framesBA: number;
  bytesBA: number;
  framesAB: number;
  bytesAB: number;
}

function parseConv(out: string): ConvRow[] {
  const rows: ConvRow[] = [];
  const re = /^(\S+)\s+<->\s+(\S+)\s+(\d+)\s+(\d+) bytes\s+(\d+)\s+(\d+) bytes/;
  for (const line of out.split('\n')) {
    const m = re.exec(line);
    if (!m) continue;
    rows.push({ a: m[1]!, b: m[2]!, framesBA: +m[3]!, bytesBA: +m[4]!, framesAB: +m[5]!, bytesAB: +m[6]! });
  }
  return rows;
}

/** `-z follow,tcp,raw,N` blocks: node 0 endpoint, node 1 endpoint, and each node's bytes. */
function parseFollow(out: string): { node0: string; node1: string; data: [Buffer, Buffer] }[] {
  const blocks: { node0: string; node1: string; data: [Buffer, Buffer] }[] = [];
  for (const block of out.split('===================================================================')) {
    const n0 = /Node 0: (\S+)/.exec(block);
    const n1 = /Node 1: (\S+)/.exec(block);
    if (!n0 || !n1) continue;
    const parts: [string[], string[]] = [[], []];
    const lines = block.split('\n');
    const start = lines.findIndex((l) => l.startsWith('Node 1:')) + 1;
    for (const line of lines.slice(start)) {
      if (line.trim() === '') continue;
      if (line.startsWith('\t')) parts[1].push(line.trim());
      else parts[0].push(line.trim());
    }
    blocks.push({ node0: n0[1]!, node1: n1[1]!, data: [Buffer.from(parts[0].join(''), 'hex'), Buffer.from(parts[1].join(''), 'hex')] });
  }
  return blocks;
}

const captures = committedCaptures();

test('there are committed real captures to check', () => {
  assert.ok(captures.length >= 5, `captures found: ${captures.join(', ')}`);
});

for (const file of captures) {
  const name = path.relative(ROOT, file);

  test(`${name}: frames and bytes per connection equal tshark conv,tcp`, async (t) => {
    if (!needTool(t, 'tshark')) return;
    const ours = await analyse(file);
    const rows = parseConv(tshark(['-r', file, '-q', '-z', 'conv,tcp']));
    assert.ok(rows.length > 0);
    assert.equal(rows.length, ours.length, 'one conversation per connection');
    for (const row of rows) {
      const o = ours.find((x) => (x.json.client === row.a && x.json.server === row.b) || (x.json.client === row.b && x.json.server === row.a));
      assert.ok(o, `tshark conversation ${row.a} <-> ${row.b} not found`);
      const aIsClient = o.json.client === row.a;
      const fromA = aIsClient ? 'clientToServer' : 'serverToClient';
      const fromB = aIsClient ? 'serverToClient' : 'clientToServer';
      assert.deepEqual(
        [o.json.packets[fromA], o.json.frameBytes[fromA], o.json.packets[fromB], o.json.frameBytes[fromB]],
        [row.framesAB, row.bytesAB, row.framesBA, row.bytesBA],
        `${row.a} <-> ${row.b}`,
      );
    }
  });

  test(`${name}: reassembled payloads equal tshark follow,tcp,raw`, async (t) => {
    if (!needTool(t, 'tshark')) return;
    const ours = await analyse(file);
    const args = ['-r', file, '-q'];
    for (let i = 0; i < ours.length; i++) args.push('-z', `follow,tcp,raw,${i}`);
    const blocks = parseFollow(tshark(args));
    assert.equal(blocks.length, ours.length);
    let payloadBytes = 0;
    for (const b of blocks) {
      const o = ours.find((x) => (x.json.client === b.node0 && x.json.server === b.node1) || (x.json.client === b.node1 && x.json.server === b.node0));
      assert.ok(o, `stream ${b.node0} <-> ${b.node1} not found`);
      const node0IsClient = o.json.client === b.node0;
      const c2s = Buffer.concat(o.payload[0]);
      const s2c = Buffer.concat(o.payload[1]);
      assert.deepEqual(node0IsClient ? c2s : s2c, b.data[0], `${b.node0} -> ${b.node1}`);
      assert.deepEqual(node0IsClient ? s2c : c2s, b.data[1], `${b.node1} -> ${b.node0}`);
      // Sequence-space byte counts equal the payload when nothing is missing.
      assert.equal(o.json.bytes.clientToServer, c2s.length + o.json.missedBytes.clientToServer);
      assert.equal(o.json.bytes.serverToClient, s2c.length + o.json.missedBytes.serverToClient);
      payloadBytes += c2s.length + s2c.length;
    }
    assert.ok(payloadBytes > 0);
  });
}
