/**
 * Setting the outcome of a decode. Every early exit of the decoders goes through here so that
 * a reused DecodedPacket never shows a stale field from the previous frame.
 */
import type { DecodedPacket, DecodeFailure } from './decoded-packet.js';

/**
 * One DecodeFailure per DecodedPacket, reused like the packet itself (garbage captures must not
 * allocate per frame either). A WeakMap keeps DecodedPacket's shape untouched; it is only
 * consulted on the error path.
 */
const failureSlots = new WeakMap<DecodedPacket, DecodeFailure>();

/** Clears everything a decode may set, before decoding a new frame. */
export function resetPacket(out: DecodedPacket): void {
  out.outcome = 'other';
  out.error = null;
  out.etherType = 0;
  out.ipVersion = 0;
  out.ipOffset = 0;
  out.src4 = 0;
  out.dst4 = 0;
  out.src6Offset = -1;
  out.dst6Offset = -1;
  out.ipId = -1;
  out.ttl = 0;
  out.protocol = 0;
  out.transportOffset = -1;
}

/** Clears the TCP fields when the frame turns out not to be a complete TCP segment. */
function clearTransport(out: DecodedPacket): void {
  out.srcPort = 0;
  out.dstPort = 0;
  out.seq = 0;
  out.ack = 0;
  out.flags = 0;
  out.window = 0;
  out.tcpChecksum = 0;
  out.mss = -1;
  out.windowScale = -1;
  out.sackPermitted = false;
  out.tsVal = -1;
  out.tsEcr = -1;
  truncateSack(out.sack, 0);
  out.payloadOffset = 0;
  out.payloadLength = 0;
  out.capturedPayloadLength = 0;
}

/**
 * Shortens the reused SACK array to n values. pop(), not `length = n`: setting the length to 0
 * makes V8 free the backing store, so the next SACK segment would allocate a new one.
 */
export function truncateSack(sack: number[], n: number): void {
  while (sack.length > n) sack.pop();
}

/** Ends the decode with outcome 'error'. Returns false so callers can `return fail(...)`. */
export function fail(out: DecodedPacket, layer: string, code: string, offset: number, required: number, actual: number): false {
  // Offsets in errors are relative to the frame, whatever buffer it sits in.
  offset -= out.frameStart;
  let e = failureSlots.get(out);
  if (e === undefined) {
    e = { layer, offset, required, actual, code };
    failureSlots.set(out, e);
  } else {
    e.layer = layer;
    e.offset = offset;
    e.required = required;
    e.actual = actual;
    e.code = code;
  }
  out.outcome = 'error';
  out.error = e;
  clearTransport(out);
  return false;
}

/** Ends the decode with outcome 'other' (non-TCP transport or non-IP frame). */
export function other(out: DecodedPacket): false {
  out.outcome = 'other';
  clearTransport(out);
  return false;
}

/** Ends the decode with outcome 'fragment'. */
export function fragment(out: DecodedPacket): false {
  out.outcome = 'fragment';
  clearTransport(out);
  return false;
}
