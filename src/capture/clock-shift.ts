/**
 * A source read on another capture point's clock: every record's timestamp minus the point's
 * offset (its clock − the reference's), before the merge, so merge order and every timer use
 * the corrected time. Whole nanoseconds: the offset is rounded once, the records are shifted exactly.
 */
import type { PacketRecord, PacketSource } from './packet-record.js';

export function shiftedSource(inner: PacketSource, offsetSeconds: number): PacketSource {
  const shiftNs = Math.round(offsetSeconds * 1e9);
  if (shiftNs === 0) return inner;
  const secs = Math.floor(shiftNs / 1e9);
  const nsec = shiftNs - secs * 1e9;
  return {
    info: inner.info,
    nextSync(): PacketRecord | null | 'more' {
      const r = inner.nextSync();
      if (r === null || r === 'more') return r;
      // The reader rewrites tsSec/tsNsec for every record, so shifting its object in place is safe.
      let ns = r.tsNsec - nsec;
      let s = r.tsSec - secs;
      if (ns < 0) {
        ns += 1e9;
        s--;
      }
      r.tsSec = s;
      r.tsNsec = ns;
      return r;
    },
    fill: () => inner.fill(),
    close: () => inner.close(),
  };
}
