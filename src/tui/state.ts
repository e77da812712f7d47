/**
 * The TUI's state and its transitions: a pure reducer, given what it needs to know about the
 * current frame (the filtered list, page heights, the detail's line count). The session list
 * itself is not state: it lives in the SessionStore and grows.
 */
import type { Session } from '../correlate/model.js';
import type { BytesDirection } from './bytes-view.js';
import { compileFilter } from './filter.js';
import type { Action } from './keymap.js';
import type { SessionFacts } from './session-facts.js';
import { nextSortColumn, type SortSpec } from './sort.js';

export type Tab = 'ladder' | 'headers' | 'bytes' | 'verdict';
export const TABS: readonly Tab[] = ['ladder', 'headers', 'bytes', 'verdict'];

export interface UiState {
  view: 'list' | 'detail';
  help: boolean;
  /** First help line shown (the help scrolls when the terminal is short). */
  helpScroll: number;
  /** The filter bar has the keyboard. */
  editing: boolean;
  /** What is typed in the filter bar (may not parse). */
  filterInput: string;
  /** The filter in force: the last text that parsed. */
  filterApplied: string;
  /** filterApplied when editing began (Esc goes back to it). */
  filterBefore: string;
  sort: SortSpec;
  /** Index into the filtered list, and the session there (kept when the list changes under it). */
  cursor: number;
  selected: Session | null;
  /** First list row shown. */
  top: number;
  tab: Tab;
  /** First detail line shown. */
  scroll: number;
  exchange: number;
  serverLeg: number;
  hex: boolean;
  direction: BytesDirection;
}

export function initialState(filter = ''): UiState {
  return {
    view: 'list', help: false, helpScroll: 0, editing: false, filterInput: filter, filterApplied: compileFilter(filter).ok ? filter : '', filterBefore: '',
    sort: { column: 'time', descending: false }, cursor: 0, selected: null, top: 0,
    tab: 'ladder', scroll: 0, exchange: 0, serverLeg: 0, hex: false, direction: 'up',
  };
}

export interface FrameInfo {
  /** The filtered, sorted sessions. */
  list: readonly SessionFacts[];
  listHeight: number;
  detailLines: number;
  detailHeight: number;
  /** The help's line count and the lines it has on screen (default: it fits). */
  helpLines?: number;
  helpHeight?: number;
}

export type UiEvent =
  | { type: 'action'; action: Action }
  | { type: 'text'; text: string }
  | { type: 'edit'; key: 'enter' | 'esc' | 'backspace' | 'clear' };

const clamp = (n: number, lo: number, hi: number): number => Math.max(lo, Math.min(hi, n));

/** The cursor's index in `list`: where the selected session now is, else the old index clamped. */
export function resolveCursor(s: UiState, list: readonly SessionFacts[]): number {
  if (list.length === 0) return 0;
  if (s.selected !== null && list[s.cursor]?.session !== s.selected) {
    const i = list.findIndex((f) => f.session === s.selected);
    if (i >= 0) return i;
  }
  return clamp(s.cursor, 0, list.length - 1);
}

/** The first row to show so the cursor stays visible, moving as little as possible. */
export function resolveTop(top: number, cursor: number, height: number, count: number): number {
  const h = Math.max(1, height);
  let t = clamp(top, 0, Math.max(0, count - h));
  if (cursor < t) t = cursor;
  if (cursor >= t + h) t = cursor - h + 1;
  return Math.max(0, t);
}

function moveCursor(s: UiState, f: FrameInfo, to: number): UiState {
  const n = f.list.length;
  const cursor = n === 0 ? 0 : clamp(to, 0, n - 1);
  return { ...s, cursor, selected: f.list[cursor]?.session ?? null, top: resolveTop(s.top, cursor, f.listHeight, n) };
}

function scrollDetail(s: UiState, f: FrameInfo, to: number): UiState {
  return { ...s, scroll: clamp(to, 0, Math.max(0, f.detailLines - f.detailHeight)) };
}

function setFilterInput(s: UiState, text: string): UiState {
  const ok = compileFilter(text).ok;
  return { ...s, filterInput: text, filterApplied: ok ? text : s.filterApplied };
}

