/**
 * Server-side legs no session claimed. A proxy's own health checks look like this: a bare
 * connect (L4 check), or one request per connection without forwarding headers (option httpchk
 * "GET /index.html HTTP/1.0", no Host), PROXY headers that are LOCAL (v2) or name the check
 * connection itself (v1). Anything else is reported as unpaired.
 */
import { headerValue } from '../app/http/index.js';
import type { Leg, ServerOnlyConnection } from './model.js';
import { isConnectOnly } from './leg-util.js';

export function classifyServerOnly(leg: Leg): ServerOnlyConnection {
  const base = { leg: leg.id, source: leg.client, server: leg.server };
  if (isConnectOnly(leg)) return { ...base, kind: 'health-check' };
  const pp = leg.proxyProtocol;
  const ownPp = pp !== null && (pp.command === 'LOCAL' || pp.source === leg.client);
  const reqs = leg.http?.requests ?? [];
  const first = reqs[0];
  if (first !== undefined && reqs.length === 1 && (pp === null || ownPp)) {
    const forwarded = ['x-forwarded-for', 'x-real-ip', 'forwarded'].some((h) => headerValue(first.headers, h) !== undefined);
    if (!forwarded) return { ...base, kind: 'health-check', request: first.startLine };
  }
  if (ownPp && leg.http === null) return { ...base, kind: 'health-check' };
  return { ...base, kind: 'unpaired' };
}
