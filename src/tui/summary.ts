/** The summary line under the list: requests per server, termination states, drops. */
import type { SessionFacts } from './session-facts.js';

export interface Summary {
  sessions: number;
  requests: number;
  /** [escaped server label, requests], most first. */
  perServer: [string, number][];
  terminations: [string, number][];
  drops: number;
  dropBytes: number;
}

function bump(m: Map<string, number>, k: string): void {
  m.set(k, (m.get(k) ?? 0) + 1);
}

export function summarize(list: readonly SessionFacts[]): Summary {
  const perServer = new Map<string, number>();
  const terms = new Map<string, number>();
  let requests = 0;
  let drops = 0;
  let dropBytes = 0;
  for (const f of list) {
    requests += f.session.exchanges.length;
    for (const k of f.requestServers) bump(perServer, k);
    for (const t of f.termsEscaped) bump(terms, t);
    drops += f.drops;
    dropBytes += f.dropBytes;
  }
  const sorted = (m: Map<string, number>): [string, number][] => [...m].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  return { sessions: list.length, requests, perServer: sorted(perServer), terminations: sorted(terms), drops, dropBytes };
}

export function summaryLine(s: Summary, total: number): string {
  const shown = s.sessions === total ? `${total} sessions` : `${s.sessions} of ${total} sessions`;
  const servers = s.perServer.map(([k, n]) => `${k} ${n}`).join(', ') || '-';
  const terms = s.terminations.map(([k, n]) => `${k} ${n}`).join(', ') || '-';
  const drops = s.drops === 0 ? 'none' : `${s.drops} (${s.dropBytes} B)`;
  return `${shown}, ${s.requests} requests | servers: ${servers} | term: ${terms} | drops: ${drops}`;
}
