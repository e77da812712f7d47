/**
 * A PacketSource fed by a live capture (libpcap through the optional `cap` binding).
 *
 * cap is event-driven and hands every packet in the same buffer; PacketSource is a pull
 * interface (nextSync / fill). Between them is a bounded queue (live-ring.ts): each 'packet' event
 * copies the frame into the ring and wakes a pending fill(); nextSync hands out the oldest
 * queued frame. When the ring is full the frame is dropped and counted (`stats.dropped`), never
 * blocking the event loop. Events only run while the consumer awaits fill(), so the bytes of
 * every record handed out since the last fill() stay in place until the next one: what the
 * pipeline's `beforeFill` hook assumes of file readers holds here too.
 *
 * What cap does not give is made up here, and said so:
 *  - Timestamps: none from cap. Each frame is stamped when its event reaches JavaScript, with
 *    process.hrtime.bigint() (monotonic) anchored once to Date.now() at open. So timestamps never
 *    go backwards, but they trail the kernel's by the event loop's latency, and frames of one
 *    burst get nearly the same time.
 *  - Original length: none from cap, whose snap length is fixed at 65535 while loopback frames
 *    reach 65549 bytes (14 + a 65535-byte IPv4 packet). A frame that fills the snap length gets
 *    its length on the wire from its IP header, so the cut is reported as missing bytes
 *    (origLen > caplen, "cut by the snap length"), never as corruption.
 *  - Kernel drops: cap exposes no pcap_stats; only drops in our own queue are counted.
 */
import type { CaptureInfo, PacketRecord, PacketSource } from './packet-record.js';
import { CAP_SNAPLEN, capLinkType, loadCap, openCap, safeClose, type CapHandle, type CapModule } from './live-cap.js';
import { PacketRing, type RingEntry } from './live-ring.js';
import { linkTypeName } from './link-types.js';

export interface LiveSourceOptions {
  /** Interface name as libpcap knows it (`lo`, `eth0`, `any`). */
  device: string;
  /** BPF filter (pcap-filter syntax); empty for everything. */
  filter?: string;
  /**
   * libpcap's kernel buffer, bytes (default 64 MiB, as the tests' tcpdump -B): on loopback a
   * frame takes up to 64 KiB of it, and cap is read on the event loop, between analysis slices.
   */
  kernelBuffer?: number;
  /** Our queue between cap's events and the consumer: bytes (default 64 MiB) and frames (default 262144). */
  queueBytes?: number;
  queuePackets?: number;
  /** Index of this source in the run (PacketRecord.source). */
  sourceIndex?: number;
  /** The cap module (default: loaded with require; tests pass a fake). */
  cap?: CapModule;
  /** Monotonic clock in ns (default process.hrtime.bigint) and wall clock in ms (default Date.now): tests pin them. */
  hrtime?: () => bigint;
  wallClockMs?: () => number;
}

export interface LiveStats {
  /** Frames cap delivered. */
  received: number;
  /** Frames refused because our queue was full (the consumer fell behind). */
  dropped: number;
  droppedBytes: number;
  /** Frames cut by the snap length, and the bytes cut off. */
  cut: number;
  cutBytes: number;
}

export const DEFAULT_KERNEL_BUFFER_MIB = 64;
const DEFAULTS = { kernelBuffer: DEFAULT_KERNEL_BUFFER_MIB << 20, queueBytes: 64 << 20, queuePackets: 1 << 18 };
const PCAP_FILE_HEADER = 24;
const PCAP_RECORD_HEADER = 16;

export class LiveSource implements PacketSource {
  readonly info: CaptureInfo;
  /** LINKTYPE_ number of the interface. */
  readonly linkType: number;
  readonly snaplen = CAP_SNAPLEN;
  readonly stats: LiveStats = { received: 0, dropped: 0, droppedBytes: 0, cut: 0, cutBytes: 0 };
  private readonly handle: CapHandle;
  /** cap copies every frame here (one buffer for all). */
  private readonly capBuf: Buffer;
  private readonly ring: PacketRing;
  private readonly entry: RingEntry = { start: 0, caplen: 0, origLen: 0, tsSec: 0, tsNsec: 0 };
  private readonly rec: PacketRecord;
  /** The last record handed out still occupies its slot until the next call. */
  private handedOut = false;
  private stopped = false;
  private waiter: (() => void) | null = null;
  private readonly hrtime: () => bigint;
  private readonly hr0: bigint;
  private readonly anchorSec: number;
  private readonly anchorNsec: number;
  /** Where the next record would start in a pcap file of this capture (PacketRecord.fileOffset). */
  private pcapOffset = PCAP_FILE_HEADER;

  /** Opens the interface and starts capturing. Throws LiveCaptureError (exit code 5) with what to do. */
  static open(opts: LiveSourceOptions): LiveSource {
    return new LiveSource(opts);
  }

