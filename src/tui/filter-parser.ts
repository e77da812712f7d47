/**
 * The filter language's recursive-descent parser: tokens (filter-lexer.ts) → expression tree,
 * values checked per field as they are parsed, so an error points at the faulty word.
 *
 *   expr    := and ( ('|' | 'or') and )*
 *   and     := unary ( ('&' | 'and')? unary )*        juxtaposition is "and"
 *   unary   := ('!' | 'not') unary | primary
 *   primary := '(' expr ')' | flag | field value
 *   flag    := drops | abnormal
 *   field   := server | term | status | client | host | method | path | frontend | mode
 */
import { FilterSyntaxError, tokenize, type Token } from './filter-lexer.js';

export type Field = 'server' | 'term' | 'status' | 'client' | 'host' | 'method' | 'path' | 'frontend' | 'mode';
export type Flag = 'drops' | 'abnormal';

export type FilterExpr =
  | { kind: 'or' | 'and'; left: FilterExpr; right: FilterExpr }
  | { kind: 'not'; expr: FilterExpr }
  | { kind: 'flag'; flag: Flag; pos: number }
  | { kind: 'field'; field: Field; value: string; pos: number; end: number };

export const FIELDS: readonly Field[] = ['server', 'term', 'status', 'client', 'host', 'method', 'path', 'frontend', 'mode'];
export const FLAGS: readonly Flag[] = ['drops', 'abnormal'];

/** Why a value is not acceptable for a field, or null. */
function checkValue(field: Field, value: string): string | null {
  switch (field) {
    case 'status':
      return /^([1-5]xx|[1-5]\d\d|none)$/i.test(value) ? null : `status takes a code (503), a class (5xx) or none, not '${value}'`;
    case 'term':
      return /^[A-Za-z-]{1,4}$/.test(value) ? null : `term takes a termination state or its start (sD, --NI, C), not '${value}'`;
    case 'mode':
      return value === 'http' || value === 'tcp' ? null : `mode is http or tcp, not '${value}'`;
    case 'client': {
      const cidr = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(value);
      if (cidr && Number(cidr[2]) > 32) return `prefix length /${cidr[2]} is more than 32`;
      return value === '' ? 'client takes an address' : null;
    }
    default:
      return value === '' ? `${field} takes a value` : null;
  }
}

class Parser {
  private i = 0;
  constructor(private readonly tokens: Token[]) {}

  private peek(): Token {
    return this.tokens[this.i]!;
  }

  private next(): Token {
    const t = this.tokens[this.i]!;
    if (t.kind !== 'end') this.i++;
    return t;
  }

  private isWord(t: Token, w: string): boolean {
    return t.kind === 'word' && t.text.toLowerCase() === w;
  }

  parse(): FilterExpr {
    const e = this.expr();
    const t = this.peek();
    if (t.kind === ')') throw new FilterSyntaxError("')' without a matching '('", t.pos);
    if (t.kind !== 'end') throw new FilterSyntaxError(`unexpected '${t.text}'`, t.pos, t.end);
    return e;
  }

  private expr(): FilterExpr {
    let left = this.and();
    for (;;) {
      const t = this.peek();
      if (t.kind !== '|' && !this.isWord(t, 'or')) return left;
      this.next();
      left = { kind: 'or', left, right: this.and() };
    }
  }

  private and(): FilterExpr {
    let left = this.unary();
    for (;;) {
      const t = this.peek();
      if (t.kind === '&' || this.isWord(t, 'and')) {
        this.next();
      } else if (!(t.kind === '(' || t.kind === '!' || t.kind === 'word' || t.kind === 'string') || this.isWord(t, 'or')) {
        return left;
      }
      left = { kind: 'and', left, right: this.unary() };
    }
  }

  private unary(): FilterExpr {
    const t = this.peek();
    if (t.kind === '!' || this.isWord(t, 'not')) {
      this.next();
      return { kind: 'not', expr: this.unary() };
    }
    return this.primary();
  }

  private primary(): FilterExpr {
    const t = this.next();
    switch (t.kind) {
      case '(': {
        const e = this.expr();
        const close = this.peek();
        if (close.kind !== ')') {
          const what = close.kind === 'end' ? 'the end' : `'${close.text}'`;
          throw new FilterSyntaxError(`expected ')' to close the '(' at column ${t.pos + 1}, found ${what}`, close.pos, close.end);
        }
        this.next();
        return e;
      }
      case 'end':
        throw new FilterSyntaxError(`expected a filter (${[...FIELDS, ...FLAGS].join(', ')})`, t.pos);
      case 'string':
        throw new FilterSyntaxError('a quoted value needs a field before it (server, host, ...)', t.pos, t.end);
      case 'word':
        return this.predicate(t);
      default:
        throw new FilterSyntaxError(`expected a filter before '${t.text}'`, t.pos, t.end);
    }
  }

  private predicate(t: Token): FilterExpr {
    const name = t.text.toLowerCase();
    if ((FLAGS as readonly string[]).includes(name)) return { kind: 'flag', flag: name as Flag, pos: t.pos };
    if (!(FIELDS as readonly string[]).includes(name)) {
      throw new FilterSyntaxError(`unknown field '${t.text}' (fields: ${FIELDS.join(', ')}; flags: ${FLAGS.join(', ')})`, t.pos, t.end);
    }
    const field = name as Field;
    const v = this.peek();
    if (v.kind !== 'word' && v.kind !== 'string') {
      throw new FilterSyntaxError(`expected a value after '${t.text}'`, v.pos, v.end);
    }
    this.next();
    const problem = checkValue(field, v.text);
    if (problem !== null) throw new FilterSyntaxError(problem, v.pos, v.end);
    return { kind: 'field', field, value: v.text, pos: t.pos, end: v.end };
  }
}

/** Parses a filter; throws FilterSyntaxError with the position of the fault. */
export function parseFilter(input: string): FilterExpr {
  return new Parser(tokenize(input)).parse();
}
