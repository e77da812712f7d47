/**
 * The TUI's root: the session list with its filter bar and summary, a session's detail tabs,
 * the help screen. Data comes from a SessionStore, which may grow while the app runs (live
 * mode); keys go through the keymap to the reducer (state.ts).
 */
import { Box, Text, useApp, useInput, type Key } from 'ink';
import { useMemo, useRef, useState, useSyncExternalStore } from 'react';
import { escapeInline } from '../report/escape.js';
import { detailLines } from './detail-lines.js';
import { DetailView } from './detail-view.js';
import { compileFilter } from './filter.js';
import { FilterBar, filterBarHeight } from './filter-bar.js';
import { HelpView, helpLines } from './help-view.js';
import { actionFor, keyName } from './keymap.js';
import { SessionList } from './session-list.js';
import type { SessionStore } from './session-store.js';
import { filterFacts, sortFacts } from './sort.js';
import { initialState, reduce, resolveCursor, resolveTop, type FrameInfo, type UiEvent, type UiState } from './state.js';
import { summarize, summaryLine } from './summary.js';
import { clip, fit, terminalSafe } from './text-line.js';
import { useTerminalSize, type TermSize } from './use-terminal-size.js';

export interface TuiAppProps {
  store: SessionStore;
  /** Shown in the title bar (escaped here). */
  title?: string;
  /** A fixed size (tests, benchmarks); default: the terminal's, following resizes. */
  size?: TermSize;
  initialFilter?: string;
  /** Called with each state after a key (tests). */
  onState?: (s: UiState) => void;
}

/** Key → events for the reducer: text while the filter bar is being edited, actions otherwise. */
export function eventsFor(s: UiState, input: string, key: Key): UiEvent[] {
  if (s.editing && !s.help) {
    if (key.return) return [{ type: 'edit', key: 'enter' }];
    if (key.escape) return [{ type: 'edit', key: 'esc' }];
    if (key.backspace || key.delete) return [{ type: 'edit', key: 'backspace' }];
    if (key.ctrl && input === 'u') return [{ type: 'edit', key: 'clear' }];
    if (key.ctrl && input === 'c') return [{ type: 'action', action: 'quit' }];
    if (key.upArrow) return [{ type: 'action', action: 'up' }];
    if (key.downArrow) return [{ type: 'action', action: 'down' }];
    if (key.pageUp) return [{ type: 'action', action: 'pageUp' }];
    if (key.pageDown) return [{ type: 'action', action: 'pageDown' }];
    if (key.ctrl || key.meta) return [];
    // Only printable ASCII is typed into the bar: what is shown is what is parsed, caret positions hold.
    const text = input.replace(/[^\x20-\x7e]/g, '');
    return text === '' ? [] : [{ type: 'text', text }];
  }
  const name = keyName(input, key);
  if (name === null) return [];
  const a = actionFor(name, s.view);
  if (a !== null) return [{ type: 'action', action: a }];
  return s.help ? [{ type: 'action', action: 'help' }] : [];
}

const NO_KEY: Key = {
  upArrow: false, downArrow: false, leftArrow: false, rightArrow: false, pageDown: false, pageUp: false, home: false, end: false,
  return: false, escape: false, ctrl: false, shift: false, tab: false, backspace: false, delete: false, meta: false,
  super: false, hyper: false, capsLock: false, numLock: false,
};

/**
 * Several plain characters in one read (typed fast, pasted, tmux send-keys) are taken one by one,
 * so "/server" opens the filter bar and types into it, and "jjj" moves three rows.
 */
export function splitInput(input: string, key: Key): [string, Key][] {
  if (input.length <= 1 || key.ctrl || key.meta || key.escape) return [[input, key]];
  return [...input].map((ch): [string, Key] => {
    if (ch === '\r' || ch === '\n') return ['', { ...NO_KEY, return: true }];
    if (ch === '\x7f' || ch === '\b') return ['', { ...NO_KEY, backspace: true }];
    if (ch === '\t') return ['', { ...NO_KEY, tab: true }];
    return [ch, { ...NO_KEY, shift: ch !== ch.toLowerCase() }];
  });
}

