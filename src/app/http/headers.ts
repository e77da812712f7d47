/**
 * Lookups on ordered header lists. Names compare case-insensitively (RFC 9110 §5.1) while the
 * list itself keeps the wire's case and order, so rewrites by a proxy stay visible.
 */
import type { HttpHeaders } from './types.js';

/** The canonical form used to compare field names: ASCII lower case. */
export function normalizeHeaderName(name: string): string {
  return name.toLowerCase();
}

/**
 * normalizeHeaderName(n) === want, for a `want` already normalised, without lower-casing `n`
 * (pairing asks this of every header of every candidate: 200 MB of short-lived strings on a
 * large capture). ASCII is folded here; a name with anything else takes toLowerCase's way.
 */
function sameName(n: string, want: string): boolean {
  if (n.length !== want.length) return false;
  for (let i = 0; i < n.length; i++) {
    const a = n.charCodeAt(i);
    const b = want.charCodeAt(i);
    if (a >= 0x80) return normalizeHeaderName(n) === want;
    if (a === b) continue;
    if (a < 65 || a > 90 || a + 32 !== b) return false;
  }
  return true;
}

/** Value of the first field called `name` (any case), or undefined. */
export function headerValue(headers: HttpHeaders, name: string): string | undefined {
  const want = normalizeHeaderName(name);
  for (const [n, v] of headers) if (sameName(n, want)) return v;
  return undefined;
}

/** Values of every field called `name` (any case), in order. */
export function headerValues(headers: HttpHeaders, name: string): string[] {
  const want = normalizeHeaderName(name);
  const out: string[] = [];
  for (const [n, v] of headers) if (sameName(n, want)) out.push(v);
  return out;
}

/**
 * The comma-separated list elements of every field called `name`, lower-cased, without
 * parameters (`gzip;q=1` → `gzip`) and without empty elements (RFC 9110 §5.6.1).
 */
export function headerTokens(headers: HttpHeaders, name: string): string[] {
  const out: string[] = [];
  for (const v of headerValues(headers, name)) {
    for (const part of v.split(',')) {
      const t = (part.split(';')[0] ?? '').trim().toLowerCase();
      if (t !== '') out.push(t);
    }
  }
  return out;
}
