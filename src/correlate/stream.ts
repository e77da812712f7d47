/**
 * Streaming correlation: sessions come out as connections complete, and legs are let go once the
 * sessions that need them are out, so memory follows the traffic in flight, not the capture.
 *
 *  1. Warm-up: the first legs (WARMUP_LEGS, or WARMUP_SECONDS of capture once there are
 *     WARMUP_MIN_LEGS) are held, then the proxies are detected on them (proxy-detect.ts; --proxy
 *     still learns follower addresses). A capture that ends before is correlated in one batch,
 *     exactly as correlate() does.
 *  2. Then each leg is sorted on arrival, per proxy: a client leg (to a listener; a proxy address
 *     taking connections from elsewhere becomes a listener), a server-side leg (from a proxy
 *     address), or neither (let go at once).
 *  3. A client leg is complete when nothing that could still change its pairing can come:
 *     every server-side leg that could carry one of its requests has closed (the proxy only opens
 *     them while the client leg is open, or up to QUEUE_SLACK after for a queued request), and
 *     no other client leg that could compete for them is still open. With `horizon(C)` the last
 *     moment a server request of C's can be sent (its answer to the client, its end, the connect
 *     retries' window), C is complete once the FRONTIER — the start of the oldest connection
 *     still open among the proxies' legs, or the capture's present — has passed it, and every
 *     server leg C used has closed before the frontier (so which sessions share it is known).
 *  4. When the reader finishes a chunk (`pump`), the pending client legs of each proxy are paired
 *     (pairProxy: tcp, then http) against the server legs still held, minus what sessions already
 *     out took; the complete ones become sessions (verdicts, drops by the caller's `onSession`),
 *     in order of start. The others wait for the next round.
 *  5. A server-side leg is let go when no pending client leg started before it ended and the
 *     frontier has passed its end; one no session used is reported as a server-only connection.
 *
 * The frontier trails the present by the longest connection in flight (and the tcp stage's
 * close linger); a connection open longer than MAX_LAG no longer holds it back (its later pairings
 * may then miss server legs already let go). Results equal the batch ones except where a window
 * cut separates competitors (identical concurrent requests of a pending and a finished client).
 */
import type { HttpRequest } from '../app/http/index.js';
import type { TcpConnection } from '../tcp/connection.js';
import { correlate, pairProxy, type LedgerDetail } from './correlate.js';
import type { HttpPairing } from './pair-http.js';
import type { TcpPairing } from './pair-tcp.js';
import type { Leg, ProxyInfo, ProxyMode, ServerOnlyConnection, Session } from './model.js';
import { detectProxies } from './proxy-detect.js';
import { classifyServerOnly } from './server-only.js';
import { httpSession, tcpSession, unpairedSession, type SharedLegs } from './session-build.js';
import { compareAddresses, compareEndpoints, EPS, isConnectOnly, order, readyTime, requestReady, responseTo, splitEndpoint, synTime } from './leg-util.js';

/** Legs held for proxy detection: this many, or WARMUP_SECONDS of capture time once there are WARMUP_MIN_LEGS. */
export const WARMUP_LEGS = 4096;
export const WARMUP_SECONDS = 5;
export const WARMUP_MIN_LEGS = 256;
/** Same tolerances as http pairing (pair-http.ts) and connect attempts (connect-attempts.ts). */
const SKEW = 0.002;
const QUEUE_SLACK = 1;
const TIGHT = 0.05;
/** Seconds of capture time a connection still open may hold the frontier back. */
export const MAX_LAG = 30;
/** Slack around the pairing windows of a round, beyond their own tolerances (TIGHT, SKEW, EPS). */
const WINDOW_MARGIN = 0.1;

