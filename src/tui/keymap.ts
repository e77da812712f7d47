/**
 * Keys as data: one table of (keys, action, where, help). Input is turned into a key name,
 * looked up here; the help screen is generated from the same table, so it cannot drift.
 */
import type { Key } from 'ink';

export type Action =
  | 'up' | 'down' | 'pageUp' | 'pageDown' | 'top' | 'bottom'
  | 'open' | 'back' | 'nextTab' | 'prevTab' | 'tab1' | 'tab2' | 'tab3' | 'tab4'
  | 'nextItem' | 'prevItem' | 'toggleHex' | 'toggleDirection'
  | 'filter' | 'clearFilter' | 'sort' | 'sortReverse' | 'help' | 'quit';

/** list: the session list; detail: a session's tabs; any: both. */
export type KeyContext = 'list' | 'detail' | 'any';

export interface Binding {
  /** Key names as keyName() returns them; the first is shown first in the help. */
  keys: readonly string[];
  action: Action;
  where: KeyContext;
  help: string;
}

export const KEYMAP: readonly Binding[] = [
  { keys: ['down', 'j'], action: 'down', where: 'any', help: 'next session / scroll down' },
  { keys: ['up', 'k'], action: 'up', where: 'any', help: 'previous session / scroll up' },
  { keys: ['pgdn', 'ctrl-d', 'space'], action: 'pageDown', where: 'any', help: 'page down' },
  { keys: ['pgup', 'ctrl-u'], action: 'pageUp', where: 'any', help: 'page up' },
  { keys: ['g', 'home'], action: 'top', where: 'any', help: 'first line' },
  { keys: ['G', 'end'], action: 'bottom', where: 'any', help: 'last line' },
  { keys: ['enter', 'l', 'right'], action: 'open', where: 'list', help: 'open the session' },
  { keys: ['/'], action: 'filter', where: 'list', help: 'edit the filter (Enter applies, Esc cancels)' },
  { keys: ['c'], action: 'clearFilter', where: 'list', help: 'clear the filter' },
  { keys: ['s'], action: 'sort', where: 'list', help: 'sort by the next column' },
  { keys: ['S'], action: 'sortReverse', where: 'list', help: 'reverse the sort order' },
  { keys: ['esc', 'h', 'left', 'backspace'], action: 'back', where: 'detail', help: 'back to the list' },
  { keys: ['tab'], action: 'nextTab', where: 'detail', help: 'next tab' },
  { keys: ['shift-tab'], action: 'prevTab', where: 'detail', help: 'previous tab' },
  { keys: ['1'], action: 'tab1', where: 'detail', help: 'ladder tab' },
  { keys: ['2'], action: 'tab2', where: 'detail', help: 'headers tab' },
  { keys: ['3'], action: 'tab3', where: 'detail', help: 'bytes tab' },
  { keys: ['4'], action: 'tab4', where: 'detail', help: 'verdict tab' },
  { keys: [']', 'n'], action: 'nextItem', where: 'detail', help: 'next exchange (headers) / server connection (bytes)' },
  { keys: ['[', 'p'], action: 'prevItem', where: 'detail', help: 'previous exchange / server connection' },
  { keys: ['x'], action: 'toggleHex', where: 'detail', help: 'bytes: escaped text <-> hex' },
  { keys: ['d'], action: 'toggleDirection', where: 'detail', help: 'bytes: client->server <-> server->client' },
  { keys: ['?'], action: 'help', where: 'any', help: 'this help (j/k scroll it, any other key closes it)' },
  { keys: ['q', 'ctrl-c'], action: 'quit', where: 'any', help: 'quit' },
];

/** A stable name for what ink reports: "j", "G", "down", "ctrl-d", "shift-tab", "enter"... */
export function keyName(input: string, key: Key): string | null {
  if (key.upArrow) return 'up';
  if (key.downArrow) return 'down';
  if (key.leftArrow) return 'left';
  if (key.rightArrow) return 'right';
  if (key.pageUp) return 'pgup';
  if (key.pageDown) return 'pgdn';
  if (key.home) return 'home';
  if (key.end) return 'end';
  if (key.return) return 'enter';
  if (key.escape) return 'esc';
  if (key.tab) return key.shift ? 'shift-tab' : 'tab';
  if (key.backspace || key.delete) return 'backspace';
  if (key.ctrl && input.length === 1) return `ctrl-${input.toLowerCase()}`;
  if (input === ' ') return 'space';
  if (input.length === 1) return input;
  return null;
}

export function actionFor(name: string, where: 'list' | 'detail'): Action | null {
  for (const b of KEYMAP) {
    if ((b.where === 'any' || b.where === where) && b.keys.includes(name)) return b.action;
  }
  return null;
}

/** The help screen's text, generated from KEYMAP. */
export function helpText(): string[] {
  const groups: [KeyContext, string][] = [['any', 'everywhere'], ['list', 'session list'], ['detail', 'session detail']];
  const out: string[] = ['proxytrace tui: keys', ''];
  for (const [where, title] of groups) {
    out.push(`${title}:`);
    for (const b of KEYMAP.filter((k) => k.where === where)) out.push(`  ${b.keys.join(' ').padEnd(22)} ${b.help}`);
    out.push('');
  }
  out.push('filter (/): server web1   term sD   status 5xx   status 503   drops   abnormal');
  out.push('  client 127.0.0.90 (or a /24)   host ww1.itnihao.cn   method GET   path /api/*');
  out.push('  frontend fe_http   mode tcp; combined with ! & | ( ), juxtaposition is &;');
  out.push('  * is a wildcard; "quoted values" may hold spaces');
  out.push('list markers: x = bytes dropped by the proxy, ! = abnormal termination state');
  return out;
}
