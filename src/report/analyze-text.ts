/**
 * `analyze`'s text trace: per session a short ladder client → proxy → server with times,
 * rewrites and drops called out, then a summary. Every string that came from the capture
 * (request lines, header names and values) goes through escapeInline.
 */
import type { Exchange, HeaderRewrites, ProxyInfo, ServerOnlyConnection, Session } from '../correlate/model.js';
import { escapeInline } from './escape.js';
import { timeOfDay } from './table.js';

const msBetween = (a: number, b: number): string => `${((b - a) * 1000).toFixed(3)} ms`;

function serverLabel(s: Session, i: number | null): string {
  if (i === null) return 'the proxy itself';
  const leg = s.serverLegs[i];
  if (!leg) return '?';
  return leg.name ? `${leg.name} (${leg.server})` : leg.server;
}

/**
 * The lines of a rewrites object but its body's, indented, by kind and the object's (shared)
 * `added` list: the correlate stage memoises header diffs, and under load a few diffs serve
 * every exchange.
 */
const headerLines = { request: new WeakMap<HeaderRewrites['added'], string[]>(), response: new WeakMap<HeaderRewrites['added'], string[]>() };

function rewriteLines(out: string[], kind: 'request' | 'response', r: HeaderRewrites | null): void {
  if (r === null) return;
  let lines = headerLines[kind].get(r.added);
  if (lines === undefined) {
    lines = [];
    if (r.requestLine) lines.push(`${kind} line: ${escapeInline(r.requestLine.before)} => ${escapeInline(r.requestLine.after)}`);
    for (const [n, v] of r.added) lines.push(`${kind} + ${escapeInline(n)}: ${escapeInline(v)}`);
    for (const [n, v] of r.removed) lines.push(`${kind} - ${escapeInline(n)}: ${escapeInline(v)}`);
    for (const [n, a, b] of r.changed) lines.push(`${kind} ~ ${escapeInline(n)}: ${escapeInline(a)} => ${escapeInline(b)}`);
    if (r.caseChanged.length > 0) lines.push(`${kind} name case: ${r.caseChanged.map(([a, b]) => `${escapeInline(a)}=>${escapeInline(b)}`).join(', ')}`);
    if (r.reordered) lines.push(`${kind} headers reordered`);
    lines = lines.map((l) => `    ${l}`);
    headerLines[kind].set(r.added, lines);
  }
  for (const l of lines) out.push(l);
  if (r.body === 'reframed' || r.body === 'changed') out.push(`    ${kind} body ${r.body}`);
}

function exchangeLines(s: Session, e: Exchange, t0: number): string[] {
  const at = (t: number | null): string => (t === null ? '        ?' : `+${((t - t0) * 1000).toFixed(3).padStart(9)} ms`);
  const status = e.status === null ? 'no response' : String(e.status);
  const out = [`  ${escapeInline(e.method)} ${escapeInline(e.target)} -> ${serverLabel(s, e.serverLeg)}: ${status}${e.haproxy ? `  ${e.haproxy.termination} ${timersText(e.haproxy.timers)}` : ''}`];
  out.push(`    ${at(e.requestStart)}  client -> proxy   request${e.requestHeadersDone !== null ? ` (headers in ${msBetween(e.requestStart, e.requestHeadersDone)})` : ''}`);
  if (e.forwardedAt !== null) out.push(`    ${at(e.forwardedAt)}  proxy -> server   request${e.requestHeadersDone !== null ? `, held ${msBetween(e.requestHeadersDone, e.forwardedAt)}` : ''}`);
  if (e.responseHeadersAt !== null) out.push(`    ${at(e.responseHeadersAt)}  server -> proxy   response headers`);
  if (e.responseEnd !== null) out.push(`    ${at(e.responseEnd)}  proxy -> client   response complete`);
  rewriteLines(out, 'request', e.rewrites.request);
  rewriteLines(out, 'response', e.rewrites.response);
  return out;
}

function timersText(t: Record<string, number>): string {
  return Object.values(t).join('/');
}

