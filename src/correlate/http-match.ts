/**
 * How a request seen on a client leg compares with one seen on a server leg, once what proxies
 * routinely change is set aside: header-name case, hop-by-hop and forwarding headers, the
 * persistence cookie, absolute-form targets, percent-encoding of unreserved characters.
 */
import { headerValue, headerValues, headText, type HttpHeaders, type HttpMessage, type HttpRequest } from '../app/http/index.js';

/** Headers a proxy adds, removes or rewrites as a matter of course: left out of similarity. */
const PROXY_MANAGED = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'content-length',
  'host', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-port', 'x-real-ip', 'forwarded', 'via',
  'cookie', 'set-cookie', 'x-request-id', 'proxy-authorization', 'expect', 'date', 'server',
]);

/** Origin-form path and query: absolute-form reduced, unreserved percent-escapes decoded, hex upper-cased. */
export function normalizeTarget(target: string): string {
  let t = target;
  const abs = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/?#]*/.exec(t);
  if (abs) t = t.slice(abs[0].length) || '/';
  return t.replace(/%([0-9a-fA-F]{2})/g, (_m, hex: string) => {
    const c = String.fromCharCode(parseInt(hex, 16));
    return /[A-Za-z0-9\-._~]/.test(c) ? c : `%${hex.toUpperCase()}`;
  });
}

