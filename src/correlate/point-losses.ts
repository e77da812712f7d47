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
import type { Drop, Leg, LegDirection, LegView, Loss, Session } from './model.js';

export type LossCode = 'lost_between_client_and_proxy' | 'lost_between_proxy_and_server' | 'lost_inside_proxy_host';

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

/**
 * Segments that were lost and retransmitted, so delivered late rather than dropped: located by
 * comparing the two views of a leg. The point nearer the sender saw a copy and a retransmission;
 *  - the point nearer the receiver saw only one copy, at the time of a later one: the earlier
 *    copies were lost between the two points (lost_between_client_and_proxy / _proxy_and_server);
 *  - the proxy's point saw both copies of bytes sent to the proxy, and the proxy host acknowledged
 *    none before the retransmission: its capture saw the first copy, its stack never took it
 *    (a firewall, a full queue): lost_inside_proxy_host.
 * A retransmission whose first copy was acknowledged in time (the ACK lost or late on its way
 * back) loses no data, and is not listed.
 */
export function recoveredLosses(session: Session, legs: ReadonlyMap<string, Leg>, files: readonly string[]): Loss[] {
  const client = legs.get(session.id);
  if (!client) return [];
  const servers = session.serverLegs.map((r) => legs.get(r.leg) ?? null);
  if (client.views === undefined && servers.every((l) => l?.views === undefined)) return [];
  const onPath = new Set(client.captures.filter((p) => servers.some((l) => l?.captures.includes(p))));
  if (onPath.size === 0) return [];
  const name = (p: number): string => files[p] ?? `capture ${p}`;
  const out: Loss[] = [];
  if (client.views) locateResent(client.views, onPath, 'client', name, out);
  servers.forEach((l, i) => {
    if (l?.views) locateResent(l.views, onPath, i, name, out);
  });
  return out;
}

function locateResent(views: readonly LegView[], onPath: ReadonlySet<number>, leg: 'client' | number, name: (p: number) => string, out: Loss[]): void {
  const near = views.find((v) => onPath.has(v.capture));
  const far = views.find((v) => !onPath.has(v.capture));
  if (!near || !far) return;
  const side = leg === 'client' ? 'client' : 'server';
  for (const dir of [0, 1] as const) {
    const fromFar = (side === 'client') === (dir === 0);
    const up = (fromFar ? far : near).dirs[dir];
    const down = (fromFar ? near : far).dirs[dir];
    const upName = name((fromFar ? far : near).capture);
    const downName = name((fromFar ? near : far).capture);
    const sender = side === 'client' ? (dir === 0 ? 'the client' : 'the proxy') : dir === 0 ? 'the proxy' : 'the server';
    const where = side === 'client' ? 'between the client and the proxy' : 'between the proxy and the server';
    const resent = up.resent ?? [];
    const done = new Set<number>();
    for (let i = 0; i < resent.length; i += 3) {
      const offset = resent[i]!;
      const bytes = resent[i + 1]!;
      if (bytes <= 0 || done.has(offset)) continue;
      done.add(offset);
      const sent = firstCopyAt(up.chunks, offset);
      const seen = firstCopyAt(down.chunks, offset);
      if (sent === null || seen === null) continue;
      // Every copy the upstream point saw of these bytes, in order: the first, then the retransmissions.
      const copies = [sent];
      for (let k = i; k < resent.length; k += 3) if (resent[k] === offset) copies.push(resent[k + 2]!);
      const base = { leg, direction: dir === 0 ? 'clientToServer' : 'serverToClient', offset, bytes, sent } as const;
      if (!covers(down.resent, offset)) {
        // One copy downstream: the one nearest in time to it got through, the earlier ones were lost.
        let k = 0;
        for (let j = 1; j < copies.length; j++) if (Math.abs(copies[j]! - seen) < Math.abs(copies[k]! - seen)) k = j;
        if (k === 0) continue;
        const code: LossCode = side === 'client' ? 'lost_between_client_and_proxy' : 'lost_between_proxy_and_server';
        out.push({
          ...base, copiesLost: k, resent: copies[k]!, code,
          cause: `${bytes} B sent by ${sender} (seen in ${upName}) never reached ${downName}: lost on the network ${where}; retransmitted after ${ms(copies[k]! - sent)}`,
        });
      } else if (fromFar) {
        // Sent to the proxy (down is the proxy's point), both copies captured there: did the
        // proxy host acknowledge the first before the retransmission?
        const acked = ackedAt(down.acks, offset);
        const retry = copies[1]!;
        if (acked !== null && acked < retry) continue;
        out.push({
          ...base, copiesLost: 1, resent: retry, code: 'lost_inside_proxy_host',
          cause: `${bytes} B sent by ${sender} reached ${downName}, but the proxy host acknowledged them only after ${sender} retransmitted them ${ms(retry - sent)} later: dropped inside the proxy host, after its capture point (a firewall rule, a full queue)`,
        });
      }
    }
  }
}

