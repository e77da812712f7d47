/**
 * `follow`: one connection's two byte streams, as Wireshark's Follow TCP Stream shows them,
 * streamed as the reassembler delivers them (memory stays constant whatever the connection's size).
 * Consecutive bytes of one direction form one block; a gap is a line of its own.
 */
import type { TcpConnection } from '../tcp/connection.js';
import type { StreamHandler } from '../tcp/reassembler.js';
import type { Dir, GapReason } from '../tcp/types.js';
import { escapeInline, escapePayload, hexdump } from './escape.js';
import { timeOfDay } from './table.js';

export type FollowFormat = 'ascii' | 'hex';

const GAP_WORDS: Record<GapReason, string> = {
  not_captured: 'acknowledged by the receiver, not in the capture',
  unacknowledged: 'never acknowledged',
  snaplen: 'cut by the snap length',
};

export class FollowPrinter implements StreamHandler {
  /** The connection followed, once seen. */
  conn: TcpConnection | null = null;
  ids = 0;
  private lastDir: Dir | -1 = -1;
  private lastEnd = -1;
  private readonly want: (c: TcpConnection) => boolean;
  private readonly format: FollowFormat;
  private readonly sink: (s: string) => void;
  /** Partial escape state: a CR at the end of one chunk pairs with an LF at the start of the next. */
  private pendingCR = false;

  constructor(want: (c: TcpConnection) => boolean, format: FollowFormat, write: (s: string) => void) {
    this.want = want;
    this.format = format;
    this.sink = write;
  }

  open(c: TcpConnection): void {
    this.ids++;
    if (this.conn !== null || !this.want(c)) return;
    this.conn = c;
    this.write(`Follow TCP stream: connection ${c.id}\nClient: ${c.client}\nServer: ${c.server}\n`);
  }

  data(c: TcpConnection, dir: Dir, offset: number, data: Uint8Array, ts: number): void {
    if (c !== this.conn) return;
    if (dir !== this.lastDir || offset !== this.lastEnd) this.header(dir, offset, ts);
    this.lastEnd = offset + data.length;
    if (this.format === 'hex') {
      this.write(hexdump(data, offset).join('\n') + '\n');
      return;
    }
    let text = escapePayload(data);
    if (this.pendingCR && data[0] !== 0x0a) text = '\\r' + text;
    this.pendingCR = data[data.length - 1] === 0x0d && !text.endsWith('\n');
    if (this.pendingCR) text = text.slice(0, -2); // hold the trailing \r until we see what follows
    this.write(text);
  }

  gap(c: TcpConnection, dir: Dir, offset: number, length: number, reason: GapReason): void {
    if (c !== this.conn) return;
    this.flushCR();
    if (dir !== this.lastDir) this.header(dir, offset, c.end);
    this.write(`${this.atLineStart ? '' : '\n'}[${length} bytes missing in capture: ${GAP_WORDS[reason]}]\n`);
    this.lastEnd = offset + length;
  }

  close(c: TcpConnection): void {
    if (c !== this.conn) return;
    this.flushCR();
    const h = c.half;
    this.write(
      `${this.atLineStart ? '' : '\n'}=== end: state ${c.state}, history ${escapeInline(c.history)}; ` +
        `client->server ${h[0].nextOffset} bytes (${h[0].missedBytes} missing), ` +
        `server->client ${h[1].nextOffset} bytes (${h[1].missedBytes} missing)\n`,
    );
  }

  private atLineStart = true;

  private write(s: string): void {
    if (s.length === 0) return;
    this.sink(s);
    this.atLineStart = s.endsWith('\n');
  }

  private header(dir: Dir, offset: number, ts: number): void {
    this.flushCR();
    const c = this.conn!;
    const arrow = dir === 0 ? `${c.client} -> ${c.server}` : `${c.server} -> ${c.client}`;
    this.write(`${this.atLineStart ? '' : '\n'}=== ${dir === 0 ? 'client -> server' : 'server -> client'} (${arrow}) at offset ${offset}, ${timeOfDay(ts)}\n`);
    this.lastDir = dir;
  }

  private flushCR(): void {
    if (this.pendingCR) this.write('\\r');
    this.pendingCR = false;
  }
}
