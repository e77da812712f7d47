/**
 * Enough of HAProxy's ACL language to replay a frontend's use_backend choice from a captured
 * request: named ACLs and anonymous { ... } blocks, '!' negation, implicit AND and '||' / 'or',
 * with the header, path, URL and method fetches and the -i / -m flags. Anything else evaluates to
 * null ("cannot tell"), and the caller falls back to the server address the capture shows.
 */
import { headerValues } from '../../app/http/headers.js';
import type { HttpRequest } from '../../app/http/index.js';
import type { Acl } from './config-types.js';

type Tri = boolean | null;

export function evaluateCondition(condition: string, acls: readonly Acl[], req: HttpRequest | null): Tri {
  const terms = splitOr(tokens(condition));
  let result: Tri = false;
  for (const term of terms) {
    const v = evaluateAnd(term, acls, req);
    if (v === true) return true;
    if (v === null) result = null;
  }
  return result;
}

function tokens(text: string): string[] {
  return text.trim().split(/\s+/).filter((t) => t !== '');
}

function splitOr(words: string[]): string[][] {
  const out: string[][] = [[]];
  let depth = 0;
  for (const w of words) {
    if (w === '{') depth++;
    if (w === '}') depth--;
    if (depth === 0 && (w === '||' || w === 'or')) out.push([]);
    else out[out.length - 1]!.push(w);
  }
  return out;
}

function evaluateAnd(words: string[], acls: readonly Acl[], req: HttpRequest | null): Tri {
  let result: Tri = true;
  for (let i = 0; i < words.length; i++) {
    let w = words[i]!;
    let negate = false;
    if (w === '!') {
      negate = true;
      w = words[++i] ?? '';
    } else if (w.startsWith('!')) {
      negate = true;
      w = w.slice(1);
    }
    let v: Tri;
    if (w === '{') {
      const close = words.indexOf('}', i);
      if (close < 0) return null;
      v = evaluateCriterion(words.slice(i + 1, close), req);
      i = close;
    } else {
      v = evaluateNamed(w, acls, req);
    }
    if (v !== null && negate) v = !v;
    if (v === false) return false;
    if (v === null) result = null;
  }
  return result;
}

/** Several "acl" lines with one name are ORed. */
function evaluateNamed(name: string, acls: readonly Acl[], req: HttpRequest | null): Tri {
  const defs = acls.filter((a) => a.name === name);
  if (defs.length === 0) return builtin(name, req);
  let result: Tri = false;
  for (const d of defs) {
    const v = evaluateCriterion(tokens(d.text), req);
    if (v === true) return true;
    if (v === null) result = null;
  }
  return result;
}

function builtin(name: string, req: HttpRequest | null): Tri {
  switch (name) {
    case 'TRUE': return true;
    case 'FALSE': return false;
    case 'HTTP': return req !== null;
    case 'METH_GET': return req === null ? null : req.method === 'GET' || req.method === 'HEAD';
    case 'METH_POST': return req === null ? null : req.method === 'POST';
    default: return null;
  }
}

type Match = 'str' | 'beg' | 'end' | 'sub' | 'found' | 'dom';

/** "fetch [flags] values...": true when any value matches any sample. */
function evaluateCriterion(words: string[], req: HttpRequest | null): Tri {
  const [fetch, ...rest] = words;
  if (fetch === undefined || req === null) return null;
  const f = /^([a-z_.]+?)(?:_(beg|end|sub|dom|len|reg))?(?:\(([^)]*)\))?$/.exec(fetch);
  if (f === null) return null;
  const [, base, suffix, arg] = f;
  let match: Match = suffix === 'beg' || suffix === 'end' || suffix === 'sub' || suffix === 'dom' ? suffix : 'str';
  if (suffix === 'len' || suffix === 'reg') return null;
  let ci = false;
  const values: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const w = rest[i]!;
    if (w === '-i') ci = true;
    else if (w === '-m') {
      const m = rest[++i];
      if (m !== 'str' && m !== 'beg' && m !== 'end' && m !== 'sub' && m !== 'found' && m !== 'dom') return null;
      match = m;
    } else if (w === '--') {
      values.push(...rest.slice(i + 1));
      break;
    } else if (w.startsWith('-')) return null;
    else values.push(w);
  }
  const samples = fetchSamples(base ?? '', arg, req);
  if (samples === null) return null;
  if (match === 'found') return samples.length > 0;
  const norm = (s: string): string => (ci ? s.toLowerCase() : s);
  return samples.some((s) => values.some((v) => matches(norm(s), norm(v), match)));
}

function matches(sample: string, value: string, m: Match): boolean {
  switch (m) {
    case 'beg': return sample.startsWith(value);
    case 'end': return sample.endsWith(value);
    case 'sub': return sample.includes(value);
    case 'dom': return sample.split(/[/?.:]/).includes(value);
    default: return sample === value;
  }
}

function fetchSamples(base: string, arg: string | undefined, req: HttpRequest): string[] | null {
  const path = req.target.startsWith('/') ? req.target.split('?')[0] ?? '' : req.target.replace(/^[a-z]+:\/\/[^/]*/i, '').split('?')[0] ?? '';
  switch (base) {
    case 'hdr':
    case 'req.hdr':
      return arg ? headerValues(req.headers, arg.split(',')[0] ?? '') : null;
    case 'path':
      return [path];
    case 'url':
      return [req.target];
    case 'method':
      return [req.method];
    default:
      return null;
  }
}
