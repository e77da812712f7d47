/**
 * The filter bar's language, compiled to a predicate over SessionFacts:
 *
 *   server web1        a server that took a request: "be/srv", "srv", "be", ip:port or ip
 *   term sD            a termination state starting with these characters (case matters: cD vs CD)
 *   status 5xx | 503 | none
 *   client 127.0.0.90  ip, ip:port or IPv4 prefix (127.0.0.0/24)
 *   host ww1.itnihao.cn   the Host header (no port, case-insensitive)
 *   method GET         (case-sensitive, like HTTP)
 *   path /api/*  frontend fe_http  mode tcp
 *   drops  abnormal    flags: a session with drops / a termination state not starting with "--"
 *
 * combined with ! & | and parentheses (also not/and/or; juxtaposition is and). Text values take
 * * as a wildcard. Pure: no React, no terminal.
 */
import { FilterSyntaxError } from './filter-lexer.js';
import { parseFilter, type Field, type FilterExpr } from './filter-parser.js';
import type { SessionFacts } from './session-facts.js';

export { FilterSyntaxError } from './filter-lexer.js';
export type { FilterExpr } from './filter-parser.js';

export type Predicate = (f: SessionFacts) => boolean;

export type CompiledFilter =
  | { ok: true; text: string; expr: FilterExpr | null; match: Predicate }
  | { ok: false; text: string; error: { message: string; pos: number; end: number } };

function glob(pattern: string, ignoreCase: boolean): (s: string) => boolean {
  if (!pattern.includes('*')) {
    const p = ignoreCase ? pattern.toLowerCase() : pattern;
    return ignoreCase ? (s) => s.toLowerCase() === p : (s) => s === p;
  }
  const re = new RegExp(`^${pattern.split('*').map((x) => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, ignoreCase ? 'i' : '');
  return (s) => re.test(s);
}

function ipv4(s: string): number | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return null;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return null;
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

function clientMatcher(value: string): Predicate {
  const cidr = /^(.+)\/(\d{1,2})$/.exec(value);
  if (cidr) {
    const base = ipv4(cidr[1]!);
    const bits = Number(cidr[2]);
    if (base !== null) {
      const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
      return (f) => {
        const ip = ipv4(f.clientIp);
        return ip !== null && ((ip & mask) >>> 0) === ((base & mask) >>> 0);
      };
    }
  }
  const m = glob(value, true);
  return (f) => m(f.clientIp) || m(f.session.client);
}

function statusMatcher(value: string): Predicate {
  const v = value.toLowerCase();
  if (v === 'none') return (f) => f.statuses.some((s) => s === null) || (f.mode === 'http' && f.statuses.length === 0);
  if (v.endsWith('xx')) {
    const cls = Number(v[0]);
    return (f) => f.statuses.some((s) => s !== null && Math.floor(s / 100) === cls);
  }
  const code = Number(v);
  return (f) => f.statuses.includes(code);
}

function fieldMatcher(field: Field, value: string): Predicate {
  switch (field) {
    case 'server': {
      const m = glob(value, false);
      return (f) => f.serverKeys.some(m);
    }
    case 'frontend': {
      const m = glob(value, false);
      return (f) => f.frontendKeys.some(m);
    }
    case 'term':
      return (f) => f.terms.some((t) => t.startsWith(value));
    case 'status':
      return statusMatcher(value);
    case 'client':
      return clientMatcher(value);
    case 'host': {
      const m = glob(value.toLowerCase().replace(/:\d+$/, ''), true);
      return (f) => f.hosts.some(m);
    }
    case 'method': {
      const m = glob(value, false);
      return (f) => f.methods.some(m);
    }
    case 'path': {
      const m = glob(value, false);
      return (f) => f.targets.some(m);
    }
    case 'mode':
      return (f) => f.mode === value;
  }
}

export function compileExpr(e: FilterExpr): Predicate {
  switch (e.kind) {
    case 'and': {
      const a = compileExpr(e.left);
      const b = compileExpr(e.right);
      return (f) => a(f) && b(f);
    }
    case 'or': {
      const a = compileExpr(e.left);
      const b = compileExpr(e.right);
      return (f) => a(f) || b(f);
    }
    case 'not': {
      const a = compileExpr(e.expr);
      return (f) => !a(f);
    }
    case 'flag':
      return e.flag === 'drops' ? (f) => f.drops > 0 : (f) => f.abnormal;
    case 'field':
      return fieldMatcher(e.field, e.value);
  }
}

const ALL: Predicate = () => true;

/** Parses and compiles; an empty (or blank) filter matches everything. */
export function compileFilter(text: string): CompiledFilter {
  if (text.trim() === '') return { ok: true, text, expr: null, match: ALL };
  try {
    const expr = parseFilter(text);
    return { ok: true, text, expr, match: compileExpr(expr) };
  } catch (e) {
    if (!(e instanceof FilterSyntaxError)) throw e;
    return { ok: false, text, error: { message: e.message, pos: e.pos, end: e.end } };
  }
}
