/**
 * Where bytes were lost, when a leg was seen at two capture points (one on the proxy's path, one
 * beyond it: the client's host, or the server's). Bytes the point nearer the sender saw and the
 * one nearer the receiver never did, and that the receiver never acknowledged, were lost on the
 * network between the two:
 *   lost_between_client_and_proxy   on the client leg, either way;
 *   lost_between_proxy_and_server   on a server leg, either way.
 * Bytes lost inside the proxy (taken in, never passed on) are the other drops (drops.ts). Bytes
 * the receiver did acknowledge only escaped a capture: they reached it, and are not drops.
 *
 * "On the proxy's path" is a point that saw the client leg and one of its server legs (a capture
 * on the proxy host). Without one, the two views of a leg cannot be put in order and nothing is
 * located.
 */
import type { Drop, Leg, LegDirection, LegView, Session } from './model.js';

export type LossCode = 'lost_between_client_and_proxy' | 'lost_between_proxy_and_server';

export function pointLosses(session: Session, legs: ReadonlyMap<string, Leg>, files: readonly string[]): Drop[] {
  const client = legs.get(session.id);
  if (!client) return [];
  const servers = session.serverLegs.flatMap((r) => legs.get(r.leg) ?? []);
  if (client.views === undefined && servers.every((l) => l.views === undefined)) return [];
  const onPath = new Set(client.captures.filter((p) => servers.some((l) => l.captures.includes(p))));
  if (onPath.size === 0) return [];
  const out: Drop[] = [];
  const name = (p: number): string => files[p] ?? `capture ${p}`;
  if (client.views) locate(client.views, onPath, 'client', name, out);
  for (const l of servers) if (l.views) locate(l.views, onPath, 'server', name, out);
  return out;
}

function locate(views: readonly LegView[], onPath: ReadonlySet<number>, side: 'client' | 'server', name: (p: number) => string, out: Drop[]): void {
  const near = views.find((v) => onPath.has(v.capture));
  const far = views.find((v) => !onPath.has(v.capture));
  if (!near || !far) return;
  for (const dir of [0, 1] as const) {
    // Client leg: the client sends dir 0 (far → near); server leg: the proxy sends dir 0 (near → far).
    const fromFar = (side === 'client') === (dir === 0);
    const up = fromFar ? far : near;
    const down = fromFar ? near : far;
    const acked = Math.max(...views.map((v) => lastAck(v.dirs[dir])));
    const lost = missing(up.dirs[dir], down.dirs[dir], acked);
    if (lost === null) continue;
    const code: LossCode = side === 'client' ? 'lost_between_client_and_proxy' : 'lost_between_proxy_and_server';
    const sender = side === 'client' ? (dir === 0 ? 'the client' : 'the proxy') : dir === 0 ? 'the proxy' : 'the server';
    const receiver = side === 'client' ? (dir === 0 ? 'the proxy' : 'the client') : dir === 0 ? 'the server' : 'the proxy';
    out.push({
      direction: dir === 0 ? 'clientToServer' : 'serverToClient',
      bytes: lost.bytes,
      first: lost.first,
      last: lost.last,
      cause: `sent by ${sender} (seen in ${name(up.capture)}), never seen in ${name(down.capture)} nor acknowledged by ${receiver}: lost on the network between ${side === 'client' ? 'the client and the proxy' : 'the proxy and the server'}`,
      code,
    });
  }
}

function lastAck(d: LegDirection): number {
  return d.acks.length >= 2 ? d.acks[d.acks.length - 2]! : 0;
}

/**
 * Bytes of the upstream view's delivery chunks that the downstream view has no chunk for, above
 * `acked`; with the upstream times of the first and last of them. null when none.
 */
export function missing(up: LegDirection, down: LegDirection, acked: number): { bytes: number; first: number; last: number } | null {
  let bytes = 0;
  let first = Infinity;
  let last = -Infinity;
  const dc = down.chunks;
  let j = 0;
  for (let i = 0; i < up.chunks.length; i += 3) {
    let from = Math.max(up.chunks[i]!, acked);
    const to = up.chunks[i]! + up.chunks[i + 1]!;
    const ts = up.chunks[i + 2]!;
    // Downstream chunks are in offset order too: walk them alongside.
    while (j < dc.length && dc[j]! + dc[j + 1]! <= from) j += 3;
    for (let k = j; from < to; k += 3) {
      const ds = k < dc.length ? dc[k]! : Infinity;
      const de = k < dc.length ? ds + dc[k + 1]! : Infinity;
      if (ds > from) {
        const n = Math.min(ds, to) - from;
        bytes += n;
        if (ts < first) first = ts;
        if (ts > last) last = ts;
      }
      from = Math.max(from, Math.min(de, to));
    }
  }
  return bytes > 0 ? { bytes, first, last } : null;
}
