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

/**
 * The verdicts and then the drops of a session ask for its legs in turn: the last answer is kept
 * (for the same session, legs map and server list) and handed out again.
 */
let last: { session: Session; legs: ReadonlyMap<string, Leg>; refs: readonly unknown[]; n: number; sl: SessionLegs } | null = null;

export function sessionLegs(session: Session, legs: ReadonlyMap<string, Leg>): SessionLegs {
  const refs = session.serverLegs;
  if (last !== null && last.session === session && last.legs === legs && last.refs === refs && last.n === refs.length) return last.sl;
  const client = legs.get(session.id);
  if (client === undefined) throw new Error(`session ${session.id}: its client leg is not in the leg map`);
  const servers: { leg: Leg; ref: number }[] = [];
  for (let ref = 0; ref < refs.length; ref++) {
    const leg = legs.get(refs[ref]!.leg);
    if (leg !== undefined) servers.push({ leg, ref });
  }
  if (servers.length > 1) servers.sort((a, b) => (a.leg.synTs ?? a.leg.start) - (b.leg.synTs ?? b.leg.start));
  const sl = { client, servers };
  last = { session, legs, refs, n: refs.length, sl };
  return sl;
}

export function timeoutsOf(frontend: ProxySection | null, backend: ProxySection | null, cfg: HaproxyConfig | undefined): ConfiguredTimeouts {
  if (cfg === undefined) return {};
  return { client: frontend?.timeouts.client, server: (backend ?? frontend)?.timeouts.server };
}
