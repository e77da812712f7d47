/**
 * HAProxy 2.6 configuration reader: parseHaproxyConfig(text, file) never throws. Statements it
 * cannot understand are kept as unknown directives; section header errors (missing or invalid
 * name, stray arguments, unmatched quotes) and values HAProxy would reject become diagnostics
 * with file:line. Each proxy starts from a copy of its defaults section, as HAProxy does, so its
 * settings are the effective ones.
 */
import { OTHER_SECTIONS, GLOBAL_KEYWORDS, GLOBAL_PREFIXES } from './config-keywords.js';
import { applyDirective, inheritSettings, newSettings, type ApplyContext } from './config-proxy.js';
import { tokenizeLine, type Word } from './config-tokenize.js';
import type { DefaultsSection, Diagnostic, Directive, GlobalSection, HaproxyConfig, OtherSection, ProxyKind, ProxySection } from './config-types.js';

export type * from './config-types.js';
export { parseHaproxyTime } from './config-time.js';
export { proxyFor, serverByAddress, serversByAddress, proxyByName } from './config-lookup.js';

const PROXY_NAME = /^[A-Za-z0-9_.:-]+$/;

type Current =
  | { kind: 'none' }
  | { kind: 'global'; section: GlobalSection }
  | { kind: 'defaults'; section: DefaultsSection }
  | { kind: 'proxy'; section: ProxySection }
  | { kind: 'other'; section: OtherSection };

