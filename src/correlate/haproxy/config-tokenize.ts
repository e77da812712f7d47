/**
 * Splits one configuration line into words the way HAProxy 2.6 does (configuration manual 2.1,
 * 2.2): blanks delimit words, an unprotected '#' starts a comment, backslash escapes, weak
 * ("...") and strong ('...') quoting, quotes may join parts of one word. Environment variables
 * ("$VAR", "${VAR}") are left as written: the parser reads text, not the process environment.
 */

export interface Word {
  /** The word after quote removal and escapes. */
  text: string;
  /** Offsets of the word as written in the line (quotes included), for raw excerpts. */
  start: number;
  end: number;
}

export type TokenizeResult = { words: Word[] } | { error: string; column: number };

const SIMPLE_ESCAPES: Record<string, string> = { ' ': ' ', '\t': '\t', '#': '#', '\\': '\\', "'": "'", '"': '"', $: '$', n: '\n', r: '\r', t: '\t' };

export function tokenizeLine(line: string): TokenizeResult {
  const words: Word[] = [];
  let i = 0;
  const n = line.length;
  while (i < n) {
    while (i < n && (line[i] === ' ' || line[i] === '\t')) i++;
    if (i >= n || line[i] === '#') break;
    const start = i;
    let text = '';
    let quote: '"' | "'" | null = null;
    let quoteAt = -1;
    for (; i < n; i++) {
      const c = line[i] ?? '';
      if (quote === "'") {
        // Strong quoting: nothing is interpreted until the closing quote.
        if (c === "'") quote = null;
        else text += c;
        continue;
      }
      if (c === '\\') {
        const next = line[i + 1];
        if (next === undefined) {
          text += c;
          continue;
        }
        const simple = SIMPLE_ESCAPES[next];
        if (simple !== undefined) {
          text += simple;
          i++;
        } else if (next === 'x' && /^[0-9a-fA-F]{2}$/.test(line.slice(i + 2, i + 4))) {
          text += String.fromCharCode(parseInt(line.slice(i + 2, i + 4), 16));
          i += 3;
        } else {
          // Unknown escapes stay as written (regular expressions such as "\d" keep working).
          text += c;
        }
        continue;
      }
      if (quote === '"') {
        if (c === '"') quote = null;
        else text += c;
        continue;
      }
      if (c === '"' || c === "'") {
        quote = c;
        quoteAt = i;
        continue;
      }
      if (c === ' ' || c === '\t' || c === '#') break;
      text += c;
    }
    if (quote !== null) return { error: `unmatched quote at position ${quoteAt + 1}`, column: quoteAt + 1 };
    words.push({ text, start, end: i });
  }
  return { words };
}
