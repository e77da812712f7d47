/**
 * The TUI's pure parts around the list: the reducer (cursor, scrolling, filter editing, tabs),
 * the keymap, sorting, the columns at several widths, the summary.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Key } from 'ink';
import { eventsFor, splitInput } from '../src/tui/app.js';
import { actionFor, helpText, keyName, KEYMAP, type Action } from '../src/tui/keymap.js';
import { headerText, layoutColumns, marker, rowText } from '../src/tui/list-columns.js';
import { FactsCache, type SessionFacts } from '../src/tui/session-facts.js';
import { buildView, nextSortColumn, SORT_COLUMNS } from '../src/tui/sort.js';
import { initialState, reduce, resolveCursor, resolveTop, type FrameInfo, type UiEvent, type UiState } from '../src/tui/state.js';
import { summarize, summaryLine } from '../src/tui/summary.js';
import { compileFilter } from '../src/tui/filter.js';
import { syntheticSessions } from './helpers/tui-sessions.js';

const NO_KEY: Key = {
  upArrow: false, downArrow: false, leftArrow: false, rightArrow: false, pageDown: false, pageUp: false, home: false, end: false,
  return: false, escape: false, ctrl: false, shift: false, tab: false, backspace: false, delete: false, meta: false,
  super: false, hyper: false, capsLock: false, numLock: false,
};

function facts(n: number, seed = 3): SessionFacts[] {
  const cache = new FactsCache();
  return syntheticSessions(n, seed).map((s) => cache.get(s));
}

function frame(list: readonly SessionFacts[], listHeight = 10, detailLines = 50, detailHeight = 20): FrameInfo {
  return { list, listHeight, detailLines, detailHeight };
}

function run(s: UiState, f: FrameInfo, ...events: UiEvent[]): UiState {
  for (const e of events) {
    const next = reduce(s, e, f);
    assert.notEqual(next, 'quit');
    s = next as UiState;
  }
  return s;
}

const act = (action: Action): UiEvent => ({ type: 'action', action });

test('cursor: moves, pages, jumps, and the list scrolls to keep it visible', () => {
  const list = facts(100);
  const f = frame(list);
  let s = run(initialState(), f, act('down'), act('down'));
  assert.equal(s.cursor, 2);
  assert.equal(s.selected, list[2]!.session);
  s = run(s, f, act('pageDown'));
  assert.equal(s.cursor, 11);
  assert.equal(s.top, 2, 'the window follows the cursor, moving as little as it can');
  s = run(s, f, act('bottom'));
  assert.equal(s.cursor, 99);
  assert.equal(s.top, 90);
  s = run(s, f, act('down'));
  assert.equal(s.cursor, 99, 'stops at the end');
  s = run(s, f, act('top'), act('up'));
  assert.equal(s.cursor, 0);
  assert.equal(s.top, 0);
  assert.equal(resolveTop(50, 3, 10, 100), 3);
  assert.equal(resolveTop(0, 3, 10, 2), 0);
});

test('the cursor stays on its session when the list changes under it (filter, sort, growth)', () => {
  const list = facts(50);
  let s = run(initialState(), frame(list), act('down'), act('down'), act('down'));
  const chosen = s.selected;
  const reversed = [...list].reverse();
  assert.equal(resolveCursor(s, reversed), 46);
  assert.equal(resolveCursor(s, list.slice(3)), 0);
  assert.equal(resolveCursor(s, list.slice(10)), 3, 'gone: the old index, clamped');
  assert.equal(resolveCursor(s, []), 0);
  s = run(s, frame(reversed), act('down'));
  assert.equal(s.cursor, 47);
  assert.notEqual(s.selected, chosen);
});

test('filter editing: typed text applies when it parses, Esc restores, Enter needs a valid filter', () => {
  const f = frame(facts(10));
  let s = run(initialState(), f, act('filter'));
  assert.equal(s.editing, true);
  s = run(s, f, { type: 'text', text: 'server web1' });
  assert.equal(s.filterApplied, 'server web1');
  s = run(s, f, { type: 'text', text: ' & (' });
  assert.equal(s.filterInput, 'server web1 & (');
  assert.equal(s.filterApplied, 'server web1', 'the last valid filter stays in force');
  s = run(s, f, { type: 'edit', key: 'enter' });
  assert.equal(s.editing, true, 'Enter does not leave with an error');
  s = run(s, f, { type: 'edit', key: 'backspace' }, { type: 'edit', key: 'backspace' }, { type: 'edit', key: 'backspace' }, { type: 'edit', key: 'backspace' });
  assert.equal(s.filterInput, 'server web1');
  s = run(s, f, { type: 'edit', key: 'enter' });
  assert.equal(s.editing, false);
  s = run(s, f, act('filter'), { type: 'edit', key: 'clear' }, { type: 'text', text: 'drops' });
  assert.equal(s.filterApplied, 'drops');
  s = run(s, f, { type: 'edit', key: 'esc' });
  assert.deepEqual([s.editing, s.filterInput, s.filterApplied], [false, 'server web1', 'server web1']);
  s = run(s, f, act('clearFilter'));
  assert.equal(s.filterApplied, '');
  assert.equal(initialState('status 6xx').filterApplied, '', 'an invalid initial filter is not applied');
});

test('detail: open, tabs cycle both ways, items wrap, scrolling is bounded, back, help, quit', () => {
  const list = facts(5);
  const f = frame(list, 10, 50, 20);
  let s = run(initialState(), f, act('down'), act('open'));
  assert.equal(s.view, 'detail');
  assert.equal(s.selected, list[1]!.session);
  assert.equal(s.tab, 'ladder');
  s = run(s, f, act('nextTab'), act('nextTab'));
  assert.equal(s.tab, 'bytes');
  s = run(s, f, act('prevTab'), act('prevTab'), act('prevTab'));
  assert.equal(s.tab, 'verdict');
  s = run(s, f, act('tab2'));
  assert.equal(s.tab, 'headers');
  const n = s.selected!.exchanges.length;
  s = run(s, f, act('prevItem'));
  assert.equal(s.exchange, (n - 1) % Math.max(1, n));
  s = run(s, f, act('bottom'));
  assert.equal(s.scroll, 30, 'the last page: 50 lines, 20 shown');
  s = run(s, f, act('pageDown'), act('down'));
  assert.equal(s.scroll, 30);
  s = run(s, f, act('top'), act('up'));
  assert.equal(s.scroll, 0);
  s = run(s, f, act('toggleHex'), act('toggleDirection'));
  assert.deepEqual([s.hex, s.direction], [true, 'down']);
  s = run(s, { ...f, helpLines: 40, helpHeight: 30 }, act('help'), act('bottom'), act('down'));
  assert.deepEqual([s.help, s.helpScroll], [true, 10], 'the moving keys scroll the help');
  s = run(s, f, act('toggleHex'));
  assert.equal(s.help, false, 'any other key closes it');
  assert.equal(s.hex, true, 'and does nothing else');
  s = run(s, f, act('back'));
  assert.equal(s.view, 'list');
  assert.equal(reduce(s, act('quit'), f), 'quit');
});

test('keymap: names for ink keys, actions by context, every binding in the help', () => {
  assert.equal(keyName('', { ...NO_KEY, downArrow: true }), 'down');
  assert.equal(keyName('', { ...NO_KEY, tab: true, shift: true }), 'shift-tab');
  assert.equal(keyName('d', { ...NO_KEY, ctrl: true }), 'ctrl-d');
  assert.equal(keyName('G', { ...NO_KEY, shift: true }), 'G');
  assert.equal(keyName(' ', NO_KEY), 'space');
  assert.equal(actionFor('j', 'list'), 'down');
  assert.equal(actionFor('enter', 'list'), 'open');
  assert.equal(actionFor('enter', 'detail'), null);
  assert.equal(actionFor('esc', 'detail'), 'back');
  assert.equal(actionFor('/', 'detail'), null);
  assert.equal(actionFor('ctrl-c', 'detail'), 'quit');
  const help = helpText().join('\n');
  for (const b of KEYMAP) assert.ok(help.includes(`${b.keys.join(' ')}`) && help.includes(b.help), `help lists ${b.action}`);
  // No key is bound twice in one context.
  for (const where of ['list', 'detail'] as const) {
    const seen = new Map<string, string>();
    for (const b of KEYMAP.filter((x) => x.where === where || x.where === 'any')) {
      for (const k of b.keys) {
        assert.equal(seen.get(k), undefined, `${k} bound to ${seen.get(k)} and ${b.action} in ${where}`);
        seen.set(k, b.action);
      }
    }
  }
});

test('input: several keys in one read are taken one by one; the filter bar gets printable text only', () => {
  assert.deepEqual(splitInput('/sx', NO_KEY).map(([c]) => c), ['/', 's', 'x']);
  assert.equal(splitInput('\x7f\x7f', NO_KEY).filter(([, k]) => k.backspace).length, 2);
  const editing = { ...initialState(), editing: true };
  assert.deepEqual(eventsFor(editing, 'a\x1b[31mb', NO_KEY), [{ type: 'text', text: 'a[31mb' }]);
  assert.deepEqual(eventsFor(editing, 'u', { ...NO_KEY, ctrl: true }), [{ type: 'edit', key: 'clear' }]);
  assert.deepEqual(eventsFor(initialState(), 'z', NO_KEY), [], 'unbound keys do nothing');
  assert.deepEqual(eventsFor({ ...initialState(), help: true }, 'z', NO_KEY), [{ type: 'action', action: 'help' }], 'but close the help');
});

test('sort: each column, both directions, ties in arrival order', () => {
  const all = facts(500, 9);
  const match = compileFilter('').ok ? () => true : () => false;
  for (const column of SORT_COLUMNS) {
    for (const descending of [false, true]) {
      const v = buildView(all, match, { column, descending });
      assert.equal(v.length, all.length);
      for (let i = 1; i < v.length; i++) {
        const key = (f: SessionFacts): number | string => ({
          time: f.session.start, client: f.client, server: f.server, status: f.status ?? -1, term: f.terms[0] ?? '',
          up: f.bytesUp, down: f.bytesDown, latency: f.latencyMs ?? -1,
        })[column];
        const a = key(v[i - 1]!);
        const b = key(v[i]!);
        assert.ok(descending ? a >= b : a <= b, `${column} ${descending ? 'desc' : 'asc'} at ${i}`);
        if (a === b) assert.ok(all.indexOf(v[i - 1]!) < all.indexOf(v[i]!), 'stable');
      }
    }
  }
  assert.equal(nextSortColumn('latency'), 'time');
});

test('columns: fit the width, drop the least useful first, mark the sort column', () => {
  const f = facts(1)[0]!;
  for (const width of [60, 80, 100, 120, 200]) {
    const layout = layoutColumns(width);
    assert.equal(rowText(layout, f, width).length, width);
    assert.equal(headerText(layout, { column: 'time', descending: false }, width).length, width);
  }
  assert.ok(layoutColumns(120).columns.some((c) => c.col.id === 'client'));
  assert.ok(!layoutColumns(90).columns.some((c) => c.col.id === 'client'));
  assert.ok(layoutColumns(60).columns.some((c) => c.col.id === 'term'), 'the essentials stay');
  assert.match(headerText(layoutColumns(120), { column: 'status', descending: true }, 120), /stv/);
  assert.equal(marker({ ...f, drops: 1, abnormal: true }), 'x!');
  assert.equal(marker({ ...f, drops: 0, abnormal: false }), '  ');
});

test('summary: requests per server, termination states, drops', () => {
  const all = facts(300, 5);
  const s = summarize(all);
  assert.equal(s.sessions, 300);
  assert.equal(s.perServer.reduce((n, [, k]) => n + k, 0), all.reduce((n, f) => n + f.requestServers.length, 0));
  assert.equal(s.drops, all.filter((f) => f.drops > 0).length);
  assert.match(summaryLine(s, 1000), /^300 of 1000 sessions, \d+ requests \| servers: be_web\/web\d \d+/);
  assert.match(summaryLine(summarize([]), 0), /^0 sessions, 0 requests \| servers: - \| term: - \| drops: none$/);
});
