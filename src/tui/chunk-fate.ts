/**
 * What became of a chunk that arrived at the proxy: forwarded (after how long, to which server
 * connection: from the ledger), dropped (inside a drop's time span, never forwarded), or simply
 * not forwarded (a denied request, bytes after the end of a message...).
 */
import type { Session } from '../correlate/model.js';

export type ChunkFate =
  | { kind: 'forwarded'; holdMs: number; serverLeg: number }
  | { kind: 'dropped'; code: string }
  | { kind: 'kept' };

/**
 * `direction`: which way the chunk travels; `serverLeg`: for server → client chunks, the server
 * connection they arrived on (client → server chunks may go to any).
 */
export function chunkFate(s: Session, direction: 'clientToServer' | 'serverToClient', serverLeg: number | null, offset: number, length: number, ts: number): ChunkFate {
  for (const l of s.ledger) {
    if (l.direction !== direction || (serverLeg !== null && l.serverLeg !== serverLeg)) continue;
    if (l.fromOffset < offset + length && offset < l.fromOffset + l.length) {
      return { kind: 'forwarded', holdMs: (l.departed - l.arrived) * 1000, serverLeg: l.serverLeg };
    }
  }
  for (const d of s.drops) {
    if (d.direction === direction && ts >= d.first - 1e-6 && ts <= d.last + 1e-6) return { kind: 'dropped', code: d.code };
  }
  return { kind: 'kept' };
}