export interface StreamOptions {
  /** "ip" or "ip:port" entries naming the proxy (detection still learns its other addresses). */
  proxies?: string[];
  ledger?: LedgerDetail;
  /** Legs held for proxy detection (default WARMUP_LEGS). */
  warmupLegs?: number;
  /** The proxies, already known (an earlier run): no warm-up, sessions stream from the first leg. */
  knownProxies?: ProxyInfo[];
  /**
   * Capture seconds a frontier must move before `pump()` runs another round (default 0: every
   * move). A client leg whose server legs are not settled yet is paired again in every round,
   * so rounds after every chunk cost more than they save once connections complete quickly.
   */
  roundStep?: number;
  /** A round after every leg instead of only on `pump()` (tests: the smallest windows there are). */
  pumpOnLeg?: boolean;
  /**
   * Each session once complete, with the legs it refers to (its client leg and server legs, by
   * id): for verdicts and drops, before the legs are let go.
   */
  onSession: (session: Session, legs: ReadonlyMap<string, Leg>) => void;
}

export interface StreamResult {
  proxies: ProxyInfo[];
  serverOnlyConnections: ServerOnlyConnection[];
}

interface OpenConnection {
  start: number;
  open: boolean;
}

interface ServerState {
  leg: Leg;
  /** Earliest and latest of its times pairing looks at: its SYN, its first packet, its requests. */
  lo: number;
  hi: number;
  /** Taken whole by an emitted session (tcp pairing, or a connect attempt it claimed). */
  claimed: boolean;
  /** Client legs of emitted sessions that used it. */
  owners: Set<Leg> | null;
}

interface ProxyState {
  info: ProxyInfo;
  listeners: Set<string>;
  addresses: Set<string>;
  clients: Leg[];
  servers: ServerState[];
  serverOf: Map<Leg, ServerState>;
  /** Server requests taken by emitted sessions. */
  taken: Set<HttpRequest>;
  httpListeners: Set<string>;
}

export class StreamCorrelator {
  private readonly opts: StreamOptions;
  private readonly warmup: number;
  private readonly ledger: LedgerDetail;
  /** Legs held until the proxies are known; null after. */
  private buffer: Leg[] | null = [];
  private states: ProxyState[] = [];
  private proxyAddresses = new Set<string>();
  private openAddresses: Set<string> | null = null;
  private readonly open = new Map<string, OpenConnection>();
  /** Open server-side and client-side connections, in order of opening (closed ones skipped lazily). */
  private readonly serverOpens = new OpenQueue();
  private readonly clientOpens = new OpenQueue();
  private now = -Infinity;
  private readonly horizons = new WeakMap<Leg, number>();
  private readonly serverOnly: { t: number; c: ServerOnlyConnection }[] = [];
  private lastFrontier = -Infinity;
  private firstLegTs = 0;
  private lastClientFrontier = -Infinity;

  constructor(opts: StreamOptions) {
    this.opts = opts;
    this.warmup = opts.warmupLegs ?? WARMUP_LEGS;
    this.ledger = opts.ledger ?? 'exchange';
    if (opts.knownProxies !== undefined) this.start(opts.knownProxies.map((p) => ({ addresses: [...p.addresses], listeners: [...p.listeners] })), []);
  }

  /** A connection opened (LegCollector's onOpen). */
  opened(c: TcpConnection): void {
    if (c.start > this.now) this.now = c.start;
    // Before the proxies are known every connection may be either.
    const server = this.buffer !== null || this.proxyAddresses.has(c.clientAddress);
    const client = this.buffer !== null || this.clientSide(c.serverAddress, c.server);
    if (!server && !client) return;
    const o: OpenConnection = { start: c.start, open: true };
    this.open.set(c.id, o);
    if (server) this.serverOpens.push(o);
    if (client) this.clientOpens.push(o);
  }

