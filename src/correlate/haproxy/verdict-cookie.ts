/**
 * The last two characters of an httplog termination state, when the backend has a persistence
 * cookie (manual 8.5): what the client's cookie was (N none, I invalid, D pointed to another,
 * down, server, V valid) and what happened to the server's (N none, I inserted by HAProxy,
 * P provided by the server and passed, R rewritten). '--' without `cookie` in the backend.
 * HAProxy starts both at N; the server side only changes once a response was processed.
 */
import { headerValues } from '../../app/http/headers.js';
import type { HttpRequest, HttpResponse } from '../../app/http/index.js';
import type { CookieConfig, ProxySection, Server } from './config-types.js';

export function cookieFlags(
  be: ProxySection | null, server: Server | null, clientRequest: HttpRequest | null,
  serverResponse: HttpResponse | null, clientResponse: HttpResponse | null,
): string {
  const ck = be?.cookie ?? null;
  if (be === null || ck === null) return '--';
  return clientFlag(ck, be, server, clientRequest) + serverFlag(ck, serverResponse, clientResponse);
}

function clientFlag(ck: CookieConfig, be: ProxySection, server: Server | null, req: HttpRequest | null): string {
  const value = req === null ? null : requestCookie(req, ck.name);
  if (value === null) return 'N';
  const id = ck.mode === 'prefix' ? (value.split('~')[0] ?? '') : value;
  const target = be.servers.find((s) => s.cookie === id);
  if (target === undefined) return 'I';
  return server !== null && target !== server ? 'D' : 'V';
}

function serverFlag(ck: CookieConfig, serverResponse: HttpResponse | null, clientResponse: HttpResponse | null): string {
  if (serverResponse === null) return 'N';
  const fromServer = setsCookie(serverResponse, ck.name);
  const toClient = clientResponse !== null && setsCookie(clientResponse, ck.name);
  if (fromServer) return ck.mode === 'rewrite' ? 'R' : 'P';
  return toClient ? 'I' : 'N';
}

function requestCookie(req: HttpRequest, name: string): string | null {
  for (const v of headerValues(req.headers, 'cookie')) {
    for (const part of v.split(';')) {
      const eq = part.indexOf('=');
      if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
    }
  }
  return null;
}

function setsCookie(r: HttpResponse, name: string): boolean {
  return headerValues(r.headers, 'set-cookie').some((v) => v.trimStart().startsWith(`${name}=`));
}
