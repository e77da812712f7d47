/**
 * What a proxy changed in one message it forwarded: headers added, removed, changed in value,
 * changed only in name case (HAProxy 2.6 lower-cases every name it forwards: a case change, not
 * a value change), reordered; the start line; the body.
 */
import type { HttpMessage } from '../app/http/index.js';
import { compareBodies } from './http-match.js';
import type { HeaderRewrites } from './model.js';

interface Field {
  name: string;
  value: string;
  pos: number;
}

/** `before`: the message as it reached the proxy; `after`: as the proxy sent it on. */
export function compareMessages(before: HttpMessage, after: HttpMessage): HeaderRewrites {
  const out: HeaderRewrites = {
    added: [], removed: [], changed: [], caseChanged: [], reordered: false,
    requestLine: before.startLine === after.startLine ? null : { before: before.startLine, after: after.startLine },
    body: compareBodies(before, after),
  };
  const b = byName(before.headers);
  const a = byName(after.headers);
  const cases = new Set<string>();
  /** [position before, position after] of every field present on both sides. */
  const kept: [number, number][] = [];
  for (const [lower, bs] of b) {
    const as = a.get(lower) ?? [];
    const pairs: [Field, Field][] = [];
    const restB: Field[] = [];
    const usedA = new Set<Field>();
    for (const f of bs) {
      const same = as.find((g) => !usedA.has(g) && g.value === f.value);
      if (same) {
        usedA.add(same);
        pairs.push([f, same]);
      } else {
        restB.push(f);
      }
    }
    const restA = as.filter((g) => !usedA.has(g));
    for (let i = 0; i < restB.length; i++) {
      const f = restB[i]!;
      const g = restA[i];
      if (g === undefined) {
        out.removed.push([f.name, f.value]);
        continue;
      }
      out.changed.push([lower, f.value, g.value]);
      pairs.push([f, g]);
    }
    for (const g of restA.slice(restB.length)) out.added.push([g.name, g.value]);
    for (const [f, g] of pairs) {
      kept.push([f.pos, g.pos]);
      const key = `${f.name}\0${g.name}`;
      if (f.name !== g.name && !cases.has(key)) {
        cases.add(key);
        out.caseChanged.push([f.name, g.name]);
      }
    }
  }
  for (const [lower, as] of a) if (!b.has(lower)) for (const g of as) out.added.push([g.name, g.value]);
  out.added.sort((x, y) => posOf(after.headers, x) - posOf(after.headers, y));
  kept.sort((x, y) => x[0] - y[0]);
  for (let i = 1; i < kept.length; i++) if (kept[i]![1] < kept[i - 1]![1]) out.reordered = true;
  return out;
}

function byName(headers: [string, string][]): Map<string, Field[]> {
  const m = new Map<string, Field[]>();
  headers.forEach(([name, value], pos) => {
    const lower = name.toLowerCase();
    const list = m.get(lower);
    if (list) list.push({ name, value, pos });
    else m.set(lower, [{ name, value, pos }]);
  });
  return m;
}

function posOf(headers: [string, string][], field: [string, string]): number {
  return headers.findIndex(([n, v]) => n === field[0] && v === field[1]);
}
