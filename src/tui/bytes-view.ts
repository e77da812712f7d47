/**
 * The bytes tab: one direction's two streams side by side, as they arrived at the proxy (left)
 * and as it sent them on (right), chunk by chunk (one per delivered segment) with its stream
 * offset, time, and on the left how long the proxy held it or that it was dropped; gaps in the
 * capture marked. Payload is shown escaped (escapePayload: printable ASCII, \xNN for the rest)
 * or as hex; only the legs' kept head bytes can be shown.
 */
import type { Leg, LegDirection, Session } from '../correlate/model.js';
import { escapeInline, escapePayload } from '../report/escape.js';
import { chunkFate } from './chunk-fate.js';
import { fit, line, seg, wrap, type Line, type Style } from './text-line.js';

export type BytesDirection = 'up' | 'down';

export interface BytesOptions {
  serverLeg: number;
  direction: BytesDirection;
  hex: boolean;
  width: number;
}

interface Cell {
  text: string;
  style: Style;
}

const HEX = '0123456789abcdef';

export function hexRows(data: Uint8Array, base: number, perRow: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < data.length; i += perRow) {
    let hex = '';
    let text = '';
    for (let j = 0; j < perRow; j++) {
      const b = data[i + j];
      hex += b === undefined ? '   ' : `${HEX[b >> 4]}${HEX[b & 15]} `;
      if (b !== undefined) text += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.';
    }
    out.push(`${(base + i).toString(16).padStart(6, '0')} ${hex}${text}`);
  }
  return out;
}

function textRows(data: Uint8Array, width: number): string[] {
  const escaped = escapePayload(data).replace(/\t/g, '\\t');
  const lines = escaped.split('\n');
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  return lines.flatMap((l) => wrap(l, width));
}

interface StreamSide {
  title: string;
  dir: LegDirection | null;
  missing: string;
  /** For the arriving side: what happened to a chunk. */
  fate?: (offset: number, length: number, ts: number) => Cell;
}

function streamCells(side: StreamSide, t0: number, opts: BytesOptions, width: number): Cell[] {
  const out: Cell[] = [{ text: side.title, style: { bold: true } }];
  const d = side.dir;
  if (d === null) {
    out.push({ text: side.missing, style: { dim: true } });
    return out;
  }
  out.push({ text: `${d.bytes} B${d.missedBytes > 0 ? `, ${d.missedBytes} missing in capture` : ''}${d.finTs !== null ? ', FIN' : ''}${d.rstTs !== null ? ', RST' : ''}`, style: { dim: true } });
  type Item = { offset: number; kind: 'chunk'; length: number; ts: number } | { offset: number; kind: 'gap'; length: number; reason: string };
  const items: Item[] = [];
  for (let i = 0; i + 2 < d.chunks.length; i += 3) items.push({ offset: d.chunks[i]!, kind: 'chunk', length: d.chunks[i + 1]!, ts: d.chunks[i + 2]! });
  for (const g of d.gaps) items.push({ offset: g.offset, kind: 'gap', length: g.length, reason: g.reason });
  items.sort((a, b) => a.offset - b.offset || (a.kind === 'gap' ? -1 : 1));
  const perRow = Math.max(4, Math.min(16, Math.floor((width - 8) / 4 / 4) * 4));
  for (const [k, it] of items.entries()) {
    if (it.kind === 'gap') {
      out.push({ text: `[${it.length} bytes missing in capture: ${escapeInline(it.reason)}]`, style: { color: 'yellow' } });
      continue;
    }
    if (it.offset >= d.head.length) {
      const rest = items.slice(k).filter((x) => x.kind === 'chunk');
      const bytes = rest.reduce((n, x) => n + x.length, 0);
      out.push({ text: `[${rest.length} more chunk(s), ${bytes} B past the ${d.head.length} B kept]`, style: { dim: true } });
      break;
    }
    const fate = side.fate ? side.fate(it.offset, it.length, it.ts) : null;
    out.push({ text: `@${it.offset} ${it.length} B +${((it.ts - t0) * 1000).toFixed(3)} ms${fate ? `  ${fate.text}` : ''}`, style: fate?.style ?? { color: 'cyan' } });
    const data = d.head.subarray(it.offset, Math.min(d.head.length, it.offset + it.length));
    const rows = opts.hex ? hexRows(data, it.offset, perRow) : textRows(data, width);
    for (const r of rows) out.push({ text: r, style: {} });
  }
  return out;
}

export function bytesLines(s: Session, legs: ReadonlyMap<string, Leg> | undefined, opts: BytesOptions): Line[] {
  const clientLeg = legs?.get(s.id) ?? null;
  if (clientLeg === null) return [line(seg('(legs not kept: no bytes to show)', { dim: true }))];
  const i = Math.min(Math.max(0, opts.serverLeg), Math.max(0, s.serverLegs.length - 1));
  const ref = s.serverLegs[i];
  const serverLeg = ref ? (legs?.get(ref.leg) ?? null) : null;
  const name = ref ? escapeInline(ref.name ?? ref.server) : 'no server';
  const up = opts.direction === 'up';
  const ledgerDir = up ? 'clientToServer' : 'serverToClient';
  const many = s.serverLegs.length > 1;

  const fate = (offset: number, length: number, ts: number): Cell => {
    const f = chunkFate(s, ledgerDir, up ? null : i, offset, length, ts);
    if (f.kind === 'forwarded') {
      const target = s.serverLegs[f.serverLeg];
      const to = many && up ? ` -> ${escapeInline(target?.name ?? target?.server ?? '?')}` : '';
      return { text: `held ${f.holdMs.toFixed(3)} ms${to}`, style: { color: 'green' } };
    }
    if (f.kind === 'dropped') return { text: `DROPPED (${escapeInline(f.code)})`, style: { color: 'red', bold: true } };
    return { text: 'not forwarded', style: { color: 'yellow' } };
  };

  const half = Math.max(16, Math.floor((opts.width - 3) / 2));
  const left: StreamSide = up
    ? { title: 'client -> proxy (client connection)', dir: clientLeg.dirs[0], missing: '', fate }
    : { title: `${name} -> proxy`, dir: serverLeg?.dirs[1] ?? null, missing: ref ? '(server connection not kept)' : '(no server connection)', fate };
  const right: StreamSide = up
    ? { title: `proxy -> ${name}`, dir: serverLeg?.dirs[0] ?? null, missing: ref ? '(server connection not kept)' : '(no server connection)' }
    : { title: 'proxy -> client (client connection)', dir: clientLeg.dirs[1], missing: '' };
  const lc = streamCells(left, s.start, opts, half);
  const rc = streamCells(right, s.start, opts, half);

  const out: Line[] = [
    line(
      seg(`${up ? 'client -> server' : 'server -> client'}`, { bold: true }),
      seg(`  ${opts.hex ? 'hex' : 'escaped text'}  server connection ${s.serverLegs.length === 0 ? 0 : i + 1}/${s.serverLegs.length}`, { dim: true }),
      seg('   (d direction, x hex, ] / [ server connection)', { dim: true }),
    ),
    [],
  ];
  for (let k = 0; k < Math.max(lc.length, rc.length); k++) {
    const a = lc[k];
    const b = rc[k];
    out.push(line(seg(fit(a?.text ?? '', half), a?.style ?? {}), seg(' | ', { dim: true }), seg(b?.text ?? '', b?.style ?? {})));
  }
  return out;
}