export function parseHaproxyConfig(text: string, file: string): HaproxyConfig {
  const config: HaproxyConfig = { file, global: null, defaults: [], proxies: [], others: [], orphans: [], diagnostics: [] };
  const diag = (severity: Diagnostic['severity'], line: number, message: string): void => {
    config.diagnostics.push({ severity, file, line, message });
  };
  let current: Current = { kind: 'none' };
  let lastDefaults: DefaultsSection | null = null;
  let warnedConditionals = false;

  const lines = text.split(/\r?\n/);
  for (const [index, raw] of lines.entries()) {
    const lineNo = index + 1;
    const tok = tokenizeLine(raw);
    if ('error' in tok) {
      const first = raw.trim().split(/\s+/, 1)[0] ?? '';
      diag('error', lineNo, `${tok.error}${isSectionKeyword(first) ? ` in '${first}' section header` : ''}`);
      const d: Directive = { keyword: first, args: [], line: lineNo, text: raw.trim() };
      if (isSectionKeyword(first)) {
        // Start the (broken) section anyway so that its statements do not land in the previous one.
        current = startSection(first, [], d, true);
      } else {
        addUnknown(d);
      }
      continue;
    }
    const words = tok.words;
    const first = words[0];
    if (first === undefined) continue;
    const d: Directive = {
      keyword: first.text,
      args: words.slice(1).map((w) => w.text),
      line: lineNo,
      text: raw.slice(first.start, words[words.length - 1]?.end ?? first.end),
    };
    if (isSectionKeyword(d.keyword)) {
      current = startSection(d.keyword, d.args, d, false);
      continue;
    }
    if (d.keyword.startsWith('.')) {
      // .if/.elif/.else/.endif, .diag, .notice, .warning, .alert: conditions need the environment.
      if (!warnedConditionals && d.keyword.startsWith('.if')) {
        diag('warning', lineNo, 'conditional blocks are not evaluated: every branch is read');
        warnedConditionals = true;
      }
      addKnown(d);
      continue;
    }
    statement(d, words);
  }
  if (current.kind === 'proxy') finishProxy(current.section);
  return config;

  function isSectionKeyword(k: string): boolean {
    return k === 'global' || k === 'defaults' || k === 'frontend' || k === 'listen' || k === 'backend' || OTHER_SECTIONS.has(k);
  }

  function addKnown(d: Directive): void {
    if (current.kind === 'none') config.orphans.push(d);
    else current.section.directives.push(d);
  }

  function addUnknown(d: Directive): void {
    addKnown(d);
    if (current.kind === 'none') diag('error', d.line, `unknown keyword '${d.keyword}' out of section`);
    else if (current.kind !== 'other') current.section.unknown.push(d);
  }

  function statement(d: Directive, words: Word[]): void {
    switch (current.kind) {
      case 'none':
        addUnknown(d);
        return;
      case 'other':
        addKnown(d);
        return;
      case 'global': {
        const g = current.section;
        const known = GLOBAL_KEYWORDS.has(d.keyword) || GLOBAL_PREFIXES.some((p) => d.keyword.startsWith(p));
        if (d.keyword === 'maxconn' && /^[0-9]+$/.test(d.args[0] ?? '')) g.maxconn = Number(d.args[0]);
        if (d.keyword === 'log' && d.args[0] !== undefined) g.logTargets.push(d.args[0]);
        if (known) addKnown(d);
        else addUnknown(d);
        return;
      }
      case 'defaults':
      case 'proxy': {
        const ctx: ApplyContext = {
          rawFrom: (i) => {
            const w = words[i];
            const last = words[words.length - 1];
            return w === undefined || last === undefined ? '' : d.text.slice(w.start - (words[0]?.start ?? 0), last.end - (words[0]?.start ?? 0));
          },
          warn: (m) => diag('warning', d.line, m),
          error: (m) => diag('error', d.line, m),
        };
        if (applyDirective(current.section, d, ctx)) addKnown(d);
        else addUnknown(d);
        return;
      }
    }
  }

  function startSection(keyword: string, args: string[], d: Directive, malformed: boolean): Current {
    if (current.kind === 'proxy') finishProxy(current.section);
    const line = d.line;
    if (keyword === 'global') {
      if (args.length > 0) diag('error', line, `'global' cannot handle unexpected argument '${args[0]}'`);
      if (config.global === null) config.global = { line, maxconn: null, logTargets: [], directives: [], unknown: [] };
      return { kind: 'global', section: config.global };
    }
    if (OTHER_SECTIONS.has(keyword)) {
      const o: OtherSection = { keyword, name: args[0] ?? null, line, directives: [] };
      config.others.push(o);
      return { kind: 'other', section: o };
    }
    // [<name>] [from <defaults>], the name being mandatory except for defaults.
    let name: string | null = args[0] === 'from' ? null : (args[0] ?? null);
    const rest = name === null ? args : args.slice(1);
    let from: string | null = null;
    if (rest[0] === 'from') {
      from = rest[1] ?? null;
      if (from === null) {
        diag('error', line, `'from' expects a defaults section name in '${keyword}' section header`);
        malformed = true;
      } else if (rest.length > 2) {
        diag('error', line, `unexpected argument '${rest[2]}' in '${keyword}' section header`);
        malformed = true;
      }
    } else if (rest.length > 0) {
      const hint = keyword !== 'backend' && keyword !== 'defaults' && /[:*]/.test(rest[0] ?? '') ? ` (please use the 'bind' keyword for listening addresses)` : '';
      diag('error', line, `unexpected argument '${rest[0]}' in '${keyword}' section header${hint}`);
      malformed = true;
    }
    let base: DefaultsSection | null = lastDefaults;
    if (from !== null) {
      base = [...config.defaults].reverse().find((s) => s.name === from) ?? null;
      if (base === null) {
        diag('error', line, `defaults section '${from}' not found for ${keyword} '${name ?? ''}'`);
        malformed = true;
      }
    }
    if (keyword === 'defaults') {
      // An anonymous defaults section resets everything to HAProxy's defaults (manual section 4).
      const settings = from !== null ? inheritSettings(base) : newSettings();
      const s: DefaultsSection = { ...settings, name, from, file, line, directives: [], unknown: [] };
      config.defaults.push(s);
      lastDefaults = s;
      return { kind: 'defaults', section: s };
    }
    if (name === null && !malformed) {
      diag('error', line, `'${keyword}' expects a name (section header)`);
      malformed = true;
    } else if (name !== null && !PROXY_NAME.test(name)) {
      const bad = [...name].find((c) => !PROXY_NAME.test(c)) ?? '';
      diag('error', line, `character '${bad}' is not permitted in '${keyword}' name '${name}'`);
      malformed = true;
    }
    name ??= '';
    const kind = keyword as ProxyKind;
    const clash = config.proxies.find((p) => p.name === name && name !== '' && (p.kind === kind || p.kind === 'listen' || kind === 'listen'));
    if (clash) diag('error', line, `${kind} '${name}' has the same name as the ${clash.kind} declared at line ${clash.line}`);
    const p: ProxySection = {
      ...inheritSettings(base), kind, name, file, line, defaults: base ? { name: base.name, line: base.line } : null, malformed,
      disabled: false, binds: [], acls: [], useBackends: [], servers: [], captures: { requestHeaders: [], responseHeaders: [], cookie: null },
      httpCheck: null, directives: [], unknown: [],
    };
    config.proxies.push(p);
    return { kind: 'proxy', section: p };
  }

  /** Settings HAProxy settles once the whole section is known. */
  function finishProxy(p: ProxySection): void {
    const chk = p.options['httpchk'];
    if (chk?.enabled) {
      const [a0, a1, ...more] = chk.args;
      p.httpCheck = a1 === undefined
        ? { method: 'OPTIONS', uri: a0 ?? '/', version: 'HTTP/1.0' }
        : { method: a0 ?? 'OPTIONS', uri: a1, version: more.length > 0 ? more.join(' ') : 'HTTP/1.0' };
    }
    // Checked after parsing (cfgparse.c): an HTTP log format on a TCP frontend falls back to tcplog.
    // HAProxy reports it at the option's line, which may be in the defaults section.
    if (p.kind !== 'backend' && p.mode === 'tcp' && (p.logFormatKind.startsWith('httplog') || p.logFormatKind === 'httpslog')) {
      const option = p.logFormatKind === 'httpslog' ? 'httpslog' : 'httplog';
      diag('warning', p.options[option]?.line ?? p.line, `'option ${option}' not usable with ${p.kind} '${p.name}' (needs 'mode http'). Falling back to 'option tcplog'.`);
      p.logFormatKind = 'tcplog';
    }
  }
}

/** "file:line: message", the way HAProxy and compilers point at a line. */
export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}:${d.line}: ${d.severity}: ${d.message}`;
}
