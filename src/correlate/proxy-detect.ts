/**
 * Finds the proxies in a set of legs. A proxy is an address that accepts connections (a
 * listener "ip:port") and, while those are open, opens connections of its own — from the same
 * address or another one (nginx proxy_bind) — whose content or timing follows theirs:
 *  - decisive: a PROXY header naming the accepted connection's client, or a forwarded request
 *    whose X-Forwarded-For / X-Real-IP names it;
 *  - strong: an HTTP request reappearing (same method, target, Host) after it arrived and before
 *    it was answered; the client's bytes (and the server's) reappearing in order;
 *  - weak: only timing — a connection from the listener's own address opened within 50 ms of
 *    the accepted one becoming ready or of a request on it (e.g. refused connects).
 * A follower address other than the listener's needs one decisive or two strong pairs, and must
 * neither be a client of that listener nor be connected to from the listener's address (then it
 * is the next proxy of a chain). `--proxy` entries ("ip" or "ip:port") replace the
 * detection of listeners; follower addresses of the named listeners are still learned.
 */
import type { Leg, ProxyInfo } from './model.js';
import { forwardingNamesClient, requestKey } from './http-match.js';
import { EPS, compareAddresses, compareEndpoints, payloadHead, prefixAgreement, readyTime, requestReady, responseTo, splitEndpoint, synTime, lowerBound } from './leg-util.js';

/** Client legs examined per candidate listener, and followers examined per client leg (bounded work). */
const SAMPLE_PER_LISTENER = 300;
const SCAN_PER_LEG = 400;
const MESSAGES_COMPARED = 32;
/** A proxy connects promptly: timing-only evidence must be this tight (seconds). */
const TIGHT = 0.05;

type Strength = 0 | 1 | 2 | 3;

/** Evidence that address `from` follows listener `listener`. */
interface Link {
  listener: string;
  address: string;
  from: string;
  decisive: number;
  strong: number;
  weak: number;
  /** Servers the following connections went to, clients of the accepted ones. */
  followerServers: Set<string>;
  acceptedFrom: Set<string>;
}

export function detectProxies(legs: readonly Leg[], overrides: readonly string[] = []): ProxyInfo[] {
  const byServer = new Map<string, Leg[]>();
  for (const l of legs) {
    const list = byServer.get(l.server);
    if (list) list.push(l);
    else byServer.set(l.server, [l]);
  }
  const sorted = [...legs].sort((a, b) => synTime(a) - synTime(b));
  const starts = sorted.map(synTime);

  // Address pairs that connect: a follower address the listener's address connects to is the
  // next proxy of a chain, not another address of this one.
  const talksTo = new Set(legs.map((l) => `${l.clientAddress}>${l.serverAddress}`));
  const named = parseOverrides(overrides);
  const candidates = [...byServer.keys()].filter((e) => named === null
    || named.listeners.has(e) || named.addresses.has(splitEndpoint(e).address));

  const links: Link[] = [];
  for (const e of candidates) {
    const accepted = byServer.get(e)!;
    // Addresses that are clients of this listener cannot be its followers.
    const clientsOfE = new Set(accepted.map((l) => l.clientAddress));
    const a = splitEndpoint(e).address;
    const perB = new Map<string, Link>();
    const step = Math.max(1, Math.floor(accepted.length / SAMPLE_PER_LISTENER));
    for (let i = 0; i < accepted.length; i += step) {
      const x = accepted[i]!;
      const best = new Map<string, { s: Strength; y: Leg }>();
      let j = lowerBound(starts, synTime(x) - EPS);
      for (let n = 0; j < sorted.length && n < SCAN_PER_LEG && starts[j]! <= x.end + EPS; j++, n++) {
        const y = sorted[j]!;
        const b = y.clientAddress;
        if (y === x || y.server === e || y.server === x.client) continue;
        if (b !== a && (b === x.clientAddress || clientsOfE.has(b) || talksTo.has(`${a}>${b}`))) continue;
        const s = follows(x, y, a);
        if (s > (best.get(b)?.s ?? 0)) best.set(b, { s, y });
      }
      for (const [b, { s, y }] of best) {
        let t = perB.get(b);
        if (t === undefined) {
          t = { listener: e, address: a, from: b, decisive: 0, strong: 0, weak: 0, followerServers: new Set(), acceptedFrom: new Set() };
          perB.set(b, t);
        }
        if (s === 3) t.decisive++;
        else if (s === 2) t.strong++;
        else t.weak++;
        t.followerServers.add(y.server);
        t.acceptedFrom.add(x.clientAddress);
      }
    }
    for (const t of perB.values()) {
      const ok = t.from === a ? t.decisive + t.strong + t.weak > 0 : t.decisive > 0 || t.strong >= 2;
      if (ok) links.push(t);
    }
  }

  // Union addresses linked by evidence into proxies.
  const uf = new UnionFind();
  const linkedListeners = new Set<string>();
  for (const t of dropInverted(links)) {
    uf.union(t.address, t.from);
    linkedListeners.add(t.listener);
  }
  if (named !== null) {
    const all = [...named.addresses];
    for (const addr of all) uf.union(all[0]!, addr);
  }

  const proxyAddresses = new Set(uf.members());
  const listeners = new Set<string>(linkedListeners);
  if (named !== null) for (const l of named.listeners) listeners.add(l);
  // Other endpoints of a proxy address that take connections from elsewhere are listeners too
  // (a frontend whose requests were all answered locally, a stats page). Explicit ip:port
  // entries name their listeners exactly.
  for (const [e, accepted] of byServer) {
    const a = splitEndpoint(e).address;
    if (!proxyAddresses.has(a)) continue;
    if (named !== null && !named.openAddresses.has(a)) continue;
    if (accepted.some((l) => !proxyAddresses.has(l.clientAddress))) listeners.add(e);
  }

  const groups = new Map<string, ProxyInfo>();
  for (const addr of proxyAddresses) {
    const root = uf.find(addr);
    const g = groups.get(root) ?? { addresses: [], listeners: [] };
    g.addresses.push(addr);
    groups.set(root, g);
  }
  for (const l of listeners) {
    const a = splitEndpoint(l).address;
    uf.union(a, a);
    const root = uf.find(a);
    const g = groups.get(root) ?? { addresses: [a], listeners: [] };
    g.listeners.push(l);
    groups.set(root, g);
  }
  const out = [...groups.values()];
  for (const p of out) {
    p.addresses.sort(compareAddresses);
    p.listeners.sort(compareEndpoints);
  }
  return out.sort((p, q) => compareAddresses(p.addresses[0] ?? '', q.addresses[0] ?? ''));
}

