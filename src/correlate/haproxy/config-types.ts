/**
 * What parseHaproxyConfig returns: the sections of one HAProxy 2.6 configuration file, with the
 * settings proxytrace needs parsed, defaults already applied to each proxy, and every statement
 * kept in order for anything else.
 */
import type { AddressFamily } from './config-address.js';

export type ProxyKind = 'frontend' | 'listen' | 'backend';
export type ProxyMode = 'http' | 'tcp';
export type TimeoutName =
  | 'client' | 'server' | 'connect' | 'queue' | 'http-request' | 'http-keep-alive' | 'tunnel'
  | 'client-fin' | 'server-fin' | 'check' | 'tarpit';
/** HTTP connection handling (manual section 4): keep-alive is the default and the weakest. */
export type HttpConnectionMode = 'keep-alive' | 'server-close' | 'close';
/** Which traffic log line a frontend writes: 'default' is the "Connect from" line of 8.2.1. */
export type LogFormatKind = 'default' | 'tcplog' | 'httplog' | 'httplog-clf' | 'httpslog' | 'custom';
export type HttpReuse = 'never' | 'safe' | 'aggressive' | 'always';
export type CookieMode = 'insert' | 'rewrite' | 'prefix' | 'passive';

export interface Diagnostic {
  severity: 'error' | 'warning';
  file: string;
  line: number;
  message: string;
}

/** One statement: its keyword, the words after it, and its text as written (comment removed). */
export interface Directive {
  keyword: string;
  args: string[];
  line: number;
  text: string;
}

export interface Bind {
  /** The address as written ("127.0.0.22:80", "*:80", ":443"). */
  text: string;
  family: AddressFamily;
  /** '' listens on all addresses of the family. */
  address: string;
  port: number | null;
  portEnd: number | null;
  /** The bind parameters (ssl, crt, accept-proxy, v6only, ...), common to all addresses of the line. */
  params: string[];
  line: number;
}

export interface Acl {
  name: string;
  /** Criterion, flags, operator and values, as written. */
  text: string;
  line: number;
}

export interface UseBackend {
  backend: string;
  /** The condition after "if"/"unless", as written; null when unconditional. */
  condition: string | null;
  /** "unless": the rule applies when the condition is false. */
  negate: boolean;
  line: number;
}

export interface SourceSpec {
  text: string;
  address: string;
  port: number | null;
  portEnd: number | null;
  /** What follows "usesrc" (an address, client, clientip, hdr_ip(...)), transparent proxying. */
  usesrc: string | null;
  interface: string | null;
}

/** One server keyword with its value (null for a flag), as written, in order. */
export interface ServerParam {
  name: string;
  value: string | null;
}

export interface Server {
  name: string;
  /** The address as written. */
  text: string;
  family: AddressFamily;
  address: string;
  /** null: connect to the port the client connected to (or to it plus portOffset). */
  port: number | null;
  portOffset: number | null;
  /** 1 unless set (0..256). */
  weight: number;
  check: boolean;
  /** "inter" in ms (checks run every 2000 ms unless set). */
  inter: number | null;
  cookie: string | null;
  /** send-proxy is v1; send-proxy-v2 (and its -ssl/-ssl-cn forms) v2, which wins if both are set. */
  sendProxy: 'v1' | 'v2' | null;
  checkSendProxy: boolean;
  source: SourceSpec | null;
  backup: boolean;
  disabled: boolean;
  maxconn: number | null;
  /** default-server parameters in force when the server was declared, then the server's own. */
  params: ServerParam[];
  /** Keywords that are not HAProxy 2.6 server keywords (taken as flags). */
  unknownParams: string[];
  line: number;
}

export interface Balance {
  algorithm: string;
  args: string[];
}

export interface CookieConfig {
  name: string;
  mode: CookieMode;
  /** indirect, nocache, postonly, preserve, httponly, secure, dynamic: those present. */
  flags: string[];
  domains: string[];
  maxidle: number | null;
  maxlife: number | null;
  attrs: string[];
}

export interface OptionSetting {
  /** false after "no option X". */
  enabled: boolean;
  args: string[];
  line: number;
  /** Set in the defaults section the proxy took its settings from. */
  inherited: boolean;
}

export interface HttpCheck {
  method: string;
  uri: string;
  version: string;
}

export interface Captures {
  requestHeaders: { name: string; length: number }[];
  responseHeaders: { name: string; length: number }[];
  cookie: { name: string; length: number } | null;
}

/** What a defaults section presets, and every proxy starts from. */
export interface ProxySettings {
  /** tcp unless set. */
  mode: ProxyMode;
  /** Milliseconds. */
  timeouts: Partial<Record<TimeoutName, number>>;
  /** Effective options by name ("no option X" kept as enabled: false). */
  options: Record<string, OptionSetting>;
  httpConnectionMode: HttpConnectionMode;
  /** What option httplog / tcplog / httpslog / log-format last set (before the mode check). */
  logFormatKind: LogFormatKind;
  /** The log-format string when logFormatKind is 'custom'. */
  logFormat: string | null;
  balance: Balance | null;
  cookie: CookieConfig | null;
  source: SourceSpec | null;
  httpReuse: HttpReuse | null;
  /** Connection retries (HAProxy uses 3 when unset). */
  retries: number | null;
  defaultBackend: string | null;
  maxconn: number | null;
  /** default-server parameters, in order. */
  defaultServer: ServerParam[];
}

export interface DefaultsSection extends ProxySettings {
  name: string | null;
  /** The defaults section named after "from", when given. */
  from: string | null;
  file: string;
  line: number;
  directives: Directive[];
  unknown: Directive[];
}

export interface ProxySection extends ProxySettings {
  kind: ProxyKind;
  name: string;
  file: string;
  line: number;
  /** The defaults section the settings came from (the last one before, or the one after "from"). */
  defaults: { name: string | null; line: number } | null;
  /** A header error made HAProxy reject this section; it is still parsed as far as possible. */
  malformed: boolean;
  disabled: boolean;
  binds: Bind[];
  acls: Acl[];
  useBackends: UseBackend[];
  servers: Server[];
  captures: Captures;
  httpCheck: HttpCheck | null;
  directives: Directive[];
  unknown: Directive[];
}

export interface GlobalSection {
  line: number;
  maxconn: number | null;
  /** Targets of the "log" lines ("stdout", "127.0.0.1:514", ...). */
  logTargets: string[];
  directives: Directive[];
  unknown: Directive[];
}

/** userlist, peers, resolvers, mailers, program, http-errors, ring, cache, fcgi-app, log-forward. */
export interface OtherSection {
  keyword: string;
  name: string | null;
  line: number;
  directives: Directive[];
}

export interface HaproxyConfig {
  file: string;
  /** The global sections merged (it may be repeated). */
  global: GlobalSection | null;
  defaults: DefaultsSection[];
  /** frontend, listen and backend sections in file order. */
  proxies: ProxySection[];
  others: OtherSection[];
  /** Statements before any section. */
  orphans: Directive[];
  diagnostics: Diagnostic[];
}
