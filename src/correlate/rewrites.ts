/**
 * What a proxy changed in one message it forwarded: headers added, removed, changed in value,
 * changed only in name case (HAProxy 2.6 lower-cases every name it forwards: a case change, not
 * a value change), reordered; the start line; the body.
 */
import { headText, type HttpMessage } from '../app/http/index.js';
import { compareBodies } from './http-match.js';
import type { HeaderRewrites } from './model.js';

interface Field {
  name: string;
  lower: string;
  value: string;
  pos: number;
  /** Paired with a field on the other side. */
  used: boolean;
}

type HeaderDiff = Pick<HeaderRewrites, 'added' | 'removed' | 'changed' | 'caseChanged' | 'reordered' | 'requestLine'>;

/**
 * Header diffs by pair of header blocks (compact messages): under load the same few blocks come
 * back again and again, and so do their diffs. The lists are shared between the exchanges that
 * have the same pair: read-only.
 */
let diffs = new Map<string, Map<string, HeaderDiff>>();
let diffCount = 0;
const MAX_DIFFS = 1 << 14;

/** `before`: the message as it reached the proxy; `after`: as the proxy sent it on. */
export function compareMessages(before: HttpMessage, after: HttpMessage): HeaderRewrites {
  const hb = headText(before);
  const ha = headText(after);
  let d: HeaderDiff | undefined;
  if (hb !== undefined && ha !== undefined) {
    let inner = diffs.get(hb);
    if (inner === undefined) {
      if (diffCount >= MAX_DIFFS) {
        diffs = new Map();
        diffCount = 0;
      }
      diffs.set(hb, (inner = new Map()));
    }
    d = inner.get(ha);
    if (d === undefined) {
      d = headerDiff(before, after);
      inner.set(ha, d);
      diffCount++;
    }
  } else d = headerDiff(before, after);
  return {
    added: d.added, removed: d.removed, changed: d.changed, caseChanged: d.caseChanged, reordered: d.reordered,
    requestLine: d.requestLine, body: compareBodies(before, after),
  };
}

function headerDiff(before: HttpMessage, after: HttpMessage): HeaderDiff {
  const out: HeaderDiff = {
    added: [], removed: [], changed: [], caseChanged: [], reordered: false,
    requestLine: before.startLine === after.startLine ? null : { before: before.startLine, after: after.startLine },
  };
  // Header lists are short: linear scans beat maps here.
  const b = fields(before.headers);
  const a = fields(after.headers);
  /** [position before, position after] of every field present on both sides. */
  const kept: [number, number][] = [];
  const pair = (f: Field, g: Field): void => {
    f.used = true;
    g.used = true;
    kept.push([f.pos, g.pos]);
    if (f.name !== g.name && !out.caseChanged.some(([x, y]) => x === f.name && y === g.name)) out.caseChanged.push([f.name, g.name]);
  };
  // Same name and value first, then same name (a changed value), in order.
  for (const f of b) {
    const g = a.find((x) => !x.used && x.lower === f.lower && x.value === f.value);
    if (g) pair(f, g);
  }
  for (const f of b) {
    if (f.used) continue;
    const g = a.find((x) => !x.used && x.lower === f.lower);
    if (g === undefined) continue;
    out.changed.push([f.lower, f.value, g.value]);
    pair(f, g);
  }
  for (const f of b) if (!f.used) out.removed.push([f.name, f.value]);
  for (const g of a) if (!g.used) out.added.push([g.name, g.value]);
  kept.sort((x, y) => x[0] - y[0]);
  for (let i = 1; i < kept.length; i++) if (kept[i]![1] < kept[i - 1]![1]) out.reordered = true;
  return out;
}

function fields(headers: [string, string][]): Field[] {
  return headers.map(([name, value], pos) => ({ name, lower: name.toLowerCase(), value, pos, used: false }));
}
