/**
 * Applies one statement of a defaults / frontend / listen / backend section to its settings.
 * Returns false when the statement is not understood (unknown keyword or unusable arguments):
 * the caller then keeps it as an unknown directive.
 */
import { parseAddress } from './config-address.js';
import { CHECK_OPTIONS, OPTION_NAMES, PROXY_KEYWORDS, TIMEOUT_NAMES } from './config-keywords.js';
import { buildServer, parseServerParams, parseSourceSpec } from './config-server.js';
import { parseHaproxyTime } from './config-time.js';
import type {
  CookieConfig, DefaultsSection, Directive, HttpConnectionMode, HttpReuse, LogFormatKind, ProxySection, ProxySettings, TimeoutName,
} from './config-types.js';

export interface ApplyContext {
  /** Raw text from word i to the end of the statement. */
  rawFrom(i: number): string;
  warn(message: string): void;
  error(message: string): void;
}

const HTTP_MODE_OPTIONS: Record<string, HttpConnectionMode> = {
  'http-keep-alive': 'keep-alive',
  'http-server-close': 'server-close',
  httpclose: 'close',
};
const LOG_OPTIONS = ['httplog', 'tcplog', 'httpslog'];
const COOKIE_FLAGS = new Set(['indirect', 'nocache', 'postonly', 'preserve', 'httponly', 'secure', 'dynamic']);
const INT = /^[0-9]+$/;

export function newSettings(): ProxySettings {
  return {
    mode: 'tcp', timeouts: {}, options: {}, httpConnectionMode: 'keep-alive', logFormatKind: 'default', logFormat: null,
    balance: null, cookie: null, source: null, httpReuse: null, retries: null, defaultBackend: null, maxconn: null, defaultServer: [],
  };
}

/** A proxy's starting point: a deep copy of its defaults, options marked inherited. */
export function inheritSettings(from: ProxySettings | null): ProxySettings {
  if (from === null) return newSettings();
  const s = structuredClone(pickSettings(from));
  for (const o of Object.values(s.options)) o.inherited = true;
  return s;
}

function pickSettings(d: ProxySettings): ProxySettings {
  const { mode, timeouts, options, httpConnectionMode, logFormatKind, logFormat, balance, cookie, source, httpReuse, retries, defaultBackend, maxconn, defaultServer } = d;
  return { mode, timeouts, options, httpConnectionMode, logFormatKind, logFormat, balance, cookie, source, httpReuse, retries, defaultBackend, maxconn, defaultServer };
}

export function applyDirective(target: ProxySection | DefaultsSection, d: Directive, ctx: ApplyContext): boolean {
  const a = d.args;
  const isProxy = 'kind' in target;
  switch (d.keyword) {
    case 'mode':
      if (a[0] !== 'http' && a[0] !== 'tcp') return false;
      target.mode = a[0];
      return true;
    case 'timeout': return applyTimeout(target, a, ctx);
    case 'option': return applyOption(target, 'std', a, d.line);
    case 'no':
      if (a[0] === 'option') return applyOption(target, 'no', a.slice(1), d.line);
      return a[0] === 'log';
    case 'default':
      return a[0] === 'option' && applyOption(target, 'default', a.slice(1), d.line);
    case 'balance':
      if (a[0] === undefined) return false;
      target.balance = { algorithm: a[0], args: a.slice(1) };
      return true;
    case 'cookie': {
      const c = parseCookie(a);
      if (c === null) return false;
      target.cookie = c;
      return true;
    }
    case 'source': {
      const s = parseSourceSpec(a);
      if (s === null) return false;
      target.source = s;
      return true;
    }
    case 'http-reuse':
      if (a[0] !== 'never' && a[0] !== 'safe' && a[0] !== 'aggressive' && a[0] !== 'always') return false;
      target.httpReuse = a[0] satisfies HttpReuse;
      return true;
    case 'retries':
      if (!INT.test(a[0] ?? '')) return false;
      target.retries = Number(a[0]);
      return true;
    case 'maxconn':
      if (!INT.test(a[0] ?? '')) return false;
      target.maxconn = Number(a[0]);
      return true;
    case 'default_backend':
      if (a[0] === undefined) return false;
      target.defaultBackend = a[0];
      return true;
    case 'log-format':
      if (a.length === 0) return false;
      setLogFormat(target, 'custom');
      target.logFormat = a.join(' ');
      return true;
    case 'default-server': {
      const p = parseServerParams(a);
      if (p.error !== null) return false;
      target.defaultServer.push(...p.params);
      return true;
    }
    default:
      return isProxy ? applyProxyOnly(target, d, ctx) : PROXY_KEYWORDS.has(d.keyword);
  }
}

