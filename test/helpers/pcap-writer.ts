/**
 * Writes synthetic pcap / pcapng files for tests. Timestamps are given as (sec, nsec) and
 * converted to each file's resolution (truncating), with if_tsoffset subtracted so a correct
 * reader gives back the given values whenever the resolution can represent them.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';

export interface PcapRecordSpec {
  tsSec: number;
  tsNsec: number;
  data: Uint8Array;
  /** Defaults to data.length. */
  origLen?: number;
}

export interface PcapSpec {
  /** Written as-is into the 32-bit field (so FCS bits can be set by tests). */
  linkType: number;
  nanosecond?: boolean;
  bigEndian?: boolean;
  snaplen?: number;
  records: PcapRecordSpec[];
}

export function writePcap(spec: PcapSpec): Buffer {
  const le = !spec.bigEndian;
  const size = 24 + spec.records.reduce((n, r) => n + 16 + r.data.length, 0);
  const out = Buffer.alloc(size);
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  dv.setUint32(0, spec.nanosecond ? 0xa1b23c4d : 0xa1b2c3d4, le);
  dv.setUint16(4, 2, le);
  dv.setUint16(6, 4, le);
  dv.setUint32(16, spec.snaplen ?? 262144, le);
  dv.setUint32(20, spec.linkType >>> 0, le);
  let o = 24;
  for (const r of spec.records) {
    dv.setUint32(o, r.tsSec, le);
    dv.setUint32(o + 4, spec.nanosecond ? r.tsNsec : Math.floor(r.tsNsec / 1000), le);
    dv.setUint32(o + 8, r.data.length, le);
    dv.setUint32(o + 12, r.origLen ?? r.data.length, le);
    out.set(r.data, o + 16);
    o += 16 + r.data.length;
  }
  return out;
}

export interface PcapngInterfaceSpec {
  linkType: number;
  /** Raw if_tsresol byte (6, 9, 0x80 | 20 ...); omitted = option absent (microseconds). */
  tsresol?: number;
  /** if_tsoffset seconds; omitted = option absent. */
  tsoffset?: number;
  snaplen?: number;
}

export type PcapngBlockSpec =
  | { type: 'epb'; interfaceId: number; tsSec: number; tsNsec: number; data: Uint8Array; origLen?: number }
  | { type: 'spb'; data: Uint8Array; origLen?: number }
  | { type: 'unknown'; blockType: number; body: Uint8Array };

export interface PcapngSectionSpec {
  bigEndian?: boolean;
  interfaces: PcapngInterfaceSpec[];
  blocks: PcapngBlockSpec[];
}

export function writePcapng(spec: { sections: PcapngSectionSpec[] }): Buffer {
  const parts: Buffer[] = [];
  for (const sec of spec.sections) {
    const le = !sec.bigEndian;
    // SHB: BOM, version 1.0, section length -1 (unknown).
    const shb = Buffer.alloc(16);
    const sdv = view(shb);
    sdv.setUint32(0, 0x1a2b3c4d, le);
    sdv.setUint16(4, 1, le);
    sdv.setUint16(6, 0, le);
    sdv.setBigInt64(8, -1n, le);
    parts.push(block(0x0a0d0d0a, shb, le));
    for (const f of sec.interfaces) parts.push(block(1, idbBody(f, le), le));
    for (const b of sec.blocks) {
      if (b.type === 'epb') {
        const f = sec.interfaces[b.interfaceId];
        const ticks = toTicks(b.tsSec - (f?.tsoffset ?? 0), b.tsNsec, f?.tsresol ?? 6);
        const body = Buffer.alloc(20 + pad4(b.data.length));
        const dv = view(body);
        dv.setUint32(0, b.interfaceId, le);
        dv.setUint32(4, Number(ticks >> 32n), le);
        dv.setUint32(8, Number(ticks & 0xffffffffn), le);
        dv.setUint32(12, b.data.length, le);
        dv.setUint32(16, b.origLen ?? b.data.length, le);
        body.set(b.data, 20);
        parts.push(block(6, body, le));
      } else if (b.type === 'spb') {
        const body = Buffer.alloc(4 + pad4(b.data.length));
        view(body).setUint32(0, b.origLen ?? b.data.length, le);
        body.set(b.data, 4);
        parts.push(block(3, body, le));
      } else {
        const body = Buffer.alloc(pad4(b.body.length));
        body.set(b.body, 0);
        parts.push(block(b.blockType, body, le));
      }
    }
  }
  return Buffer.concat(parts);
}

export function gzip(buf: Uint8Array): Buffer {
  return zlib.gzipSync(buf);
}

/** Tick count for (sec, nsec) at a raw if_tsresol, truncated. */
export function toTicks(sec: number, nsec: number, tsresol: number): bigint {
  const v = BigInt(tsresol & 0x7f);
  const units = tsresol & 0x80 ? 1n << v : 10n ** v;
  return BigInt(sec) * units + (BigInt(nsec) * units) / 1_000_000_000n;
}

function idbBody(f: PcapngInterfaceSpec, le: boolean): Buffer {
  const opts: Buffer[] = [];
  if (f.tsresol !== undefined) opts.push(option(9, Buffer.from([f.tsresol]), le));
  if (f.tsoffset !== undefined) {
    const v = Buffer.alloc(8);
    view(v).setBigInt64(0, BigInt(f.tsoffset), le);
    opts.push(option(14, v, le));
  }
  if (opts.length) opts.push(Buffer.alloc(4)); // opt_endofopt
  const head = Buffer.alloc(8);
  const dv = view(head);
  dv.setUint16(0, f.linkType, le);
  dv.setUint32(4, f.snaplen ?? 0, le);
  return Buffer.concat([head, ...opts]);
}

function option(code: number, value: Buffer, le: boolean): Buffer {
  const o = Buffer.alloc(4 + pad4(value.length));
  view(o).setUint16(0, code, le);
  view(o).setUint16(2, value.length, le);
  value.copy(o, 4);
  return o;
}

/** type, total length, body (already padded), total length. */
function block(type: number, body: Buffer, le: boolean): Buffer {
  const len = 12 + body.length;
  const b = Buffer.alloc(len);
  const dv = view(b);
  dv.setUint32(0, type, le);
  dv.setUint32(4, len, le);
  body.copy(b, 8);
  dv.setUint32(len - 4, len, le);
  return b;
}

function pad4(n: number): number {
  return (n + 3) & ~3;
}

function view(b: Buffer): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

const tempDirs: string[] = [];
process.on('exit', () => {
  for (const d of tempDirs) fs.rmSync(d, { recursive: true, force: true });
});

/** Writes `buf` to a fresh temp file (removed at exit) and returns its path: tests read real files. */
export function writeTemp(name: string, buf: Uint8Array): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'proxytrace-capture-'));
  tempDirs.push(dir);
  const file = path.join(dir, name);
  fs.writeFileSync(file, buf);
  return file;
}
