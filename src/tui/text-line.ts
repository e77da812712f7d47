/**
 * The TUI's unit of output: a line of styled segments. Every view model (list rows, ladder,
 * headers, bytes, verdict, help) is a pure function returning Line[], so components stay thin
 * and the text can be checked without a terminal.
 *
 * Captured strings enter a segment only through escapeInline/escapePayload (report/escape.ts);
 * `terminalSafe` is a last guard applied when a line is drawn, so a slip can never put a raw
 * control byte on the terminal.
 */

export type Color = 'red' | 'green' | 'yellow' | 'cyan' | 'magenta' | 'blue' | 'gray' | 'white';

export interface Style {
  color?: Color;
  bold?: boolean;
  dim?: boolean;
  inverse?: boolean;
}

export interface Segment extends Style {
  text: string;
}

export type Line = Segment[];

/** A segment; style fields left out when not given (exactOptionalPropertyTypes). */
export function seg(text: string, style: Style = {}): Segment {
  return { text, ...style };
}

export function line(...parts: (Segment | string)[]): Line {
  return parts.map((p) => (typeof p === 'string' ? { text: p } : p));
}

export function lineText(l: Line): string {
  let s = '';
  for (const p of l) s += p.text;
  return s;
}

/** Pads with spaces or cuts to exactly `width` characters (all TUI text is single-width ASCII). */
export function fit(s: string, width: number): string {
  if (width <= 0) return '';
  return s.length > width ? s.slice(0, width) : s.padEnd(width);
}

/** Cuts to at most `width` characters, marking the cut with '>' when something was dropped. */
export function clip(s: string, width: number): string {
  if (s.length <= width) return s;
  if (width <= 1) return s.slice(0, Math.max(0, width));
  return `${s.slice(0, width - 1)}>`;
}

/** Splits into pieces of at most `width` characters (at least one piece). */
export function wrap(s: string, width: number): string[] {
  if (width <= 0) return [''];
  if (s.length <= width) return [s];
  const out: string[] = [];
  for (let i = 0; i < s.length; i += width) out.push(s.slice(i, i + width));
  return out;
}

/** The line cut to `width` characters, segments kept. */
export function clipLine(l: Line, width: number): Line {
  const out: Line = [];
  let used = 0;
  for (const p of l) {
    if (used >= width) break;
    const room = width - used;
    out.push(p.text.length <= room ? p : { ...p, text: p.text.slice(0, room) });
    used += Math.min(p.text.length, room);
  }
  return out;
}

/**
 * Last line of defence before the terminal: any control character (C0, DEL, C1) or character
 * outside printable ASCII that reached a segment becomes '?'. Escaped text never contains one.
 */
export function terminalSafe(s: string): string {
  return /[^\x20-\x7e]/.test(s) ? s.replace(/[^\x20-\x7e]/g, '?') : s;
}

/** Splits at spaces into lines of at most `width` characters (long words are cut). */
export function wrapWords(s: string, width: number): string[] {
  if (width <= 0) return [s];
  const out: string[] = [];
  let cur = '';
  for (const word of s.split(' ')) {
    const candidate = cur === '' ? word : `${cur} ${word}`;
    if (candidate.length <= width) {
      cur = candidate;
      continue;
    }
    if (cur !== '') out.push(cur);
    cur = word;
    while (cur.length > width) {
      out.push(cur.slice(0, width));
      cur = cur.slice(width);
    }
  }
  if (cur !== '' || out.length === 0) out.push(cur);
  return out;
}
