/**
 * Captured bytes are untrusted: nothing from a payload reaches the terminal unescaped. Printable
 * ASCII passes, a backslash is doubled, everything else (control characters, ESC, bytes >= 0x80,
 * which could form escape sequences or misleading Unicode) becomes \xNN.
 */

const HEX = '0123456789abcdef';

function escapeByte(b: number): string {
  return `\\x${HEX[b >> 4]}${HEX[b & 15]}`;
}

/**
 * Escapes payload bytes for display as lines of text: CRLF and LF end a line, a tab stays a tab,
 * a lone CR is \r; every other non-printable byte is \xNN.
 */
export function escapePayload(data: Uint8Array): string {
  let out = '';
  let run = 0;
  const flush = (i: number): void => {
    if (i > run) out += latin1(data, run, i);
  };
  for (let i = 0; i < data.length; i++) {
    const b = data[i]!;
    if (b >= 0x20 && b < 0x7f && b !== 0x5c) continue;
    flush(i);
    run = i + 1;
    if (b === 0x0a || b === 0x09) out += String.fromCharCode(b);
    else if (b === 0x0d && data[i + 1] === 0x0a) {
      out += '\n';
      i++;
      run = i + 1;
    } else if (b === 0x0d) out += '\\r';
    else if (b === 0x5c) out += '\\\\';
    else out += escapeByte(b);
  }
  flush(data.length);
  return out;
}

/** Escapes a string that came from captured data for a single line: no control character survives. */
export function escapeInline(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c < 0x7f && c !== 0x5c) out += s[i];
    else if (c === 0x5c) out += '\\\\';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c === 0x09) out += '\\t';
    else if (c < 0x100) out += escapeByte(c);
    else out += `\\u{${c.toString(16)}}`;
  }
  return out;
}

function latin1(d: Uint8Array, from: number, to: number): string {
  return Buffer.from(d.buffer, d.byteOffset + from, to - from).toString('latin1');
}

/** Classic hexdump lines: offset, 16 bytes in hex, and the printable ASCII ('.' for the rest). */
export function hexdump(data: Uint8Array, baseOffset: number): string[] {
  const lines: string[] = [];
  for (let i = 0; i < data.length; i += 16) {
    const row = data.subarray(i, Math.min(i + 16, data.length));
    let hex = '';
    let text = '';
    for (let j = 0; j < 16; j++) {
      const b = row[j];
      hex += b === undefined ? '   ' : `${HEX[b >> 4]}${HEX[b & 15]} `;
      if (j === 7) hex += ' ';
      if (b !== undefined) text += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.';
    }
    lines.push(`${(baseOffset + i).toString(16).padStart(8, '0')}  ${hex} |${text}|`);
  }
  return lines;
}

/**
 * JSON text safe for a terminal: JSON.stringify escapes C0 controls but leaves DEL, the C1
 * controls (U+0080-U+009F: 0x9B is a CSI in some terminals) and bidirectional overrides raw.
 * Captured header values reach JSON as latin1 strings, so these must be \u-escaped too.
 */
export function terminalSafeJson(json: string): string {
  return json.replace(/[\u007f-\u00a0\u00ad\u061c\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