export function TuiApp({ store, title = '', size: fixedSize, initialFilter, onState }: TuiAppProps) {
  const { exit } = useApp();
  const size = useTerminalSize(fixedSize);
  const version = useSyncExternalStore(store.subscribe, store.getVersion);
  const [state, setState] = useState<UiState>(() => initialState(initialFilter));
  const stateRef = useRef(state);
  stateRef.current = state;

  const applied = useMemo(() => compileFilter(state.filterApplied), [state.filterApplied]);
  const typed = useMemo(() => compileFilter(state.filterInput), [state.filterInput]);
  // The store only grows: `version` says when; the facts of new sessions are computed then.
  const filtered = useMemo(() => (applied.ok ? filterFacts(store.facts.of(store.sessions), applied.match) : []), [version, applied, store]);
  const summary = useMemo(() => summaryLine(summarize(filtered), store.sessions.length), [filtered, store]);
  const list = useMemo(() => sortFacts(filtered, state.sort), [filtered, state.sort]);

  const width = Math.max(20, size.columns);
  // One line short of the terminal: ink then redraws in place instead of clearing the screen.
  const height = Math.max(8, size.rows - 1);
  const barHeight = filterBarHeight({ editing: state.editing, compiled: typed });
  const listHeight = Math.max(1, height - 4 - barHeight);
  const detailHeight = Math.max(1, height - 4);
  const cursor = resolveCursor(state, list);
  const top = resolveTop(state.top, cursor, listHeight, list.length);
  const selected = state.view === 'detail' ? state.selected : null;

  const lines = useMemo(
    () => (selected === null ? [] : detailLines(selected, store.legs, store.logIndex, {
      tab: state.tab, exchange: state.exchange, serverLeg: state.serverLeg, hex: state.hex, direction: state.direction, width,
    })),
    [selected, state.tab, state.exchange, state.serverLeg, state.hex, state.direction, width, version, store],
  );

  const helpHeight = height - 2;
  const helpCount = useMemo(() => helpLines().length, []);
  const frame = useRef<FrameInfo>({ list, listHeight, detailLines: 0, detailHeight });
  frame.current = { list, listHeight, detailLines: lines.length, detailHeight, helpLines: helpCount, helpHeight };

  useInput((input, key) => {
    let s = stateRef.current;
    for (const [ch, k] of splitInput(input, key)) {
      for (const e of eventsFor(s, ch, k)) {
        const next = reduce(s, e, frame.current);
        if (next === 'quit') {
          exit();
          return;
        }
        s = next;
      }
    }
    if (s !== stateRef.current) {
      stateRef.current = s;
      setState(s);
      onState?.(s);
    }
  });

  const sortText = `sort: ${state.sort.column} ${state.sort.descending ? 'desc' : 'asc'}`;
  const head = `proxytrace tui  ${escapeInline(title)}`;
  const right = `${sortText}  ? help  q quit `;
  const titleBar = fit(`${clip(head, Math.max(0, width - right.length - 1))}`.padEnd(Math.max(0, width - right.length)) + right, width);

  let body;
  let status: string;
  if (state.help) {
    body = <HelpView scroll={state.helpScroll} height={helpHeight} width={width} />;
    status = helpCount > helpHeight ? 'j/k scroll the help, any other key closes it' : 'any key closes the help';
  } else if (state.view === 'detail' && state.selected !== null) {
    const scroll = Math.min(state.scroll, Math.max(0, lines.length - detailHeight));
    body = <DetailView session={state.selected} facts={store.facts.get(state.selected)} tab={state.tab} lines={lines} scroll={scroll} height={detailHeight} width={width} />;
    const last = Math.min(lines.length, scroll + detailHeight);
    status = `lines ${lines.length === 0 ? 0 : scroll + 1}-${last} of ${lines.length}  j/k scroll  Tab next tab  ] [ next/prev  x hex  d direction  Esc back`;
  } else {
    body = (
      <Box flexDirection="column">
        <SessionList list={list} cursor={cursor} top={top} height={listHeight} width={width} sort={state.sort} />
        <Text wrap="truncate" bold>{terminalSafe(clip(summary, width))}</Text>
        <FilterBar input={state.filterInput} editing={state.editing} compiled={typed} width={width} />
      </Box>
    );
    status = state.editing
      ? 'typing a filter: Enter applies, Esc cancels, Ctrl-U clears'
      : `row ${list.length === 0 ? 0 : cursor + 1}/${list.length}  j/k move  Enter open  / filter  s sort  ? help  q quit`;
  }
  if (store.notice !== '') status = `${store.notice}  |  ${status}`;

  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text inverse wrap="truncate">{terminalSafe(titleBar)}</Text>
      {body}
      <Text dimColor wrap="truncate">{terminalSafe(clip(status, width))}</Text>
    </Box>
  );
}