  /** A connection completed. */
  add(leg: Leg): void {
    if (leg.end > this.now) this.now = leg.end;
    const o = this.open.get(leg.id);
    if (o !== undefined) {
      o.open = false;
      this.open.delete(leg.id);
    }
    if (this.buffer !== null) {
      const b = this.buffer;
      b.push(leg);
      if (b.length === 1) this.firstLegTs = leg.start;
      if (b.length >= this.warmup || (b.length >= Math.min(this.warmup, WARMUP_MIN_LEGS) && this.now - this.firstLegTs >= WARMUP_SECONDS)) this.endWarmup();
      return;
    }
    this.place(leg);
    if (this.opts.pumpOnLeg === true) this.pump();
  }

  /** Emits what is complete (called between input chunks). */
  pump(): void {
    if (this.buffer !== null) return;
    const f = this.frontier(this.serverOpens);
    const fc = this.frontier(this.clientOpens);
    const step = this.opts.roundStep ?? 0;
    if (f <= this.lastFrontier + step && fc <= this.lastClientFrontier + step) return;
    this.lastFrontier = f;
    this.lastClientFrontier = fc;
    for (const p of this.states) this.round(p, f, fc);
  }

  /** End of input: everything left is complete. */
  finish(): StreamResult {
    if (this.buffer !== null) return this.batch(this.buffer);
    for (const p of this.states) {
      this.round(p, Infinity, Infinity);
      this.release(p, Infinity);
    }
    for (const p of this.states) {
      p.info.listeners = [...p.listeners].sort(compareEndpoints);
      p.info.addresses.sort(compareAddresses);
    }
    this.serverOnly.sort((a, b) => a.t - b.t);
    return { proxies: this.states.map((p) => p.info), serverOnlyConnections: this.serverOnly.map((x) => x.c) };
  }

  // ---------------------------------------------------------------- warm-up

  /** The whole capture fitted in the warm-up: one batch, as correlate() does. */
  private batch(legs: Leg[]): StreamResult {
    this.buffer = null;
    const r = correlate(legs, { ...(this.opts.proxies ? { proxies: this.opts.proxies } : {}), ledger: this.ledger });
    const byId = new Map(legs.map((l) => [l.id, l]));
    for (const s of r.sessions) this.opts.onSession(s, byId);
    return { proxies: r.proxies, serverOnlyConnections: r.serverOnlyConnections };
  }

  /**
   * Ends the warm-up now if the legs held so far show a proxy (live capture: after a few seconds,
   * not thousands of legs); false, holding on, when they show none. True once streaming.
   */
  endWarmupNow(): boolean {
    const legs = this.buffer;
    if (legs === null) return true;
    if (legs.length === 0) return false;
    const proxies = detectProxies(legs, this.opts.proxies ?? []);
    if (proxies.length === 0) return false;
    this.start(proxies, legs);
    return true;
  }

  private endWarmup(): void {
    const legs = this.buffer!;
    this.start(detectProxies(legs, this.opts.proxies ?? []), legs);
  }

  /** Streaming from now on, for these proxies; `legs`: those held so far. */
  private start(proxies: ProxyInfo[], legs: Leg[]): void {
    this.buffer = null;
    const overrides = this.opts.proxies ?? [];
    for (const info of proxies) {
      for (const a of info.addresses) this.proxyAddresses.add(a);
      this.states.push({
        info, listeners: new Set(info.listeners), addresses: new Set(info.addresses), clients: [], servers: [],
        serverOf: new Map(), taken: new Set(), httpListeners: new Set(),
      });
    }
    // With --proxy, only addresses named without a port have every accepting endpoint a listener.
    if (overrides.length > 0) {
      this.openAddresses = new Set();
      for (const raw of overrides) {
        const e = splitEndpoint(raw.trim());
        if (e.port === null) this.openAddresses.add(e.address);
      }
    }
    // Connections opened during the warm-up stay tracked until they complete (relevant or not).
    for (const l of legs) this.place(l);
    this.pump();
  }

  // ---------------------------------------------------------------- roles

  /** Whether a connection may be a client leg (to a listener, or to a proxy address that may become one). */
  private clientSide(serverAddress: string, server: string): boolean {
    if (this.proxyAddresses.has(serverAddress)) return true;
    for (const p of this.states) if (p.listeners.has(server)) return true;
    return false;
  }

