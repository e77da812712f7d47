/**
 * The legs of one Session, looked up once: the client leg, the server legs in SYN order, and the
 * configured timeouts that apply (frontend's `timeout client`, backend's `timeout server`).
 */
import type { Leg, Session } from '../model.js';
import type { HaproxyConfig, ProxySection } from './config-types.js';
import type { ConfiguredTimeouts } from './verdict-timeout.js';

export interface SessionLegs {
  client: Leg;
  /** Server legs of the session in SYN order, with their index in session.serverLegs. */
  servers: { leg: Leg; ref: number }[];
}

export function sessionLegs(session: Session, legs: ReadonlyMap<string, Leg>): SessionLegs {
  const client = legs.get(session.id);
  if (client === undefined) throw new Error(`session ${session.id}: its client leg is not in the leg map`);
  const servers: { leg: Leg; ref: number }[] = [];
  session.serverLegs.forEach((r, ref) => {
    const leg = legs.get(r.leg);
    if (leg !== undefined) servers.push({ leg, ref });
  });
  servers.sort((a, b) => (a.leg.synTs ?? a.leg.start) - (b.leg.synTs ?? b.leg.start));
  return { client, servers };
}

export function timeoutsOf(frontend: ProxySection | null, backend: ProxySection | null, cfg: HaproxyConfig | undefined): ConfiguredTimeouts {
  if (cfg === undefined) return {};
  return { client: frontend?.timeouts.client, server: (backend ?? frontend)?.timeouts.server };
}
