import type { TcpConnection } from './connection.js';

/**
 * Open connections by 4-tuple. IPv4 connections live in a power-of-two array of buckets indexed
 * by a 32-bit hash of the canonical (lower endpoint first) tuple, chained through the
 * connections themselves: no strings and no Map on the per-packet path. IPv6 uses string keys.
 * Two recency lists, one of open and one of closed connections, make expiry cost proportional
 * to what expires.
 */
export class ConnectionTable {
  private buckets: (TcpConnection | null)[] = new Array<TcpConnection | null>(1 << 14).fill(null);
  private mask = (1 << 14) - 1;
  private size4 = 0;
  private readonly v6 = new Map<string, TcpConnection>();
  size = 0;
  private readonly open = new RecencyList();
  private readonly closed = new RecencyList();

  static hash4(a: number, aPort: number, b: number, bPort: number): number {
    // Canonical order, so both directions of a connection hash alike.
    if (a > b || (a === b && aPort > bPort)) {
      const t = a; a = b; b = t;
      const tp = aPort; aPort = bPort; bPort = tp;
    }
    let h = Math.imul(a ^ 0x2545f491, 0x9e3779b1);
    h = Math.imul(h ^ (h >>> 15) ^ b, 0x85ebca77);
    h = Math.imul(h ^ (h >>> 13) ^ ((aPort << 16) | bPort), 0xc2b2ae3d);
    return h ^ (h >>> 16);
  }

  /** Doubles the buckets (load above one per bucket) and re-chains every IPv4 connection. */
  private grow(): void {
    const old = this.buckets;
    this.buckets = new Array<TcpConnection | null>(old.length * 2).fill(null);
    this.mask = this.buckets.length - 1;
    for (let head of old) {
      while (head) {
        const next: TcpConnection | null = head.hashNext;
        const i = head.hash4 & this.mask;
        head.hashNext = this.buckets[i] ?? null;
        this.buckets[i] = head;
        head = next;
      }
    }
  }

  static key6(a: string, aPort: number, b: string, bPort: number): string {
    return a < b || (a === b && aPort < bPort) ? `${a}|${aPort}|${b}|${bPort}` : `${b}|${bPort}|${a}|${aPort}`;
  }

  find4(hash: number, src: number, sport: number, dst: number, dport: number): TcpConnection | null {
    for (let c = this.buckets[hash & this.mask] ?? null; c !== null; c = c.hashNext) {
      if (
        (c.clientAddr4 === src && c.clientPort === sport && c.serverAddr4 === dst && c.serverPort === dport) ||
        (c.clientAddr4 === dst && c.clientPort === dport && c.serverAddr4 === src && c.serverPort === sport)
      ) return c;
    }
    return null;
  }

  find6(key: string): TcpConnection | null {
    return this.v6.get(key) ?? null;
  }

  add(c: TcpConnection, hash: number): void {
    if (c.ipVersion === 4) {
      c.hash4 = hash;
      if (++this.size4 > this.buckets.length) this.grow();
      const i = hash & this.mask;
      c.hashNext = this.buckets[i] ?? null;
      this.buckets[i] = c;
    } else {
      this.v6.set(c.key6, c);
    }
    this.open.append(c);
    this.size++;
  }

  remove(c: TcpConnection): void {
    if (c.ipVersion === 4) {
      const i = c.hash4 & this.mask;
      let prev: TcpConnection | null = null;
      for (let x = this.buckets[i] ?? null; x !== null; prev = x, x = x.hashNext) {
        if (x !== c) continue;
        if (prev) prev.hashNext = x.hashNext;
        else this.buckets[i] = x.hashNext;
        this.size4--;
        break;
      }
      c.hashNext = null;
    } else if (this.v6.get(c.key6) === c) {
      this.v6.delete(c.key6);
    }
    (c.inClosedList ? this.closed : this.open).unlink(c);
    this.size--;
  }

  /** Marks a connection active now: moves it to the tail of its recency list. */
  touch(c: TcpConnection): void {
    const list = c.inClosedList ? this.closed : this.open;
    if (list.tail === c) return;
    list.unlink(c);
    list.append(c);
  }

  markClosed(c: TcpConnection): void {
    if (c.inClosedList) return;
    this.open.unlink(c);
    c.inClosedList = true;
    this.closed.append(c);
  }

  oldestOpen(): TcpConnection | null {
    return this.open.head;
  }

  oldestClosed(): TcpConnection | null {
    return this.closed.head;
  }

  all(): TcpConnection[] {
    const out: TcpConnection[] = [];
    for (const list of [this.open, this.closed]) for (let c = list.head; c; c = c.lruNext) out.push(c);
    return out.sort((x, y) => x.start - y.start);
  }
}

class RecencyList {
  head: TcpConnection | null = null;
  tail: TcpConnection | null = null;

  append(c: TcpConnection): void {
    c.lruPrev = this.tail;
    c.lruNext = null;
    if (this.tail) this.tail.lruNext = c;
    else this.head = c;
    this.tail = c;
  }

  unlink(c: TcpConnection): void {
    if (c.lruPrev) c.lruPrev.lruNext = c.lruNext;
    else if (this.head === c) this.head = c.lruNext;
    if (c.lruNext) c.lruNext.lruPrev = c.lruPrev;
    else if (this.tail === c) this.tail = c.lruPrev;
    c.lruPrev = c.lruNext = null;
  }
}