/** Statements that only make sense in a frontend, listen or backend. */
function applyProxyOnly(p: ProxySection, d: Directive, ctx: ApplyContext): boolean {
  const a = d.args;
  switch (d.keyword) {
    case 'bind': {
      if (a[0] === undefined) return false;
      const added = [];
      for (const text of a[0].split(',')) {
        const addr = parseAddress(text);
        if (addr === null || addr.portOffset !== null) return false;
        added.push({ text, family: addr.family, address: addr.host, port: addr.port, portEnd: addr.portEnd, params: a.slice(1), line: d.line });
      }
      p.binds.push(...added);
      return true;
    }
    case 'acl':
      if (a.length < 2 || a[0] === undefined) return false;
      p.acls.push({ name: a[0], text: ctx.rawFrom(2), line: d.line });
      return true;
    case 'use_backend': {
      if (a[0] === undefined) return false;
      if (a.length === 1) {
        p.useBackends.push({ backend: a[0], condition: null, negate: false, line: d.line });
        return true;
      }
      if ((a[1] !== 'if' && a[1] !== 'unless') || a.length < 3) return false;
      p.useBackends.push({ backend: a[0], condition: ctx.rawFrom(3), negate: a[1] === 'unless', line: d.line });
      return true;
    }
    case 'server': {
      const [name, addr] = a;
      if (name === undefined || addr === undefined) return false;
      const own = parseServerParams(a.slice(2));
      if (own.error !== null) return false;
      const s = buildServer(name, addr, [...p.defaultServer, ...own.params], own.unknown, d.line);
      if (s === null) return false;
      p.servers.push(s);
      return true;
    }
    case 'capture': return applyCapture(p, a);
    case 'declare':
      // declare capture request|response len <n>: an anonymous slot, logged in the {...} blocks.
      if (a[0] !== 'capture' || (a[1] !== 'request' && a[1] !== 'response') || a[2] !== 'len' || !INT.test(a[3] ?? '')) return false;
      (a[1] === 'request' ? p.captures.requestHeaders : p.captures.responseHeaders).push({ name: '', length: Number(a[3]) });
      return true;
    case 'http-request': {
      // "http-request capture <sample> len <n>" allocates a new request slot too.
      const len = a.indexOf('len');
      if (a[0] === 'capture' && len > 1 && INT.test(a[len + 1] ?? '')) p.captures.requestHeaders.push({ name: a[1] ?? '', length: Number(a[len + 1]) });
      return true;
    }
    case 'disabled':
      p.disabled = true;
      return true;
    case 'enabled':
      p.disabled = false;
      return true;
    default:
      return PROXY_KEYWORDS.has(d.keyword);
  }
}

function applyTimeout(t: ProxySettings, a: readonly string[], ctx: ApplyContext): boolean {
  const [name, value] = a;
  if (name === undefined || value === undefined || !TIMEOUT_NAMES.has(name) || a.length > 2) return false;
  const r = parseHaproxyTime(value);
  if ('error' in r) {
    ctx.error(`${r.error} in 'timeout ${name}'`);
    return false;
  }
  if (r.warning !== null) ctx.warn(r.warning);
  t.timeouts[name as TimeoutName] = r.ms;
  return true;
}