  private constructor(opts: LiveSourceOptions) {
    const cap = opts.cap ?? loadCap();
    this.capBuf = Buffer.alloc(CAP_SNAPLEN);
    this.ring = new PacketRing(opts.queueBytes ?? DEFAULTS.queueBytes, opts.queuePackets ?? DEFAULTS.queuePackets);
    const { handle, linkTypeName: capName } = openCap(cap, opts.device, opts.filter ?? '', opts.kernelBuffer ?? DEFAULTS.kernelBuffer, this.capBuf);
    this.handle = handle;
    try {
      this.linkType = capLinkType(capName);
    } catch (e) {
      safeClose(handle);
      throw e;
    }
    // The clock anchor: one wall-clock reading, then the monotonic clock's progress.
    this.hrtime = opts.hrtime ?? process.hrtime.bigint;
    const wallMs = (opts.wallClockMs ?? Date.now)();
    this.hr0 = this.hrtime();
    this.anchorSec = Math.floor(wallMs / 1000);
    this.anchorNsec = Math.round((wallMs - this.anchorSec * 1000) * 1e6);
    this.info = {
      file: opts.device,
      format: 'pcap',
      compressed: null,
      linkTypes: [linkTypeName(this.linkType)],
      interfaces: [{ linkType: this.linkType, offset: -1 }],
      packets: 0,
      bytesRead: 0,
      sizeOnDisk: null,
      diskBytesRead: 0,
    };
    this.rec = {
      buf: this.ring.data, start: 0, caplen: 0, origLen: 0, tsSec: 0, tsNsec: 0,
      linkType: this.linkType, interfaceId: 0, source: opts.sourceIndex ?? 0, fileOffset: 0,
    };
    handle.on('packet', (nbytes, truncated) => this.onPacket(nbytes, truncated));
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  /** Frames queued and not yet handed out. */
  get queued(): number {
    return this.ring.length - (this.handedOut ? 1 : 0);
  }

  private onPacket(nbytes: number, truncated: boolean): void {
    if (this.stopped) return;
    const st = this.stats;
    st.received++;
    const ns = this.anchorNsec + Number(this.hrtime() - this.hr0);
    const sec = this.anchorSec + Math.floor(ns / 1e9);
    // Microseconds, as the -w file keeps them: the analysis during the capture then sees the
    // times `analyze` sees in that file (below a microsecond, event-loop stamps mean nothing).
    const nsec = ns % 1e9 - (ns % 1e3);
    const caplen = Math.min(nbytes, this.capBuf.length);
    const origLen = caplen >= CAP_SNAPLEN || truncated ? Math.max(caplen, wireLength(this.capBuf, caplen, this.linkType)) : caplen;
    if (!this.ring.push(this.capBuf, 0, caplen, origLen, sec, nsec)) {
      st.dropped++;
      st.droppedBytes += origLen;
      return;
    }
    if (origLen > caplen) {
      st.cut++;
      st.cutBytes += origLen - caplen;
    }
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    if (w) {
      this.waiter = null;
      w();
    }
  }

  nextSync(): PacketRecord | null | 'more' {
    if (this.handedOut) {
      this.ring.shift();
      this.handedOut = false;
    }
    const e = this.entry;
    if (!this.ring.peek(e)) return this.stopped ? null : 'more';
    this.handedOut = true;
    const rec = this.rec;
    rec.start = e.start;
    rec.caplen = e.caplen;
    rec.origLen = e.origLen;
    rec.tsSec = e.tsSec;
    rec.tsNsec = e.tsNsec;
    rec.fileOffset = this.pcapOffset;
    this.pcapOffset += PCAP_RECORD_HEADER + e.caplen;
    this.info.packets++;
    this.info.bytesRead = this.pcapOffset;
    return rec;
  }

  /** Resolves when a frame is queued or the capture has stopped. */
  fill(): Promise<void> {
    if (this.queued > 0 || this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }

  /** Stops capturing: frames already queued are still handed out, then nextSync returns null. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    safeClose(this.handle);
    this.handle.removeAllListeners('packet');
    this.wake();
  }

  close(): void {
    this.stop();
  }
}

/**
 * The frame's length on the wire, from its IP header (IPv4 total length, IPv6 payload length),
 * for a frame the snap length may have cut; `caplen` when the header does not say (TSO
 * total length 0, IPv6 jumbograms, not IP, link types not listed).
 */
export function wireLength(b: Uint8Array, caplen: number, linkType: number): number {
  let off: number;
  let etherType = -1;
  const u16 = (o: number): number => (b[o]! << 8) | b[o + 1]!;
  switch (linkType) {
    case 1: // Ethernet, with 802.1Q / QinQ tags
      off = 14;
      if (caplen < off) return caplen;
      etherType = u16(12);
      while ((etherType === 0x8100 || etherType === 0x88a8 || etherType === 0x9100) && off + 4 <= caplen) {
        etherType = u16(off + 2);
        off += 4;
      }
      break;
    case 113: // Linux cooked SLL
      off = 16;
      if (caplen < off) return caplen;
      etherType = u16(14);
      break;
    case 276: // Linux cooked SLL2
      off = 20;
      if (caplen < off) return caplen;
      etherType = u16(0);
      break;
    case 0: // BSD loopback NULL / LOOP: 4-byte family, then IP
    case 108:
      off = 4;
      break;
    case 101: // raw IP
    case 228:
    case 229:
      off = 0;
      break;
    default:
      return caplen;
  }
  if (etherType !== -1 && etherType !== 0x0800 && etherType !== 0x86dd) return caplen;
  if (off + 6 > caplen) return caplen;
  const version = b[off]! >> 4;
  if (version === 4) {
    const total = u16(off + 2);
    return total === 0 ? caplen : off + total;
  }
  if (version === 6) {
    const payload = u16(off + 4);
    return payload === 0 ? caplen : off + 40 + payload;
  }
  return caplen;
}
