/**
 * The `conns --json` contract (formatVersion 1, docs/json-contract.md, docs/conns.schema.json).
 * Adding fields is compatible; renaming, removing or changing the meaning of one bumps formatVersion.
 */
import type { CaptureInfo } from '../capture/packet-record.js';
import type { TcpConnection } from '../tcp/connection.js';
import type { ConnState } from '../tcp/types.js';
import { AsciiBuffer, ascii } from './ascii-buffer.js';

export const CONNS_FORMAT_VERSION = 1;

export interface PerDirection {
  clientToServer: number;
  serverToClient: number;
}

export interface ConnectionJson {
  id: string;
  client: string;
  server: string;
  /** Epoch seconds. */
  start: number;
  end: number;
  /** Payload bytes each way in sequence space (Zeek's orig_bytes/resp_bytes): retransmissions once, missed bytes included. */
  bytes: PerDirection;
  /** Bytes each way that the capture does not hold. */
  missedBytes: PerDirection;
  state: ConnState;
  history: string;
  /** Packets each way (a frame captured twice counts once). */
  packets: PerDirection;
  /** Bytes of the frames on the wire each way, link layer included. */
  frameBytes: PerDirection;
  retransmittedBytes: PerDirection;
  /** SYN to the ACK of the SYN-ACK, seconds; null without a full handshake. */
  handshakeRtt: number | null;
  /** Stable snake_case codes with their counts. */
  anomalies: Record<string, number>;
  /** Indexes into `captures` of the files that saw this connection. */
  captures: number[];
}

export interface CaptureJson {
  file: string;
  format: CaptureInfo['format'];
  compressed: 'gzip' | null;
  linkTypes: string[];
  packets: number;
}

export interface ConnsJson {
  formatVersion: number;
  captures: CaptureJson[];
  connections: ConnectionJson[];
  /** One line per input fault (truncated, corrupt, unknown link type); connections read before each are still listed. */
  errors: string[];
}

/** Microsecond precision: what pcap gives, and what a double holds exactly enough for epoch times. */
export function epoch(ts: number): number {
  return Math.round(ts * 1e6) / 1e6;
}

function per(c: TcpConnection, f: (h: TcpConnection['half'][0]) => number): PerDirection {
  return { clientToServer: f(c.half[0]), serverToClient: f(c.half[1]) };
}

/** Called when the connection completes (its streams are flushed, so offsets are final). */
export function connectionJson(c: TcpConnection): ConnectionJson {
  const captures: number[] = [];
  for (let i = 0; i < 31; i++) if (c.sources & (1 << i)) captures.push(i);
  const rtt = c.handshakeRtt;
  return {
    id: c.id,
    client: c.client,
    server: c.server,
    start: epoch(c.start),
    end: epoch(c.end),
    bytes: per(c, (h) => h.nextOffset),
    missedBytes: per(c, (h) => h.missedBytes),
    state: c.state,
    history: c.history,
    packets: per(c, (h) => h.packets),
    frameBytes: per(c, (h) => h.frameBytes),
    retransmittedBytes: per(c, (h) => h.retransmittedBytes),
    handshakeRtt: rtt === null ? null : epoch(rtt),
    anomalies: Object.fromEntries([...(c.anomalies ?? new Map<string, number>())].sort()),
    captures,
  };
}

export function captureJson(info: CaptureInfo): CaptureJson {
  return { file: info.file, format: info.format, compressed: info.compressed, linkTypes: info.linkTypes, packets: info.packets };
}

/**
 * Seconds with exactly six decimals, built from integers: several times faster than a double's
 * shortest representation, and the same number when parsed.
 */
export function fixed6(t: number): string {
  const us = Math.round(t * 1e6);
  const neg = us < 0;
  const a = neg ? -us : us;
  const whole = Math.floor(a / 1e6);
  const frac = a - whole * 1e6;
  const f = String(frac);
  return `${neg ? '-' : ''}${whole}.${'000000'.slice(f.length)}${f}`;
}

