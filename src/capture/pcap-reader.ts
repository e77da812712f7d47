/**
 * Classic pcap (libpcap 2.4): magic a1b2c3d4 (microseconds) or a1b23c4d (nanoseconds), in
 * either byte order, a 24-byte file header then 16-byte record headers.
 */
import { ChunkReader, type InitialInput } from './chunk-reader.js';
import type { PacketRecord } from './packet-record.js';

export const PCAP_HEADER_LEN = 24;
const REC_HEADER_LEN = 16;
/** caplen above this is never a real frame, whatever the snaplen says. */
const HARD_CAPLEN_CAP = 16 * 1024 * 1024;
/** libpcap's default snaplen; files often declare a smaller snaplen than they contain. */
const MIN_CAPLEN_BOUND = 262144;
/** caplen may exceed origLen a little in odd files; by more than this it is garbage. */
const CAPLEN_OVER_ORIGLEN_SLACK = 65535;
/** The upper bits of the link type field carry FCS information (libpcap LT_LINKTYPE mask). */
const LINKTYPE_MASK = 0x03ffffff;

/** Byte order and resolution from the first 4 bytes, or null if they are no pcap magic. */
export function pcapMagic(b: Buffer): { le: boolean; nano: boolean } | null {
  if (b.length < 4) return null;
  const m = b.readUInt32BE(0);
  switch (m) {
    case 0xa1b2c3d4: return { le: false, nano: false };
    case 0xd4c3b2a1: return { le: true, nano: false };
    case 0xa1b23c4d: return { le: false, nano: true };
    case 0x4d3cb2a1: return { le: true, nano: true };
    default: return null;
  }
}

export class PcapReader extends ChunkReader {
  private readonly le: boolean;
  private readonly nano: boolean;
  private readonly maxCaplen: number;
  private readonly linkType: number;

  /** init must hold the whole 24-byte file header unless the input ends earlier. */
  constructor(init: InitialInput, sourceIndex: number) {
    super(init, 'pcap', sourceIndex);
    const magic = pcapMagic(init.buf.subarray(0, init.end));
    if (!magic) this.fail(0, 'not a pcap file');
    if (init.end < PCAP_HEADER_LEN) this.fail(0, `truncated pcap file header: file ends after ${init.end} of ${PCAP_HEADER_LEN} bytes`);
    this.le = magic.le;
    this.nano = magic.nano;
    const dv = this.dv;
    const major = dv.getUint16(4, this.le);
    if (major !== 2) this.fail(4, `unsupported pcap version ${major}.${dv.getUint16(6, this.le)}`);
    const snaplen = dv.getUint32(16, this.le);
    this.maxCaplen = Math.min(Math.max(snaplen, MIN_CAPLEN_BOUND), HARD_CAPLEN_CAP);
    this.linkType = dv.getUint32(20, this.le) & LINKTYPE_MASK;
    this.noteLinkType(this.linkType, 20);
    this.pos = PCAP_HEADER_LEN;
    this.rec.linkType = this.linkType;
    this.info.bytesRead = PCAP_HEADER_LEN;
  }

  nextSync(): PacketRecord | null | 'more' {
    const p = this.pos;
    const avail = this.end - p;
    if (avail < REC_HEADER_LEN) return this.short(REC_HEADER_LEN, avail, -1);
    const dv = this.dv;
    const le = this.le;
    const caplen = dv.getUint32(p + 8, le);
    const origLen = dv.getUint32(p + 12, le);
    if (caplen > this.maxCaplen || (caplen > origLen && caplen - origLen > CAPLEN_OVER_ORIGLEN_SLACK)) {
      this.fail(this.base + p, `absurd captured length ${caplen} (original length ${origLen}, limit ${this.maxCaplen})`);
    }
    const total = REC_HEADER_LEN + caplen;
    if (avail < total) return this.short(total, avail, caplen);
    let sec = dv.getUint32(p, le);
    let frac = dv.getUint32(p + 4, le);
    const rec = this.rec;
    if (this.nano) {
      if (frac > 999_999_999) { sec += Math.floor(frac / 1e9); frac %= 1e9; this.countOdd(); }
      rec.tsNsec = frac;
    } else {
      if (frac > 999_999) { sec += Math.floor(frac / 1e6); frac %= 1e6; this.countOdd(); }
      rec.tsNsec = frac * 1000;
    }
    rec.tsSec = sec;
    rec.buf = this.buf;
    rec.start = p + REC_HEADER_LEN;
    rec.caplen = caplen;
    // Keeps origLen >= data.length, which downstream relies on.
    rec.origLen = origLen < caplen ? caplen : origLen;
    rec.fileOffset = this.base + p;
    this.pos = p + total;
    const info = this.info;
    info.packets++;
    info.bytesRead = this.base + this.pos;
    return rec;
  }

  /** Not enough bytes buffered: ask for more, or report the end (clean or truncated). */
  private short(need: number, avail: number, caplen: number): null | 'more' {
    if (!this.eof) {
      this.need = need;
      return 'more';
    }
    if (avail === 0) return null;
    const at = this.base + this.pos;
    if (caplen < 0) this.fail(at, `truncated record header: file ends after ${avail} of ${REC_HEADER_LEN} bytes`);
    this.fail(at, `truncated record: header says ${caplen} bytes, file ends after ${avail - REC_HEADER_LEN}`);
  }

  private countOdd(): void {
    this.info.normalisedTimestamps = (this.info.normalisedTimestamps ?? 0) + 1;
  }
}