/** Host the request is for: the authority of an absolute-form target, else Host; lower-cased, default port dropped. */
export function normalizeHost(req: HttpRequest): string | null {
  const abs = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/([^/?#]*)/.exec(req.target);
  const raw = abs ? abs[1]! : headerValue(req.headers, 'host');
  if (raw === undefined) return null;
  return raw.trim().toLowerCase().replace(/:80$/, '').replace(/\.$/, '');
}

const keys = new WeakMap<HttpRequest, string>();
/** The same, by header block (compact messages): method, target and Host all come from it. */
let keysByHead = new Map<string, string>();

/** Matching key: method, normalised target, normalised host (memoised: asked many times per request). */
export function requestKey(req: HttpRequest): string {
  const head = headText(req);
  let k = head !== undefined ? keysByHead.get(head) : keys.get(req);
  if (k === undefined) {
    k = `${req.method} ${normalizeTarget(req.target)} ${normalizeHost(req) ?? ''}`;
    if (head === undefined) keys.set(req, k);
    else {
      if (keysByHead.size >= 16384) keysByHead = new Map();
      keysByHead.set(head, k);
    }
  }
  return k;
}

/**
 * A path rewrite the pairing tolerates: same query, and one path ends with the other (a prefix
 * added or stripped), the shorter being more than "/".
 */
export function targetsRelated(a: string, b: string): boolean {
  const [pa, qa = ''] = normalizeTarget(a).split('?', 2) as [string, string?];
  const [pb, qb = ''] = normalizeTarget(b).split('?', 2) as [string, string?];
  if (qa !== qb) return false;
  if (pa === pb) return true;
  const [short, long] = pa.length <= pb.length ? [pa, pb] : [pb, pa];
  return short.length > 1 && long.endsWith(short);
}

function stripPort(addr: string): string {
  const t = addr.trim().replace(/^"|"$/g, '');
  const v6 = /^\[(.+)\](?::\d+)?$/.exec(t);
  if (v6) return v6[1]!.toLowerCase();
  return /^[^:]+:\d+$/.test(t) ? t.slice(0, t.indexOf(':')) : t.toLowerCase();
}

function listElements(values: string[]): string[] {
  return values.flatMap((v) => v.split(',')).map((s) => s.trim()).filter((s) => s !== '');
}

interface Forwarded {
  xff: string[];
  realIp: string | null;
  forwarded: string[];
}

const forwardedMemo = new WeakMap<HttpHeaders, Forwarded>();

/** Addresses named by the forwarding headers of a request (X-Forwarded-For, X-Real-IP, Forwarded for=); memoised. */
export function forwardedAddresses(headers: HttpHeaders): Forwarded {
  const memo = forwardedMemo.get(headers);
  if (memo !== undefined) return memo;
  const xff = listElements(headerValues(headers, 'x-forwarded-for')).map(stripPort);
  const ri = headerValue(headers, 'x-real-ip');
  const forwarded: string[] = [];
  for (const el of listElements(headerValues(headers, 'forwarded'))) {
    for (const part of el.split(';')) {
      const m = /^\s*for\s*=\s*(.+)$/i.exec(part);
      if (m) forwarded.push(stripPort(m[1]!));
    }
  }
  const out = { xff, realIp: ri === undefined ? null : stripPort(ri), forwarded };
  forwardedMemo.set(headers, out);
  return out;
}

export type NamesClient = 'yes' | 'no' | 'absent';

/**
 * Whether the server-side request's forwarding headers name the client (any of `clientAddresses`,
 * lower-case). A header passed through unchanged from the client's own request is neutral.
 */
export function forwardingNamesClient(server: HttpRequest, client: HttpRequest, clientAddresses: readonly string[]): NamesClient {
  const s = forwardedAddresses(server.headers);
  if (s.xff.length === 0 && s.realIp === null && s.forwarded.length === 0) return 'absent';
  const c = forwardedAddresses(client.headers);
  let verdict: NamesClient = 'absent';
  const lists: [string[], string[]][] = [
    [s.xff, c.xff],
    [s.realIp === null ? [] : [s.realIp], c.realIp === null ? [] : [c.realIp]],
    [s.forwarded, c.forwarded],
  ];
  for (const [list, passthrough] of lists) {
    if (list.length === 0) continue;
    if (list.some((a) => clientAddresses.includes(a))) verdict = 'yes';
    else if (list.join(',') !== passthrough.join(',')) return 'no';
  }
  return verdict;
}

/** Body comparison of two messages: 'unknown' when either lost bytes or stopped early with different lengths. */
export function compareBodies(a: HttpMessage, b: HttpMessage): 'same' | 'reframed' | 'changed' | 'unknown' {
  if (a.damaged || b.damaged) return 'unknown';
  const ab = a.body;
  const bb = b.body;
  if (noBody(ab) && noBody(bb)) return 'same';
  if (ab.length !== bb.length || ab.hash !== bb.hash) return a.complete && b.complete ? 'changed' : 'unknown';
  const sameFraming = ab.framing === bb.framing && (ab.framing !== 'chunked' || sameChunks(ab.chunks, bb.chunks));
  return sameFraming ? 'same' : 'reframed';
}

function noBody(b: HttpMessage['body']): boolean {
  return b.framing === 'none' || (b.length === 0 && b.framing !== 'tunnel');
}

function sameChunks(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Cookie pairs of a Cookie header list. */
function cookiePairs(headers: HttpHeaders): string[] {
  return headerValues(headers, 'cookie').flatMap((v) => v.split(';')).map((s) => s.trim()).filter((s) => s !== '');
}

interface Signature {
  /** Sorted "name\0value" of end-to-end fields (names lower-cased), joined. */
  text: string;
  fields: number;
}

const signatureMemo = new WeakMap<HttpHeaders, Signature>();

function signature(headers: HttpHeaders): Signature {
  let sig = signatureMemo.get(headers);
  if (sig === undefined) {
    const fields = headers.filter(([n]) => !PROXY_MANAGED.has(n.toLowerCase())).map(([n, v]) => `${n.toLowerCase()}\0${v}`).sort();
    const cookies = cookiePairs(headers).sort();
    sig = { text: `${fields.join('\n')}\n\n${cookies.join(';')}`, fields: fields.length + (cookies.length > 0 ? 1 : 0) };
    signatureMemo.set(headers, sig);
  }
  return sig;
}

/**
 * Share of the client request's end-to-end header fields (name case-insensitive, exact value)
 * that reappear on the server side; cookies count when the server's are a subset of the
 * client's (a persistence cookie may be removed).
 */
export function headerSimilarity(client: HttpHeaders, server: HttpHeaders): { common: number; total: number } {
  const cs = signature(client);
  if (cs.text === signature(server).text) return { common: cs.fields, total: cs.fields };
  const counts = new Map<string, number>();
  for (const [n, v] of server) {
    const k = `${n.toLowerCase()}\0${v}`;
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  let common = 0;
  let total = 0;
  for (const [n, v] of client) {
    const name = n.toLowerCase();
    if (PROXY_MANAGED.has(name)) continue;
    total++;
    const k = `${name}\0${v}`;
    const c = counts.get(k) ?? 0;
    if (c > 0) {
      common++;
      counts.set(k, c - 1);
    }
  }
  const cc = cookiePairs(client);
  const sc = cookiePairs(server);
  if (cc.length > 0 || sc.length > 0) {
    total++;
    if (sc.every((p) => cc.includes(p))) common++;
  }
  return { common, total };
}
