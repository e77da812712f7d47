/**
 * Progress on stderr while reading large files: packets, bytes, rate, time left. Shown only when
 * both stdout and stderr are terminals and the output is not JSON, so it never mixes into data.
 */
import type { CaptureInfo } from '../capture/packet-record.js';
import { escapeInline } from './escape.js';

export interface ProgressTarget {
  isTTY?: boolean;
  write(s: string): boolean;
}

export class Progress {
  private readonly out: ProgressTarget;
  private readonly started = performance.now();
  private lastDraw = 0;
  private drawn = false;

  constructor(out: ProgressTarget) {
    this.out = out;
  }

  static enabled(json: boolean): boolean {
    return !json && process.stdout.isTTY === true && process.stderr.isTTY === true;
  }

  update(captures: readonly CaptureInfo[]): void {
    const now = performance.now();
    if (now - this.lastDraw < 200 || now - this.started < 500) return;
    this.lastDraw = now;
    this.out.write(`\r\x1b[K${progressLine(captures, (now - this.started) / 1000)}`);
    this.drawn = true;
  }

  done(): void {
    if (this.drawn) this.out.write('\r\x1b[K');
    this.drawn = false;
  }
}

/** "reading a.pcap: 1.20 M packets, 120.0 of 800.0 MB (15%), 2.10 M packets/s, 3 s left" */
export function progressLine(captures: readonly CaptureInfo[], elapsed: number): string {
  let packets = 0;
  let done = 0;
  let total = 0;
  let known = true;
  for (const c of captures) {
    packets += c.packets;
    done += c.diskBytesRead;
    if (c.sizeOnDisk === null) known = false;
    else total += c.sizeOnDisk;
  }
  const names = captures.length === 1 ? escapeInline(captures[0]!.file) : `${captures.length} files`;
  const rate = elapsed > 0 ? packets / elapsed : 0;
  let line = `reading ${names}: ${(packets / 1e6).toFixed(2)} M packets, ${(done / 1e6).toFixed(1)}`;
  if (known && total > 0) {
    const frac = Math.min(1, done / total);
    const left = frac > 0 ? (elapsed / frac) * (1 - frac) : 0;
    line += ` of ${(total / 1e6).toFixed(1)} MB (${Math.floor(frac * 100)}%), ${(rate / 1e6).toFixed(2)} M packets/s, ${Math.ceil(left)} s left`;
  } else {
    line += ` MB, ${(rate / 1e6).toFixed(2)} M packets/s`;
  }
  return line;
}
