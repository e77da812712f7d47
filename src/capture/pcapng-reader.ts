/**
 * pcapng: sections (SHB, either byte order, each resetting the interfaces), interfaces (IDB
 * with if_tsresol / if_tsoffset), packets (EPB, SPB, obsolete OPB). Other blocks are skipped
 * by their length, which is still validated.
 */
import { ChunkReader, type InitialInput } from './chunk-reader.js';
import type { PacketRecord } from './packet-record.js';
import { timeBase, toTime, type TimeBase } from './pcapng-time.js';

export const SHB_TYPE = 0x0a0d0d0a;
const IDB_TYPE = 1;
const OPB_TYPE = 2;
const SPB_TYPE = 3;
const EPB_TYPE = 6;
const BOM = 0x1a2b3c4d;
/** Block lengths above this are corruption, not data. */
const MAX_BLOCK_LEN = 64 * 1024 * 1024;
const OPT_TSRESOL = 9;
const OPT_TSOFFSET = 14;

interface Iface {
  linkType: number;
  snaplen: number;
  time: TimeBase;
}

export class PcapngReader extends ChunkReader {
  private le = true;
  private ifaces: Iface[] = [];
  private sawSection = false;

  constructor(init: InitialInput, sourceIndex: number) {
    super(init, 'pcapng', sourceIndex);
  }

  nextSync(): PacketRecord | null | 'more' {
    for (;;) {
      const p = this.pos;
      const avail = this.end - p;
      if (avail < 12) return this.short(12, avail);
      const dv = this.dv;
      const type = dv.getUint32(p, this.le);
      const at = this.base + p;
      if (type === SHB_TYPE) {
        // The byte order of the section (and of this block's length) comes from its BOM.
        const bom = dv.getUint32(p + 8, true);
        if (bom === BOM) this.le = true;
        else if (bom === 0x4d3c2b1a) this.le = false;
        else this.fail(at, `bad byte-order magic ${hex(bom)} in section header block`);
      } else if (!this.sawSection) {
        this.fail(at, `pcapng file does not start with a section header block (type ${hex(type)})`);
      }
      const le = this.le;
      const len = dv.getUint32(p + 4, le);
      if (len < 12 || len % 4 !== 0 || len > MAX_BLOCK_LEN) {
        this.fail(at, `invalid block length ${len} (block type ${hex(type)})`);
      }
      if (avail < len) return this.short(len, avail);
      if (dv.getUint32(p + len - 4, le) !== len) {
        this.fail(at, `block length mismatch: header says ${len}, trailer says ${dv.getUint32(p + len - 4, le)} (block type ${hex(type)})`);
      }
      const rec = this.rec;
      switch (type) {
        case EPB_TYPE:
        case OPB_TYPE: {
          if (len < 32) this.fail(at, `packet block too short: ${len} bytes`);
          const ifId = type === EPB_TYPE ? dv.getUint32(p + 8, le) : dv.getUint16(p + 8, le);
          const caplen = dv.getUint32(p + 20, le);
          if (caplen > len - 32) this.fail(at, `captured length ${caplen} does not fit in a block of ${len} bytes`);
          const iface = this.iface(ifId, at);
          toTime(iface.time, dv.getUint32(p + 12, le), dv.getUint32(p + 16, le), rec);
          const origLen = dv.getUint32(p + 24, le);
          rec.buf = this.buf;
          rec.start = p + 28;
          rec.caplen = caplen;
          rec.origLen = origLen < caplen ? caplen : origLen;
          rec.linkType = iface.linkType;
          rec.interfaceId = ifId;
          return this.deliver(p, len);
        }
        case SPB_TYPE: {
          if (len < 16) this.fail(at, `simple packet block too short: ${len} bytes`);
          const iface = this.iface(0, at);
          const origLen = dv.getUint32(p + 8, le);
          // No caplen field: min(original length, snaplen, what the block holds). No timestamp:
          // the previous record's is kept.
          let caplen = Math.min(origLen, len - 16);
          if (iface.snaplen > 0 && caplen > iface.snaplen) caplen = iface.snaplen;
          rec.buf = this.buf;
          rec.start = p + 12;
          rec.caplen = caplen;
          rec.origLen = origLen;
          rec.linkType = iface.linkType;
          rec.interfaceId = 0;
          return this.deliver(p, len);
        }
        case IDB_TYPE:
          if (len < 20) this.fail(at, `interface description block too short: ${len} bytes`);
          this.addInterface(p, len);
          break;
        case SHB_TYPE: {
          if (len < 28) this.fail(at, `section header block too short: ${len} bytes`);
          const major = dv.getUint16(p + 12, le);
          if (major !== 1) this.fail(at, `unsupported pcapng version ${major}.${dv.getUint16(p + 14, le)}`);
          this.ifaces = [];
          this.sawSection = true;
          break;
        }
        default:
          break;
      }
      this.pos = p + len;
      this.info.bytesRead = this.base + this.pos;
    }
  }

  private deliver(p: number, len: number): PacketRecord {
    const rec = this.rec;
    rec.fileOffset = this.base + p;
    this.pos = p + len;
    const info = this.info;
    info.packets++;
    info.bytesRead = this.base + this.pos;
    return rec;
  }

  private iface(id: number, at: number): Iface {
    const f = this.ifaces[id];
    if (!f) this.fail(at, `packet refers to interface ${id}, but the section defines ${this.ifaces.length}`);
    return f;
  }

  private addInterface(p: number, len: number): void {
    const dv = this.dv;
    const le = this.le;
    const linkType = dv.getUint16(p + 8, le);
    const snaplen = dv.getUint32(p + 12, le);
    let tsresol = 6;
    let offset = 0;
    // Options: code, length, value padded to 4. A malformed list ends the scan, it does not
    // fail the file: the framing is intact.
    let o = p + 16;
    const optEnd = p + len - 4;
    while (o + 4 <= optEnd) {
      const code = dv.getUint16(o, le);
      const olen = dv.getUint16(o + 2, le);
      if (code === 0 || o + 4 + olen > optEnd) break;
      if (code === OPT_TSRESOL && olen >= 1) tsresol = dv.getUint8(o + 4);
      else if (code === OPT_TSOFFSET && olen >= 8) offset = Number(dv.getBigInt64(o + 4, le));
      o += 4 + ((olen + 3) & ~3);
    }
    this.ifaces.push({ linkType, snaplen, time: timeBase(tsresol, offset) });
    this.noteLinkType(linkType, this.base + p + 8);
  }

  private short(need: number, avail: number): null | 'more' {
    if (!this.eof) {
      this.need = need;
      return 'more';
    }
    if (avail === 0) return null;
    const at = this.base + this.pos;
    if (avail < 8) this.fail(at, `truncated block header: file ends after ${avail} bytes`);
    const len = need === 12 ? this.dv.getUint32(this.pos + 4, this.le) : need;
    this.fail(at, `truncated block: header says ${len} bytes, file ends after ${avail}`);
  }
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}