  private place(leg: Leg): void {
    for (const p of this.states) {
      let client = p.listeners.has(leg.server);
      if (!client && p.addresses.has(leg.serverAddress) && !this.proxyAddresses.has(leg.clientAddress)
        && (this.openAddresses === null || this.openAddresses.has(leg.serverAddress))) {
        // A proxy address taking connections from elsewhere: a listener too (a frontend whose
        // requests were all answered locally, a stats page).
        p.listeners.add(leg.server);
        client = true;
      }
      if (client) {
        this.horizons.set(leg, horizon(leg));
        p.clients.push(leg);
      } else if (p.addresses.has(leg.clientAddress)) {
        const st: ServerState = { leg, ...timeSpan(leg), claimed: false, owners: null };
        p.servers.push(st);
        p.serverOf.set(leg, st);
      }
    }
  }

  // ---------------------------------------------------------------- frontier

  /** Every connection of this queue that began before this capture time has completed. */
  private frontier(q: OpenQueue): number {
    return Math.max(Math.min(this.now, q.oldest()), this.now - MAX_LAG);
  }

  // ---------------------------------------------------------------- rounds

  /** `f`: the server-side frontier (client legs complete before it can be paired); `fc`: the client-side one. */
  private round(p: ProxyState, f: number, fc: number): void {
    if (p.clients.length > 0 && p.clients.some((c) => this.horizons.get(c)! < f)) this.pairRound(p, f, fc);
    this.release(p, fc);
  }