export function sessionText(s: Session): string {
  const head = `session ${s.id}  ${s.mode}  ${s.client} -> ${s.frontend}${s.frontendName ? ` (${escapeInline(s.frontendName)})` : ''}  ${timeOfDay(s.start)}  ${msBetween(s.start, s.end)}  ${s.bytes.clientToProxy}/${s.bytes.proxyToClient} B`;
  const lines = [head];
  if (s.mode === 'tcp') {
    for (const [i, l] of s.serverLegs.entries()) {
      lines.push(`  -> ${serverLabel(s, i)} from ${l.source}  ${l.bytes.proxyToServer}/${l.bytes.serverToProxy} B${l.proxyProtocol ? `  PROXY v${l.proxyProtocol.version} ${l.proxyProtocol.source ?? ''}` : ''}`);
    }
    if (s.serverLegs.length === 0) lines.push('  -> no server connection');
    if (s.haproxy) lines.push(`  haproxy: ${s.haproxy.termination} ${timersText(s.haproxy.timers)} ${s.haproxy.bytesRead} B`);
  }
  for (const e of s.exchanges) lines.push(...exchangeLines(s, e, s.start));
  for (const d of s.drops) {
    lines.push(`  DROP ${d.direction === 'clientToServer' ? 'client -> server' : 'server -> client'}: ${d.bytes} B between ${timeOfDay(d.first)} and ${timeOfDay(d.last)}: ${d.cause}`);
  }
  for (const l of s.losses ?? []) {
    lines.push(`  LOST ${l.direction === 'clientToServer' ? 'client -> server' : 'server -> client'} on the ${l.leg === 'client' ? 'client leg' : `server leg to ${serverLabel(s, l.leg)}`}: ${l.bytes} B at offset ${l.offset} sent ${timeOfDay(l.sent)}, got through ${timeOfDay(l.resent)} [${l.code}]: ${l.cause}`);
  }
  return lines.join('\n') + '\n';
}

export function summaryText(proxies: readonly ProxyInfo[], sessions: readonly Session[], serverOnly: readonly ServerOnlyConnection[]): string {
  const sum = new SummaryCounts();
  for (const s of sessions) sum.add(s);
  return sum.text(proxies, serverOnly);
}

/** The summary's counts, kept as sessions stream by (so the sessions themselves need not be). */
export class SummaryCounts {
  private readonly perServer = new Map<string, number>();
  private readonly terminations = new Map<string, number>();
  private sessions = 0;
  private requests = 0;
  private drops = 0;
  private dropped = 0;
  private losses = 0;
  private lostBytes = 0;

  add(s: Session): void {
    const perServer = this.perServer;
    const terminations = this.terminations;
    this.sessions++;
    for (const e of s.exchanges) {
      this.requests++;
      const k = serverLabel(s, e.serverLeg);
      perServer.set(k, (perServer.get(k) ?? 0) + 1);
      if (e.haproxy) terminations.set(e.haproxy.termination, (terminations.get(e.haproxy.termination) ?? 0) + 1);
    }
    if (s.mode === 'tcp') {
      const k = s.serverLegs.length > 0 ? serverLabel(s, 0) : 'no server';
      perServer.set(k, (perServer.get(k) ?? 0) + 1);
      if (s.haproxy) terminations.set(s.haproxy.termination, (terminations.get(s.haproxy.termination) ?? 0) + 1);
    }
    this.drops += s.drops.length;
    this.dropped += s.drops.reduce((n, d) => n + d.bytes, 0);
    if (s.losses) {
      this.losses += s.losses.length;
      this.lostBytes += s.losses.reduce((n, l) => n + l.bytes, 0);
    }
  }

  text(proxies: readonly ProxyInfo[], serverOnly: readonly ServerOnlyConnection[]): string {
    const { perServer, terminations, drops, dropped } = this;
    const checks = serverOnly.filter((c) => c.kind === 'health-check').length;
    const lines = [
      '',
      `proxies: ${proxies.map((p) => `${p.addresses.join('+')} listening on ${p.listeners.join(', ')}`).join('; ') || 'none found'}`,
      `sessions: ${this.sessions}, requests: ${this.requests}, health checks: ${checks}, other server-only connections: ${serverOnly.length - checks}`,
      `per server: ${[...perServer].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join(', ') || '-'}`,
      `termination states: ${[...terminations].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join(', ') || '-'}`,
      `drops: ${drops === 0 ? 'none' : `${drops} (${dropped} bytes)`}`,
    ];
    // Only located with several capture points: a single capture has no line for it.
    if (this.losses > 0) lines.push(`segments lost and retransmitted, located: ${this.losses} (${this.lostBytes} bytes)`);
    return lines.join('\n') + '\n';
  }
}

/** Server connections with no client: health checks in one line, the others one line each. */
export function serverOnlyText(serverOnly: readonly ServerOnlyConnection[]): string {
  let text = '';
  const checks = serverOnly.filter((c) => c.kind === 'health-check');
  if (checks.length > 0) {
    text += `health checks: ${checks.length} (${[...new Set(checks.map((c) => `${c.server}${c.request ? ` "${escapeInline(c.request)}"` : ''}`))].join(', ')})\n`;
  }
  for (const c of serverOnly.filter((x) => x.kind !== 'health-check')) {
    text += `server connection with no client: ${c.source} -> ${c.server}${c.request ? ` "${escapeInline(c.request)}"` : ''}\n`;
  }
  return text;
}