/**
 * connectionJson(c) serialised by hand, on one line: the same document JSON.stringify gives (a
 * test holds them equal once parsed; times are written with six fixed decimals).
 */
export function connectionJsonLine(c: TcpConnection): string {
  const out = new AsciiBuffer(new Uint8Array(1024));
  writeConnectionJson(out, c);
  return out.text();
}

/**
 * connectionJsonLine(c), written straight into `out` as bytes: several times faster than
 * building the string, for streaming tens of thousands of connections.
 * Every string in it is an endpoint, a code or history letters: nothing needs escaping.
 */
export function writeConnectionJson(out: AsciiBuffer, c: TcpConnection): void {
  const o = c.half[0];
  const r = c.half[1];
  out.bytes(J0);
  out.uint(c.seq);
  out.bytes(J1);
  writeEndpoint(out, c.clientAddress, c.clientPort);
  out.bytes(J2);
  writeEndpoint(out, c.serverAddress, c.serverPort);
  out.bytes(J3);
  out.fixed6(c.start);
  out.bytes(J4);
  out.fixed6(c.end);
  out.bytes(J5);
  out.uint(o.nextOffset);
  out.bytes(J6);
  out.uint(r.nextOffset);
  out.bytes(J7);
  out.uint(o.missedBytes);
  out.bytes(J8);
  out.uint(r.missedBytes);
  out.bytes(J9);
  out.ascii(c.state);
  out.bytes(J10);
  out.ascii(c.history);
  out.bytes(J11);
  out.uint(o.packets);
  out.bytes(J12);
  out.uint(r.packets);
  out.bytes(J13);
  out.uint(o.frameBytes);
  out.bytes(J14);
  out.uint(r.frameBytes);
  out.bytes(J15);
  out.uint(o.retransmittedBytes);
  out.bytes(J16);
  out.uint(r.retransmittedBytes);
  out.bytes(J17);
  const rtt = c.handshakeRtt;
  if (rtt === null) out.bytes(J18);
  else out.fixed6(rtt);
  out.bytes(J19);
  if (c.anomalies) {
    let first = true;
    for (const [k, n] of [...c.anomalies].sort()) {
      out.byte(first ? 34 : 44);
      if (!first) out.byte(34);
      first = false;
      out.ascii(k);
      out.bytes(J20);
      out.uint(n);
    }
  }
  out.bytes(J21);
  let first = true;
  for (let i = 0; i < 31; i++) {
    if ((c.sources & (1 << i)) === 0) continue;
    if (!first) out.byte(44);
    first = false;
    out.uint(i);
  }
  out.bytes(J22);
}

/** The constant pieces of a connection's line. */
const J0 = ascii('{"id":"');
const J1 = ascii('","client":"');
const J2 = ascii('","server":"');
const J3 = ascii('","start":');
const J4 = ascii(',"end":');
const J5 = ascii(',"bytes":{"clientToServer":');
const J6 = ascii(',"serverToClient":');
const J7 = ascii('},"missedBytes":{"clientToServer":');
const J8 = ascii(',"serverToClient":');
const J9 = ascii('},"state":"');
const J10 = ascii('","history":"');
const J11 = ascii('","packets":{"clientToServer":');
const J12 = ascii(',"serverToClient":');
const J13 = ascii('},"frameBytes":{"clientToServer":');
const J14 = ascii(',"serverToClient":');
const J15 = ascii('},"retransmittedBytes":{"clientToServer":');
const J16 = ascii(',"serverToClient":');
const J17 = ascii('},"handshakeRtt":');
const J18 = ascii('null');
const J19 = ascii(',"anomalies":{');
const J20 = ascii('":');
const J21 = ascii('},"captures":[');
const J22 = ascii(']}');

/** formatEndpoint's text: "ip:port", or "[v6]:port". */
export function writeEndpoint(out: AsciiBuffer, address: string, port: number): void {
  const v6 = address.includes(':');
  if (v6) out.byte(91);
  out.ascii(address);
  out.ascii(v6 ? ']:' : ':');
  out.uint(port);
}