const ms = (s: number): string => `${(s * 1000).toFixed(3)} ms`;

/** Capture time of the first copy of the byte at `offset` ([offset, length, ts] chunks), or null. */
function firstCopyAt(chunks: readonly number[], offset: number): number | null {
  for (let i = 0; i < chunks.length; i += 3) {
    if (chunks[i]! <= offset && offset < chunks[i]! + chunks[i + 1]!) return chunks[i + 2]!;
  }
  return null;
}

function covers(resent: readonly number[] | undefined, offset: number): boolean {
  if (!resent) return false;
  for (let i = 0; i < resent.length; i += 3) if (resent[i]! <= offset && offset < resent[i]! + resent[i + 1]!) return true;
  return false;
}

/** When the receiver first acknowledged the byte at `offset` ([ackedOffset, ts] pairs), or null. */
function ackedAt(acks: readonly number[], offset: number): number | null {
  for (let i = 0; i < acks.length; i += 2) if (acks[i]! > offset) return acks[i + 1]!;
  return null;
}

/**
 * Requests whose bytes were dropped inside the proxy host (lost_inside_proxy_host on the client
 * leg): the proxy's capture saw them at the first copy, HAProxy read them at the retransmission.
 * Their times (and their exchanges') move to the retransmission's arrival in the proxy's capture,
 * so the timers are read as HAProxy measured them (Tw, TR and the log date, not 200 ms of "queue").
 * Responses dropped that way are not retimed (never seen yet); the ledger keeps the first copy's time.
 */
export function retimeTakenLate(session: Session, legs: ReadonlyMap<string, Leg>, losses: readonly Loss[]): void {
  const client = legs.get(session.id);
  if (!client?.http || !client.views) return;
  for (const loss of losses) {
    if (loss.code !== 'lost_inside_proxy_host' || loss.leg !== 'client' || loss.direction !== 'clientToServer') continue;
    // The leg's own times are its preferred view's: retime only when that is a view holding both copies.
    const taken = resentAt(client.dirs[0].resent, loss.offset);
    if (taken === null) continue;
    for (const r of client.http.requests) {
      if (loss.offset < r.offset || loss.offset >= r.endOffset) continue;
      const before = r.firstByteTs;
      if (loss.offset === r.offset) r.firstByteTs = taken;
      if (loss.offset < r.headerEndOffset && r.headersCompleteTs >= 0) r.headersCompleteTs = Math.max(r.headersCompleteTs, taken);
      r.lastByteTs = Math.max(r.lastByteTs, taken);
      for (const e of session.exchanges) {
        if (e.requestStart !== before) continue;
        e.requestStart = r.firstByteTs;
        if (e.requestHeadersDone !== null) e.requestHeadersDone = r.headersCompleteTs;
      }
    }
  }
}

/** Capture time of the first retransmission covering `offset`, or null. */
function resentAt(resent: readonly number[] | undefined, offset: number): number | null {
  if (!resent) return null;
  for (let i = 0; i < resent.length; i += 3) if (resent[i]! <= offset && offset < resent[i]! + resent[i + 1]!) return resent[i + 2]!;
  return null;
}