  private pairRound(p: ProxyState, f: number, fc: number): void {
    // Only the complete client legs: the others may still lack the server legs that are theirs,
    // and would compete for what is on offer with less than the whole picture.
    const ready: Leg[] = [];
    const remaining: Leg[] = [];
    for (const c of p.clients) (this.horizons.get(c)! < f ? ready : remaining).push(c);
    // A client leg still waiting (closed, but not complete) may yet use a server leg that ended
    // after it began, even once no client connection is open any more.
    let oldestWaiting = Infinity;
    for (const c of remaining) oldestWaiting = Math.min(oldestWaiting, c.start);
    // Only the server legs these clients' pairing windows can reach (pair-tcp.ts, pair-http.ts,
    // connect-attempts.ts): every window lies within [the earliest time of a ready client, the
    // latest horizon]; a connect attempt may also sit before a later SYN anchor. The rest would
    // be rebuilt and sorted in every round for nothing (the held legs span seconds).
    let lo = Infinity;
    let hi = -Infinity;
    for (const c of ready) {
      lo = Math.min(lo, earliest(c));
      hi = Math.max(hi, this.horizons.get(c)!);
    }
    lo -= WINDOW_MARGIN;
    hi += WINDOW_MARGIN;
    let anchors = hi;
    for (const s of p.servers) if (!s.claimed && !isAttempt(s.leg) && s.hi >= lo && s.lo <= hi) anchors = Math.max(anchors, synTime(s.leg) + WINDOW_MARGIN);
    const serverLegs: Leg[] = [];
    for (const s of p.servers) if (!s.claimed && s.hi >= lo && s.lo <= (isAttempt(s.leg) ? anchors : hi)) serverLegs.push(s.leg);
    const r = pairProxy({ clientLegs: ready, serverLegs, takenRequests: p.taken, httpListeners: p.httpListeners });
    for (const l of r.httpListeners) p.httpListeners.add(l);

    // Who uses which server leg in this round (tentative for the clients that stay pending).
    const roundOwners = new Map<Leg, Set<Leg>>();
    const note = (server: Leg, client: Leg): void => {
      let s = roundOwners.get(server);
      if (s === undefined) roundOwners.set(server, (s = new Set()));
      s.add(client);
    };
    const tcpOf = new Map<Leg, TcpPairing>();
    for (const t of r.tcp) {
      tcpOf.set(t.client, t);
      if (t.server !== null) note(t.server, t.client);
    }
    for (const [client, list] of r.http) for (const hp of list) if (hp.server !== null) note(hp.server, client);
    const leftover = new Map<Leg, ProxyMode>(r.leftovers.map((x) => [x.leg, x.mode]));

    // Which sessions use a server leg is known once no client leg that began before it ended is
    // still open or waiting, or once every request it carried is spoken for (a tcp leg, a connect
    // attempt: by one session).
    const roundTaken = new Set<HttpRequest>();
    for (const list of r.http.values()) for (const hp of list) if (hp.serverRequest !== null) roundTaken.add(hp.serverRequest);
    const settled = (l: Leg): boolean => {
      if (l.end + SKEW < Math.min(fc, oldestWaiting)) return true;
      const reqs = l.http?.requests;
      if (reqs === undefined || reqs.length === 0) return true;
      for (const q of reqs) if (!p.taken.has(q) && !roundTaken.has(q)) return false;
      return true;
    };
    const shared: SharedLegs = {
      // More than one client among its owners so far and this round's (counted, not collected:
      // this is asked for every server leg of every session).
      has: (server: Leg): boolean => {
        const earlier = p.serverOf.get(server)?.owners ?? null;
        const now = roundOwners.get(server);
        let n = earlier?.size ?? 0;
        if (n > 1) return true;
        if (now !== undefined) {
          for (const c of now) {
            if (earlier !== null && earlier.has(c)) continue;
            if (++n > 1) return true;
          }
        }
        return false;
      },
    };

    // Sessions are built one at a time, in order, each handed over before the next is built: a
    // round's sessions and verdicts then die young instead of all living to the end of the round.
    const done: { c: Leg; t: TcpPairing | undefined; hps: HttpPairing[] | undefined; legs: Map<string, Leg> }[] = [];
    for (const c of ready) {
      const t = tcpOf.get(c);
      const hps = r.http.get(c);
      const used = usedLegs(t, hps);
      if (!used.every(settled)) {
        remaining.push(c);
        continue;
      }
      // What this session took is no longer on offer.
      if (t !== undefined && t.server !== null) p.serverOf.get(t.server)!.claimed = true;
      for (const a of t?.attempts ?? []) p.serverOf.get(a)!.claimed = true;
      for (const hp of hps ?? []) {
        if (hp.serverRequest !== null) p.taken.add(hp.serverRequest);
        for (const a of hp.attempts) p.serverOf.get(a)!.claimed = true;
      }
      const legs = new Map<string, Leg>([[c.id, c]]);
      for (const l of used) {
        legs.set(l.id, l);
        const st = p.serverOf.get(l)!;
        (st.owners ??= new Set()).add(c);
      }
      done.push({ c, t, hps, legs });
    }
    p.clients = remaining;
    // A session's start and id are its client leg's.
    done.sort((a, b) => order(a.c.start, b.c.start) || Number(a.c.id) - Number(b.c.id));
    for (const d of done) {
      const { c, t, hps } = d;
      let s: Session;
      if (t !== undefined) s = tcpSession(t, shared, this.ledger);
      else if (hps !== undefined) s = httpSession(c, hps, shared, this.ledger);
      else s = unpairedSession(c, leftover.get(c) ?? 'tcp');
      this.opts.onSession(s, d.legs);
    }
  }

  /**
   * Lets go of server-side legs no pending or future client leg can use any more: all their
   * requests taken, or no client leg that began before they ended is still pending or open.
   */
  private release(p: ProxyState, fc: number): void {
    let firstPending = Infinity;
    for (const c of p.clients) firstPending = Math.min(firstPending, synTime(c));
    const limit = Math.min(fc, firstPending);
    let kept = 0;
    const servers = p.servers;
    for (let i = 0; i < servers.length; i++) {
      const st = servers[i]!;
      if (st.leg.end + SKEW < limit || (st.owners !== null && allTaken(st.leg, p.taken))) {
        p.serverOf.delete(st.leg);
        if (st.owners === null && !st.claimed) this.serverOnly.push({ t: synTime(st.leg), c: classifyServerOnly(st.leg) });
        if (st.leg.http !== null) for (const q of st.leg.http.requests) p.taken.delete(q);
      } else servers[kept++] = st;
    }
    servers.length = kept;
  }
}