/**
 * "option X" / "no option X" / "default option X". Some options share one setting in HAProxy and
 * replace each other rather than add up: the HTTP connection mode (httpclose, http-server-close,
 * http-keep-alive), the log format (httplog, tcplog, httpslog, log-format) and the health check
 * type (httpchk, tcp-check, ...).
 */
function applyOption(t: ProxySettings, how: 'std' | 'no' | 'default', a: readonly string[], line: number): boolean {
  const name = a[0];
  if (name === undefined || !OPTION_NAMES.has(name)) return false;
  const mode = HTTP_MODE_OPTIONS[name];
  if (how === 'default') {
    delete t.options[name];
    if (mode !== undefined && t.httpConnectionMode === mode) t.httpConnectionMode = 'keep-alive';
    return true;
  }
  const enabled = how === 'std';
  if (enabled) {
    if (mode !== undefined) {
      for (const other of Object.keys(HTTP_MODE_OPTIONS)) delete t.options[other];
      t.httpConnectionMode = mode;
    } else if (LOG_OPTIONS.includes(name)) {
      setLogFormat(t, name === 'httplog' && a[1] === 'clf' ? 'httplog-clf' : (name as LogFormatKind));
    } else if (CHECK_OPTIONS.has(name)) {
      for (const other of CHECK_OPTIONS) delete t.options[other];
    }
  } else if (mode !== undefined && t.httpConnectionMode === mode) {
    // "no option httpclose" only cancels httpclose; it does not undo another mode.
    t.httpConnectionMode = 'keep-alive';
  } else if (LOG_OPTIONS.includes(name) && t.logFormatKind.startsWith(name)) {
    t.logFormatKind = 'default';
  }
  t.options[name] = { enabled, args: a.slice(1), line, inherited: false };
  return true;
}

function setLogFormat(t: ProxySettings, kind: LogFormatKind): void {
  for (const o of LOG_OPTIONS) delete t.options[o];
  t.logFormatKind = kind;
  t.logFormat = null;
}

/** cookie <name> [rewrite|insert|prefix] [indirect] [nocache] ... [domain <d>]* [maxidle <t>] [maxlife <t>] [attr <v>]* */
function parseCookie(a: readonly string[]): CookieConfig | null {
  const name = a[0];
  if (name === undefined) return null;
  const c: CookieConfig = { name, mode: 'passive', flags: [], domains: [], maxidle: null, maxlife: null, attrs: [] };
  for (let i = 1; i < a.length; i++) {
    const w = a[i] ?? '';
    if (w === 'rewrite' || w === 'insert' || w === 'prefix') c.mode = w;
    else if (COOKIE_FLAGS.has(w)) c.flags.push(w);
    else if (w === 'domain' || w === 'attr' || w === 'maxidle' || w === 'maxlife') {
      const v = a[++i];
      if (v === undefined) return null;
      if (w === 'domain') c.domains.push(v);
      else if (w === 'attr') c.attrs.push(v);
      else {
        // maxidle / maxlife count whole seconds (a bare number is seconds), reported here in ms.
        const r = parseHaproxyTime(/^[0-9]+$/.test(v) ? `${v}s` : v);
        if ('error' in r) return null;
        c[w] = Math.ceil(r.ms / 1000) * 1000;
      }
    } else return null;
  }
  return c;
}

/** capture request header <name> len <n> | capture response header <name> len <n> | capture cookie <name> len <n> */
function applyCapture(p: ProxySection, a: readonly string[]): boolean {
  if (a[0] === 'cookie' && a[1] !== undefined && a[2] === 'len' && INT.test(a[3] ?? '')) {
    p.captures.cookie = { name: a[1], length: Number(a[3]) };
    return true;
  }
  if ((a[0] === 'request' || a[0] === 'response') && a[1] === 'header' && a[2] !== undefined && a[3] === 'len' && INT.test(a[4] ?? '')) {
    (a[0] === 'request' ? p.captures.requestHeaders : p.captures.responseHeaders).push({ name: a[2], length: Number(a[4]) });
    return true;
  }
  return false;
}
