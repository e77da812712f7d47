/**
 * Lookups on ordered header lists. Names compare case-insensitively (RFC 9110 §5.1) while the
 * list itself keeps the wire's case and order, so rewrites by a proxy stay visible.
 */
import type { HttpHeaders } from './types.js';

/** The canonical form used to compare field names: ASCII lower case. */
export function normalizeHeaderName(name: string): string {
  return name.toLowerCase();
}

/** Value of the first field called `name` (any case), or undefined. */
export function headerValue(headers: HttpHeaders, name: string): string | undefined {
  const want = normalizeHeaderName(name);
  for (const [n, v] of headers) if (n.length === want.length && normalizeHeaderName(n) === want) return v;
  return undefined;
}

/** Values of every field called `name` (any case), in order. */
export function headerValues(headers: HttpHeaders, name: string): string[] {
  const want = normalizeHeaderName(name);
  const out: string[] = [];
  for (const [n, v] of headers) if (n.length === want.length && normalizeHeaderName(n) === want) out.push(v);
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
