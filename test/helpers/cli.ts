/**
 * End-to-end helpers: run the built CLI (dist/src/cli/main.js) as a child process with a
 * timeout, read pcap record layouts independently of src/, and ask tshark for reference values.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { writePcap } from './pcap-writer.js';
import { T0, type TestPacket } from './tcp-harness.js';
import { ROOT } from './tools.js';

export const CLI = path.join(ROOT, 'dist', 'src', 'cli', 'main.js');

/** Generous for CI, yet far below node:test's default: a hang fails the test instead of stalling the run. */
export const CLI_TIMEOUT_MS = 8000;

export interface CliResult {
  status: number | null;
  stdout: Buffer;
  /** stdout as latin1 (one char per byte, so byte checks stay exact). */
  out: string;
  stderr: string;
}

/** Runs `node dist/src/cli/main.js ...args` from the repository root; fails the test on timeout. */
export function runCli(args: readonly string[], opts: { input?: Uint8Array } = {}): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: ROOT,
    input: opts.input ?? Buffer.alloc(0),
    timeout: CLI_TIMEOUT_MS,
    maxBuffer: 256 << 20,
    env: { ...process.env, PROXYTRACE_DEBUG: '' },
  });
  assert.equal(r.error, undefined, `proxytrace ${args.join(' ')}: ${String(r.error)}`);
  assert.equal(r.signal, null, `proxytrace ${args.join(' ')} was killed by ${r.signal} (timeout ${CLI_TIMEOUT_MS} ms?)`);
  return { status: r.status, stdout: r.stdout, out: r.stdout.toString('latin1'), stderr: r.stderr.toString('utf8') };
}

/** Runs a shell pipeline (bash -c), with the same timeout. */
export function runShell(script: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('bash', ['-c', script], { cwd: ROOT, timeout: CLI_TIMEOUT_MS, encoding: 'utf8', maxBuffer: 256 << 20 });
  assert.equal(r.signal, null, `\`${script}\` was killed by ${r.signal} (timeout?)`);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** stderr is exactly one line "proxytrace: ...", with no stack trace; returns the line. */
export function oneErrorLine(stderr: string): string {
  assert.ok(stderr.endsWith('\n'), `stderr should end with a newline: ${JSON.stringify(stderr)}`);
  const lines = stderr.slice(0, -1).split('\n');
  assert.equal(lines.length, 1, `stderr should be one line, got:\n${stderr}`);
  const line = lines[0]!;
  assert.ok(line.startsWith('proxytrace: '), `stderr should start with "proxytrace: ": ${line}`);
  assert.doesNotMatch(line, /\bat .*\(.*:\d+:\d+\)|\n\s+at /, 'no stack frames');
  return line;
}

export function tshark(args: readonly string[]): string {
  const r = spawnSync('tshark', args, { encoding: 'utf8', maxBuffer: 256 << 20, timeout: 60_000 });
  assert.equal(r.status, 0, `tshark ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** Layout of a classic little-endian pcap file, read here independently of src/capture. */
export interface PcapRecordLayout {
  /** Byte offset of the 16-byte record header. */
  offset: number;
  caplen: number;
}

export function pcapLayout(buf: Buffer): PcapRecordLayout[] {
  assert.equal(buf.readUInt32LE(0), 0xa1b2c3d4, 'expected a little-endian microsecond pcap');
  const out: PcapRecordLayout[] = [];
  let o = 24;
  while (o + 16 <= buf.length) {
    const caplen = buf.readUInt32LE(o + 8);
    if (o + 16 + caplen > buf.length) break;
    out.push({ offset: o, caplen });
    o += 16 + caplen;
  }
  return out;
}

/** Packets built with the tcp harness's Conversation, as a nanosecond pcap file's bytes. */
export function packetsToPcap(packets: readonly TestPacket[]): Buffer {
  const records = packets.map((p) => {
    const whole = Math.floor(p.ts);
    const nsec = Math.round((p.ts - whole) * 1e6) * 1000;
    const data = p.snap !== undefined ? p.frame.subarray(0, p.snap) : p.frame;
    return { tsSec: T0 + whole, tsNsec: nsec, data, origLen: p.frame.length };
  });
  return writePcap({ linkType: 1, nanosecond: true, records });
}
