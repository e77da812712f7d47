/**
 * Which side the proxy gave up on, from who closed first. HAProxy's `timeout server` expiring
 * (nothing from the server for that long) makes it shut its write side toward the CLIENT (FIN to
 * the client, termination sD/sH); `timeout client` makes it shut toward the SERVER (FIN to the
 * server, cD). A proxy close that no peer close preceded is such a timeout; the idle time before
 * it, measured on the timed-out side, is the inferred timeout value.
 */
import type { Leg } from '../model.js';
import { firstClose, lastDataBefore, latest, type CloseEvent } from './verdict-leg.js';

export type TimeoutName = 'client' | 'server';

export interface ProxyInitiatedClose {
  /** The leg the proxy closed: toward the client or toward the server. */
  toward: 'client' | 'server';
  close: CloseEvent;
  /** The timeout this reveals. */
  timeout: TimeoutName;
  /** Seconds without traffic on the timed-out side before the close. */
  idle: number;
  /** The configured value in ms, when a configuration was given. */
  configuredMs: number | null;
}

export interface ConfiguredTimeouts {
  client?: number | undefined;
  server?: number | undefined;
}

/**
 * The proxy's first close of the session if nothing the peers did explains it (no FIN/RST from
 * either peer before it), else null.
 */
export function proxyInitiatedClose(client: Leg, server: Leg | null, cfg: ConfiguredTimeouts = {}): ProxyInitiatedClose | null {
  const toClient = firstClose(client.dirs[1]);
  const toServer = server === null ? null : firstClose(server.dirs[0]);
  const peerFirst = [firstClose(client.dirs[0]), server === null ? null : firstClose(server.dirs[1])]
    .filter((c): c is CloseEvent => c !== null)
    .reduce<number | null>((m, c) => (m === null || c.ts < m ? c.ts : m), null);
  const candidates: { toward: 'client' | 'server'; close: CloseEvent }[] = [];
  if (toClient !== null) candidates.push({ toward: 'client', close: toClient });
  if (toServer !== null) candidates.push({ toward: 'server', close: toServer });
  candidates.sort((a, b) => a.close.ts - b.close.ts);
  const first = candidates[0];
  if (first === undefined || (peerFirst !== null && peerFirst <= first.close.ts)) return null;
  const timeout: TimeoutName = first.toward === 'client' ? 'server' : 'client';
  const quiet = timeout === 'server' ? server : client;
  const at = first.close.ts;
  const lastActivity = quiet === null
    ? null
    : latest(lastDataBefore(quiet.dirs[0], at), lastDataBefore(quiet.dirs[1], at), quiet.establishedTs ?? quiet.synAckTs);
  const configured = timeout === 'server' ? cfg.server : cfg.client;
  return { toward: first.toward, close: first.close, timeout, idle: lastActivity === null ? 0 : at - lastActivity, configuredMs: configured ?? null };
}

/** "timeout server (3.002 s without server traffic; configured 3s)". */
export function describeTimeout(c: ProxyInitiatedClose): string {
  const idle = `${c.idle.toFixed(3)} s without ${c.timeout} traffic`;
  const conf = c.configuredMs === null ? '' : `; configured ${formatMs(c.configuredMs)}${Math.abs(c.idle * 1000 - c.configuredMs) > Math.max(50, c.configuredMs * 0.05) ? ', which does not match' : ''}`;
  return `timeout ${c.timeout} (${idle}${conf})`;
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
