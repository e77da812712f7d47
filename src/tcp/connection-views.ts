/**
 * Several capture points (one file each, one reassembler each): the views of one real TCP
 * connection get one shared id. A view is the connection as one point saw it; two points never
 * merge their packets, so a segment seen at both is one segment seen twice, not a retransmission.
 *
 * A view joins a connection another point has open on the same 4-tuple unless the client's ISNs
 * (from a SYN, or a SYN-ACK's ACK) differ, and unless this point already gave it a view (a
 * reused port). The entry goes once its last open view closes: a point that starts seeing the
 * connection after that (its file starts later) gets a new id.
 */
import { TCP_ACK, TCP_SYN, type DecodedPacket } from '../decode/decoded-packet.js';

interface Entry {
  id: number;
  /** Client ISN, -1 when no view has seen the handshake. */
  isn: number;
  /** Points (bit per capture index, first 31) that gave a view. */
  points: number;
  open: number;
  /** Total views (for handlers: the first view opens the connection). */
  views: number;
  key: string;
}

export class ConnectionViews {
  private nextId = 1;
  private readonly byKey = new Map<string, Entry[]>();
  private readonly byId = new Map<number, Entry>();

  /** A point opens a view (its reassembler's first packet of it): the connection's id. */
  open(point: number, key: string, pkt: DecodedPacket): number {
    const isn = clientIsn(pkt);
    const bit = point < 31 ? 1 << point : 0;
    const list = this.byKey.get(key);
    if (list) {
      for (const e of list) {
        if (e.points & bit) continue;
        if (isn >= 0 && e.isn >= 0 && isn !== e.isn) continue;
        e.points |= bit;
        e.open++;
        e.views++;
        if (e.isn < 0) e.isn = isn;
        return e.id;
      }
    }
    const e: Entry = { id: this.nextId++, isn, points: bit, open: 1, views: 1, key };
    if (list) list.push(e);
    else this.byKey.set(key, [e]);
    this.byId.set(e.id, e);
    return e.id;
  }

  /** Views of the connection opened so far (1 at the first). */
  views(id: number): number {
    return this.byId.get(id)?.views ?? 0;
  }

  /** A view completed (called before its handler's close): views of it still open. */
  close(id: number): number {
    const e = this.byId.get(id);
    if (!e) return 0;
    e.open--;
    if (e.open > 0) return e.open;
    this.byId.delete(id);
    const list = this.byKey.get(e.key)!;
    list.splice(list.indexOf(e), 1);
    if (list.length === 0) this.byKey.delete(e.key);
    return 0;
  }

  /** Views still open (0 once the last closed). */
  openViews(id: number): number {
    return this.byId.get(id)?.open ?? 0;
  }
}

function clientIsn(pkt: DecodedPacket): number {
  const f = pkt.flags & (TCP_SYN | TCP_ACK);
  if (f === TCP_SYN) return pkt.seq >>> 0;
  if (f === (TCP_SYN | TCP_ACK)) return (pkt.ack - 1) >>> 0;
  return -1;
}
