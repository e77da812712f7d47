/**
 * Shared by findDrops (src/correlate/drops.ts) for both modes: the byte span a drop covers on the
 * leg it arrived on, and the sentence and code saying why it never left on the other leg.
 */
import type { Drop, Leg, LegDirection } from '../model.js';
import { ackedOffset, firstClose, timesInRange } from './verdict-leg.js';
import { describeTimeout, proxyInitiatedClose, type ConfiguredTimeouts } from './verdict-timeout.js';

export interface Span {
  bytes: number;
  first: number;
  last: number;
}

/** ACKed bytes of `incoming` past `forwarded` (what left on the other leg). */
export function unforwarded(incoming: LegDirection, forwarded: number): Span | null {
  const acked = ackedOffset(incoming);
  if (acked <= forwarded) return null;
  return span(incoming, forwarded, acked);
}

export function span(d: LegDirection, from: number, to: number): Span {
  const times = timesInRange(d, from, to);
  const first = times[0] ?? d.lastDataTs ?? 0;
  return { bytes: to - from, first, last: times[times.length - 1] ?? first };
}

export type Cause = Pick<Drop, 'cause' | 'code'>;

/** Why client bytes arriving at `at` did not reach the server. */
export function causeTowardServer(client: Leg, server: Leg | null, at: number, timeouts: ConfiguredTimeouts): Cause {
  if (server === null) return { code: 'server_never_connected', cause: 'the proxy never had an established connection to a server' };
  return causeOf('server', client, server, at, timeouts);
}

/** Why server bytes arriving at `at` did not reach the client. */
export function causeTowardClient(client: Leg, server: Leg, at: number, timeouts: ConfiguredTimeouts): Cause {
  return causeOf('client', client, server, at, timeouts);
}

function causeOf(toward: 'client' | 'server', client: Leg, server: Leg, at: number, timeouts: ConfiguredTimeouts): Cause {
  const other = toward === 'client' ? client : server;
  const proxyClose = firstClose(toward === 'client' ? client.dirs[1] : server.dirs[0]);
  const peerClose = firstClose(other.dirs[toward === 'client' ? 0 : 1]);
  const gone = toward === 'client' ? 'client_gone' : 'server_gone';
  if (peerClose !== null && peerClose.ts <= at && (proxyClose === null || peerClose.ts <= proxyClose.ts)) {
    return { code: gone, cause: `the ${toward} had already ${peerClose.kind === 'rst' ? 'reset' : 'closed'} its connection (${peerClose.kind.toUpperCase()} at ${iso(peerClose.ts)})` };
  }
  if (proxyClose !== null && proxyClose.ts <= at) {
    const byProxy = proxyInitiatedClose(client, server, timeouts);
    const why = byProxy !== null && byProxy.toward === toward ? `, on ${describeTimeout(byProxy)}` : '';
    return {
      code: 'proxy_closed_other_side',
      cause: `the proxy had already closed its side toward the ${toward} (${proxyClose.kind.toUpperCase()} at ${iso(proxyClose.ts)})${why}; it still ACKed these bytes but never sent them on`,
    };
  }
  return { code: 'not_forwarded', cause: `no close explains it: the proxy ACKed these bytes and had not sent them to the ${toward} when the capture ended` };
}

export function iso(ts: number): string {
  return new Date(Math.floor(ts * 1000)).toISOString();
}
