/**
 * Tokens of the filter language, each with its position in the input (0-based character
 * offsets, `end` exclusive), so errors can point at the exact place.
 *
 *   word    anything but blanks, ( ) ! & | and "     server, web1, 5xx, 127.0.0.90
 *   string  "..." with \" and \\ escapes             host "a b"
 *   ( ) ! & |  (&& and || are & and |)
 */

export type TokenKind = 'word' | 'string' | '(' | ')' | '!' | '&' | '|' | 'end';

export interface Token {
  kind: TokenKind;
  /** The word or the string's content (unescaped); the operator itself otherwise. */
  text: string;
  pos: number;
  end: number;
}

export class FilterSyntaxError extends Error {
  readonly pos: number;
  readonly end: number;

  constructor(message: string, pos: number, end = pos + 1) {
    super(message);
    this.pos = pos;
    this.end = Math.max(end, pos + 1);
  }
}

const SPECIAL = new Set(['(', ')', '!', '&', '|', '"']);

export function tokenize(input: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i]!;
    if (c === ' ' || c === '\t') {
      i++;
      continue;
    }
    if (c === '&' || c === '|') {
      const doubled = input[i + 1] === c;
      out.push({ kind: c, text: c, pos: i, end: i + (doubled ? 2 : 1) });
      i += doubled ? 2 : 1;
      continue;
    }
    if (c === '(' || c === ')' || c === '!') {
      out.push({ kind: c, text: c, pos: i, end: i + 1 });
      i++;
      continue;
    }
    if (c === '"') {
      let text = '';
      let j = i + 1;
      for (;;) {
        if (j >= input.length) throw new FilterSyntaxError('unterminated string: a closing " is missing', i, input.length);
        const d = input[j]!;
        if (d === '"') break;
        if (d === '\\' && j + 1 < input.length) {
          text += input[j + 1];
          j += 2;
          continue;
        }
        text += d;
        j++;
      }
      out.push({ kind: 'string', text, pos: i, end: j + 1 });
      i = j + 1;
      continue;
    }
    let j = i;
    while (j < input.length && input[j] !== ' ' && input[j] !== '\t' && !SPECIAL.has(input[j]!)) j++;
    out.push({ kind: 'word', text: input.slice(i, j), pos: i, end: j });
    i = j;
  }
  out.push({ kind: 'end', text: '', pos: input.length, end: input.length });
  return out;
}
