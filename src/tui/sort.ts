/** The list's sort columns (`s` cycles them, `S` reverses) and the filtered, sorted view. */
import type { Predicate } from './filter.js';
import type { SessionFacts } from './session-facts.js';

export type SortColumn = 'time' | 'client' | 'server' | 'status' | 'term' | 'up' | 'down' | 'latency';

export const SORT_COLUMNS: readonly SortColumn[] = ['time', 'client', 'server', 'status', 'term', 'up', 'down', 'latency'];

export interface SortSpec {
  column: SortColumn;
  descending: boolean;
}

export function nextSortColumn(c: SortColumn): SortColumn {
  return SORT_COLUMNS[(SORT_COLUMNS.indexOf(c) + 1) % SORT_COLUMNS.length]!;
}

function keyOf(c: SortColumn, f: SessionFacts): number | string {
  switch (c) {
    case 'time': return f.session.start;
    case 'client': return f.client;
    case 'server': return f.server;
    case 'status': return f.status ?? -1;
    case 'term': return f.terms[0] ?? '';
    case 'up': return f.bytesUp;
    case 'down': return f.bytesDown;
    case 'latency': return f.latencyMs ?? -1;
  }
}

/** The sessions the filter keeps, in their order. */
export function filterFacts(all: readonly SessionFacts[], match: Predicate): SessionFacts[] {
  const kept: SessionFacts[] = [];
  for (const f of all) if (match(f)) kept.push(f);
  return kept;
}

/** In sort order; ties keep their order in `kept` (arrival). */
export function sortFacts(kept: readonly SessionFacts[], sort: SortSpec): SessionFacts[] {
  if (sort.column === 'time' && !sort.descending && isByStart(kept)) return [...kept];
  const keys = kept.map((f) => keyOf(sort.column, f));
  const order = kept.map((_, i) => i);
  const dir = sort.descending ? -1 : 1;
  order.sort((a, b) => {
    const x = keys[a]!;
    const y = keys[b]!;
    if (x < y) return -dir;
    if (x > y) return dir;
    return a - b;
  });
  return order.map((i) => kept[i]!);
}

/** Already in start order (the usual case: analyze returns sessions by start): no sort needed. */
function isByStart(list: readonly SessionFacts[]): boolean {
  for (let i = 1; i < list.length; i++) if (list[i]!.session.start < list[i - 1]!.session.start) return false;
  return true;
}

/** Filtered and sorted. */
export function buildView(all: readonly SessionFacts[], match: Predicate, sort: SortSpec): SessionFacts[] {
  return sortFacts(filterFacts(all, match), sort);
}