/** Every request of this (http) server leg went to an emitted session. */
function allTaken(leg: Leg, taken: ReadonlySet<HttpRequest>): boolean {
  const reqs = leg.http?.requests;
  if (reqs === undefined) return false;
  for (const q of reqs) if (!taken.has(q)) return false;
  return true;
}

/** Connections in order of opening; the oldest still open is found by skipping closed ones. */
class OpenQueue {
  private q: OpenConnection[] = [];
  private head = 0;

  push(o: OpenConnection): void {
    this.q.push(o);
  }

  /** Start of the oldest connection still open (Infinity: none). */
  oldest(): number {
    const q = this.q;
    while (this.head < q.length && !q[this.head]!.open) this.head++;
    if (this.head > 4096 && this.head * 2 > q.length) {
      this.q = q.slice(this.head);
      this.head = 0;
    }
    return this.head < this.q.length ? this.q[this.head]!.start : Infinity;
  }
}

/** A bare connect that got no answer: what pairProxy offers as a connect attempt (AttemptPool). */
function isAttempt(l: Leg): boolean {
  return isConnectOnly(l) && l.synAckTs === null;
}

/** Earliest and latest times of a server-side leg that pairing windows compare (see pairRound). */
function timeSpan(l: Leg): { lo: number; hi: number } {
  const syn = synTime(l);
  let lo = Math.min(syn, l.start);
  let hi = syn;
  for (const q of l.http?.requests ?? []) {
    lo = Math.min(lo, q.firstByteTs);
    hi = Math.max(hi, q.firstByteTs);
  }
  return { lo, hi };
}

/** Earliest time of a client leg that a pairing window starts from (SYN, SYN-ACK, ready, requests ready). */
function earliest(c: Leg): number {
  let t = Math.min(synTime(c), c.start, readyTime(c), c.synAckTs ?? Infinity);
  for (const q of c.http?.requests ?? []) t = Math.min(t, requestReady(q));
  return t;
}

/** Server-side legs a client leg's pairings use: its server legs and connect attempts. */
function usedLegs(t: TcpPairing | undefined, hps: readonly HttpPairing[] | undefined): Leg[] {
  const all: Leg[] = [];
  if (t !== undefined) {
    for (const a of t.attempts) all.push(a);
    if (t.server !== null) all.push(t.server);
  }
  for (const hp of hps ?? []) {
    for (const a of hp.attempts) all.push(a);
    if (hp.server !== null) all.push(hp.server);
  }
  // Without repeats, in order of first use. A few legs each, nearly always: a list searched beats
  // a Set (this runs for every client leg of every round); a Set for a long keep-alive client.
  if (all.length > 16) return [...new Set(all)];
  const out: Leg[] = [];
  for (const l of all) if (!out.includes(l)) out.push(l);
  return out;
}

/**
 * The latest capture time at which something still to come could pair with this client leg:
 * a server request forwarded for one of its requests (before the answer reached the client, or
 * up to QUEUE_SLACK after the leg ended when none did), a server leg opened while it was open, a
 * connect attempt following one of its triggers.
 */
function horizon(c: Leg): number {
  let h = Math.max(c.end + EPS, readyTime(c) + TIGHT);
  for (const q of c.http?.requests ?? []) {
    const resp = responseTo(c, q);
    const upper = resp !== null && !resp.interim ? resp.firstByteTs + SKEW : c.end + QUEUE_SLACK;
    h = Math.max(h, upper, requestReady(q) + TIGHT);
  }
  return h + SKEW;
}