/**
 * A server seen from the wrong side looks like a proxy too: while a proxy's server connection is
 * open, the proxy's clients send it the same requests. Such a link is the inverse of the true one
 * (its followers are the true link's accepted connections and vice versa); of the two, the one
 * with more decisive evidence wins, then the one following from its own address, then the stronger.
 */
function dropInverted(links: readonly Link[]): Link[] {
  const rank = (t: Link): number[] => [t.decisive, t.from === t.address ? 1 : 0, t.strong, t.weak];
  const weaker = (p: Link, q: Link): boolean => {
    const [rp, rq] = [rank(p), rank(q)];
    for (let i = 0; i < rp.length; i++) if (rp[i] !== rq[i]) return rp[i]! < rq[i]!;
    return false;
  };
  const dropped = new Set<Link>();
  for (const p of links) {
    for (const q of links) {
      if (p === q || !p.followerServers.has(q.listener) || !p.acceptedFrom.has(q.from)) continue;
      if (weaker(p, q)) dropped.add(p);
    }
  }
  return links.filter((t) => !dropped.has(t));
}

/** How strongly leg y (opened while x was open) follows x, x being accepted on address `a`. */
function follows(x: Leg, y: Leg, a: string): Strength {
  const pp = y.proxyProtocol;
  if (pp !== null && pp.command === 'PROXY' && pp.source === x.client) return 3;
  let s: Strength = 0;
  if (x.http !== null && y.http !== null) s = requestFollows(x, y);
  else s = bytesFollow(x, y, a);
  if (s === 0 && y.clientAddress === a && tightlyNested(x, y)) s = 1;
  return s;
}

function requestFollows(x: Leg, y: Leg): Strength {
  const xs = x.http!.requests;
  const ys = y.http!.requests;
  let best: Strength = 0;
  for (let i = 0; i < xs.length && i < MESSAGES_COMPARED; i++) {
    const q = xs[i]!;
    const until = (responseTo(x, q)?.firstByteTs ?? x.end) + EPS;
    const from = requestReady(q) - EPS;
    const key = requestKey(q);
    for (let k = 0; k < ys.length && k < MESSAGES_COMPARED; k++) {
      const r = ys[k]!;
      if (r.firstByteTs < from || r.firstByteTs > until || requestKey(r) !== key) continue;
      const fwd = forwardingNamesClient(r, q, [x.clientAddress.toLowerCase()]);
      if (fwd === 'no') continue;
      if (fwd === 'yes') return 3;
      best = 2;
    }
  }
  return best;
}

function bytesFollow(x: Leg, y: Leg, a: string): Strength {
  const up = prefixAgreement(payloadHead(x, 0), payloadHead(y, 0));
  const down = prefixAgreement(payloadHead(x, 1), payloadHead(y, 1));
  if (up < 0 || down < 0) return 0;
  if (up >= 16 || (up >= 1 && down >= 1)) return 2;
  return up >= 1 && y.clientAddress === a ? 1 : 0;
}

/** y's SYN came within TIGHT after x became ready or after one of x's requests / its first data. */
function tightlyNested(x: Leg, y: Leg): boolean {
  const t = synTime(y);
  const triggers = [readyTime(x)];
  if (x.dirs[0].firstDataTs !== null) triggers.push(x.dirs[0].firstDataTs);
  for (const q of (x.http?.requests ?? []).slice(0, MESSAGES_COMPARED)) triggers.push(requestReady(q));
  return triggers.some((tr) => t >= tr - EPS && t <= tr + TIGHT);
}


interface Named {
  addresses: Set<string>;
  listeners: Set<string>;
  /** Addresses given without a port: all their accepting endpoints are listeners. */
  openAddresses: Set<string>;
}

function parseOverrides(list: readonly string[]): Named | null {
  if (list.length === 0) return null;
  const n: Named = { addresses: new Set(), listeners: new Set(), openAddresses: new Set() };
  for (const raw of list) {
    const text = raw.trim();
    if (text === '') continue;
    const e = splitEndpoint(text);
    n.addresses.add(e.address);
    if (e.port === null) n.openAddresses.add(e.address);
    else n.listeners.add(e.address.includes(':') ? `[${e.address}]:${e.port}` : `${e.address}:${e.port}`);
  }
  return n.addresses.size > 0 ? n : null;
}

class UnionFind {
  private readonly parent = new Map<string, string>();

  find(a: string): string {
    if (!this.parent.has(a)) {
      this.parent.set(a, a);
      return a;
    }
    let root = a;
    while (this.parent.get(root) !== root) root = this.parent.get(root)!;
    for (let cur = a; cur !== root;) {
      const next = this.parent.get(cur)!;
      this.parent.set(cur, root);
      cur = next;
    }
    return root;
  }

  union(a: string, b: string): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra !== rb) this.parent.set(rb, ra);
  }

  members(): string[] {
    return [...this.parent.keys()];
  }
}