function listAction(s: UiState, a: Action, f: FrameInfo, cursor: number): UiState {
  const page = Math.max(1, f.listHeight - 1);
  switch (a) {
    case 'down': return moveCursor(s, f, cursor + 1);
    case 'up': return moveCursor(s, f, cursor - 1);
    case 'pageDown': return moveCursor(s, f, cursor + page);
    case 'pageUp': return moveCursor(s, f, cursor - page);
    case 'top': return moveCursor(s, f, 0);
    case 'bottom': return moveCursor(s, f, f.list.length - 1);
    case 'open': {
      const selected = f.list[cursor]?.session;
      if (selected === undefined) return s;
      return { ...s, view: 'detail', cursor, selected, scroll: 0, exchange: 0, serverLeg: 0 };
    }
    case 'filter': return { ...s, editing: true, filterBefore: s.filterApplied, filterInput: s.filterApplied };
    case 'clearFilter': return { ...s, filterInput: '', filterApplied: '' };
    case 'sort': return { ...s, sort: { column: nextSortColumn(s.sort.column), descending: s.sort.descending } };
    case 'sortReverse': return { ...s, sort: { ...s.sort, descending: !s.sort.descending } };
    default: return s;
  }
}

function detailAction(s: UiState, a: Action, f: FrameInfo): UiState {
  const page = Math.max(1, f.detailHeight - 1);
  const tabAt = (i: number): UiState => ({ ...s, tab: TABS[(i + TABS.length) % TABS.length]!, scroll: 0 });
  const n = s.selected ? (s.tab === 'bytes' ? s.selected.serverLegs.length : s.selected.exchanges.length) : 0;
  const item = (delta: number): UiState => {
    const k = n === 0 ? 0 : (((s.tab === 'bytes' ? s.serverLeg : s.exchange) + delta) % n + n) % n;
    return s.tab === 'bytes' ? { ...s, serverLeg: k, scroll: 0 } : { ...s, exchange: k, scroll: 0 };
  };
  switch (a) {
    case 'down': return scrollDetail(s, f, s.scroll + 1);
    case 'up': return scrollDetail(s, f, s.scroll - 1);
    case 'pageDown': return scrollDetail(s, f, s.scroll + page);
    case 'pageUp': return scrollDetail(s, f, s.scroll - page);
    case 'top': return scrollDetail(s, f, 0);
    case 'bottom': return scrollDetail(s, f, f.detailLines);
    case 'back': return { ...s, view: 'list' };
    case 'nextTab': return tabAt(TABS.indexOf(s.tab) + 1);
    case 'prevTab': return tabAt(TABS.indexOf(s.tab) - 1);
    case 'tab1': return tabAt(0);
    case 'tab2': return tabAt(1);
    case 'tab3': return tabAt(2);
    case 'tab4': return tabAt(3);
    case 'nextItem': return item(1);
    case 'prevItem': return item(-1);
    case 'toggleHex': return { ...s, hex: !s.hex };
    case 'toggleDirection': return { ...s, direction: s.direction === 'up' ? 'down' : 'up', scroll: 0 };
    default: return s;
  }
}

/** In the help, the moving keys scroll it; any other key closes it. */
function helpAction(s: UiState, a: Action, f: FrameInfo): UiState {
  const height = f.helpHeight ?? 1;
  const max = Math.max(0, (f.helpLines ?? 0) - height);
  const to = (n: number): UiState => ({ ...s, helpScroll: clamp(n, 0, max) });
  switch (a) {
    case 'down': return to(s.helpScroll + 1);
    case 'up': return to(s.helpScroll - 1);
    case 'pageDown': return to(s.helpScroll + Math.max(1, height - 1));
    case 'pageUp': return to(s.helpScroll - Math.max(1, height - 1));
    case 'top': return to(0);
    case 'bottom': return to(max);
    default: return { ...s, help: false };
  }
}

/** The next state, or 'quit'. */
export function reduce(s: UiState, e: UiEvent, f: FrameInfo): UiState | 'quit' {
  const cursor = resolveCursor(s, f.list);
  if (e.type === 'text') return s.editing ? setFilterInput(s, s.filterInput + e.text) : s;
  if (e.type === 'edit') {
    switch (e.key) {
      case 'backspace': return setFilterInput(s, s.filterInput.slice(0, -1));
      case 'clear': return setFilterInput(s, '');
      case 'esc': return { ...s, editing: false, filterInput: s.filterBefore, filterApplied: s.filterBefore };
      case 'enter': return compileFilter(s.filterInput).ok ? { ...s, editing: false } : s;
    }
  }
  const a = e.action;
  if (a === 'quit') return 'quit';
  if (s.help) return helpAction(s, a, f);
  if (a === 'help') return { ...s, help: true, helpScroll: 0 };
  return s.view === 'list' ? listAction({ ...s, cursor }, a, f, cursor) : detailAction(s, a, f);
}
