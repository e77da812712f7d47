/**
 * Several capture points: each point's LegCollector makes one leg per view of a connection; this
 * merges the views of one connection (same id, connection-views.ts) into one leg once its last
 * view has closed. The preferred view (lowest rank: the proxy's capture when there is one) gives
 * the leg's times, bytes and messages, so the proxy's timers are read on the proxy's own capture;
 * the others are kept in `views` (where bytes were lost, one-way delays).
 */
import type { ConnectionViews } from '../tcp/connection-views.js';
import type { TcpConnection } from '../tcp/connection.js';
import type { Leg, LegView } from './model.js';
import { splitEndpoint } from './leg-util.js';

export class LegViewMerger {
  private readonly pending = new Map<string, { point: number; leg: Leg }[]>();

  /**
   * @param rank per capture point, lower preferred (ties: the earlier file)
   * @param onLeg each merged leg
   * @param onOpen each connection once, at its first view's open
   */
  constructor(
    private readonly registry: ConnectionViews,
    private readonly rank: readonly number[],
    private readonly onLeg: (leg: Leg) => void,
    private readonly onOpen: ((c: TcpConnection) => void) | null = null,
  ) {}

  opened(c: TcpConnection): void {
    if (this.registry.views(c.seq) === 1) this.onOpen?.(c);
  }

  /** A view's leg (called from its point's collector, after the registry counted it closed). */
  leg(point: number, leg: Leg): void {
    let list = this.pending.get(leg.id);
    if (this.registry.openViews(Number(leg.id)) > 0) {
      if (!list) this.pending.set(leg.id, (list = []));
      list.push({ point, leg });
      return;
    }
    if (!list) {
      this.onLeg(leg);
      return;
    }
    this.pending.delete(leg.id);
    list.push({ point, leg });
    this.onLeg(mergeViews(list, this.rank));
  }
}

export function mergeViews(list: { point: number; leg: Leg }[], rank: readonly number[]): Leg {
  const r = (p: number): number => rank[p] ?? p;
  const sorted = [...list].sort((a, b) => r(a.point) - r(b.point) || a.point - b.point);
  const first = sorted[0]!.leg;
  const views: LegView[] = sorted.map(({ point, leg }) => ({ capture: point, start: leg.start, end: leg.end, synTs: leg.synTs, dirs: leg.dirs }));
  const captures = [...new Set(list.map((v) => v.point))].sort((a, b) => a - b);
  return { ...first, captures, views };
}

/** What one capture point saw, by role (capturePoints in the report). */
export interface CapturePointSeen {
  connections: number;
  clientLegs: number;
  /** Proxy→server connections, health checks included. */
  serverLegs: number;
  /** Connections that are neither (not through a proxy). */
  otherConnections: number;
  /** Addresses by role, sorted, at most MAX_HOSTS each (`more` counts the rest). */
  hosts: { clients: string[]; proxy: string[]; servers: string[]; more: number };
}

const MAX_HOSTS = 16;

/** Tallies, per capture point, the legs it saw and the hosts on them, by role. */
export class PointTally {
  private readonly points: { connections: number; clientLegs: number; serverLegs: number; clients: Set<string>; proxy: Set<string>; servers: Set<string> }[];
  /** Points (bitmask) of each leg not yet given a role. */
  private readonly seenBy = new Map<string, number>();

  constructor(n: number) {
    this.points = Array.from({ length: n }, () => ({ connections: 0, clientLegs: 0, serverLegs: 0, clients: new Set<string>(), proxy: new Set<string>(), servers: new Set<string>() }));
  }

  leg(leg: Leg): void {
    let bits = 0;
    for (const p of leg.captures) {
      const t = this.points[p];
      if (!t) continue;
      t.connections++;
      if (p < 31) bits |= 1 << p;
    }
    this.seenBy.set(leg.id, bits);
  }

  /** A client leg (to the proxy's listener `frontend`). */
  clientLeg(id: string, client: string, frontend: string): void {
    this.each(id, (t) => {
      t.clientLegs++;
      t.clients.add(hostOf(client));
      t.proxy.add(hostOf(frontend));
    });
  }

  /** A server-side leg (from the proxy's `source` to `server`). */
  serverLeg(id: string, source: string, server: string): void {
    this.each(id, (t) => {
      t.serverLegs++;
      t.proxy.add(hostOf(source));
      t.servers.add(server);
    });
  }

  result(): CapturePointSeen[] {
    return this.points.map((t) => {
      let more = 0;
      const list = (s: Set<string>): string[] => {
        const all = [...s].sort();
        more += Math.max(0, all.length - MAX_HOSTS);
        return all.slice(0, MAX_HOSTS);
      };
      return {
        connections: t.connections,
        clientLegs: t.clientLegs,
        serverLegs: t.serverLegs,
        otherConnections: t.connections - t.clientLegs - t.serverLegs,
        hosts: { clients: list(t.clients), proxy: list(t.proxy), servers: list(t.servers), more },
      };
    });
  }

  private each(id: string, f: (t: PointTally['points'][number]) => void): void {
    const bits = this.seenBy.get(id);
    if (bits === undefined) return;
    this.seenBy.delete(id);
    for (let p = 0; p < this.points.length && p < 31; p++) if (bits & (1 << p)) f(this.points[p]!);
  }
}

const hostOf = (endpoint: string): string => splitEndpoint(endpoint).address;
