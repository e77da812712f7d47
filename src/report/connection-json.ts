/**
 * The `conns --json` contract (formatVersion 1, docs/json-contract.md, docs/conns.schema.json).
 * Adding fields is compatible; renaming, removing or changing the meaning of one bumps formatVersion.
 */
import type { CaptureInfo } from '../capture/packet-record.js';
import type { TcpConnection } from '../tcp/connection.js';
import type { ConnState } from '../tcp/types.js';
import { AsciiBuffer, FIXED6, LineTemplate, TEXT, UINT } from './ascii-buffer.js';

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

/** The pieces of a connection's line, and what goes between them. */
const LINE = new LineTemplate([
  '{"id":"', '","client":"', ':', '","server":"', ':', '","start":', ',"end":',
  ',"bytes":{"clientToServer":', ',"serverToClient":', '},"missedBytes":{"clientToServer":', ',"serverToClient":',
  '},"state":"', '","history":"', '","packets":{"clientToServer":', ',"serverToClient":',
  '},"frameBytes":{"clientToServer":', ',"serverToClient":', '},"retransmittedBytes":{"clientToServer":', ',"serverToClient":',
  '},"handshakeRtt":', ',"anomalies":{', '},"captures":[', ']}',
]);
LINE.kind.set([UINT, TEXT, UINT, TEXT, UINT, FIXED6, FIXED6, UINT, UINT, UINT, UINT, TEXT, TEXT, UINT, UINT, UINT, UINT, UINT, UINT, FIXED6, TEXT, TEXT]);

/**
 * connectionJsonLine(c), written straight into `out` as bytes: several times faster than
 * building the string, for streaming tens of thousands of connections.
 * Every string in it is an endpoint, a code or history letters: nothing needs escaping.
 */
export function writeConnectionJson(out: AsciiBuffer, c: TcpConnection): void {
  const o = c.h0;
  const r = c.h1;
  const { num, str, kind } = LINE;
  num[0] = c.seq;
  str[1] = bracketed(c.clientAddress);
  num[2] = c.clientPort;
  str[3] = bracketed(c.serverAddress);
  num[4] = c.serverPort;
  num[5] = c.start;
  num[6] = c.end;
  num[7] = o.nextOffset;
  num[8] = r.nextOffset;
  num[9] = o.missedBytes;
  num[10] = r.missedBytes;
  str[11] = c.state;
  str[12] = c.history;
  num[13] = o.packets;
  num[14] = r.packets;
  num[15] = o.frameBytes;
  num[16] = r.frameBytes;
  num[17] = o.retransmittedBytes;
  num[18] = r.retransmittedBytes;
  const rtt = c.handshakeRtt;
  if (rtt === null) {
    kind[19] = TEXT;
    str[19] = 'null';
  } else {
    kind[19] = FIXED6;
    num[19] = rtt;
  }
  let anomalies = '';
  if (c.anomalies) for (const [k, n] of [...c.anomalies].sort()) anomalies += `${anomalies ? ',' : ''}"${k}":${n}`;
  str[20] = anomalies;
  str[21] = capturesText(c.sources);
  LINE.write(out);
}

/** An IPv6 address in brackets, as in formatEndpoint (IPv4 ones as they are). */
export function bracketed(address: string): string {
  return address.includes(':') ? `[${address}]` : address;
}

let lastSources = 1;
let lastCaptures = '0';

/** The capture indexes of a sources bit set, "0,2"; nearly every connection has the same. */
function capturesText(sources: number): string {
  if (sources === lastSources) return lastCaptures;
  let s = '';
  for (let i = 0; i < 31; i++) if (sources & (1 << i)) s += s ? `,${i}` : `${i}`;
  lastSources = sources;
  lastCaptures = s;
  return s;
}

