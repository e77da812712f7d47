/**
 * One error base class, a subclass per pipeline stage. Every error that reaches the
 * user is one of these and is printed as one line; anything else is a bug.
 */

/** Process exit codes, documented in README.md ("Exit codes"). */
export const EXIT = {
  ok: 0,
  /** An unexpected internal error (a bug). */
  internal: 1,
  /** Bad command-line usage. */
  usage: 2,
  /** A capture could not be opened (missing file, permission). */
  open: 3,
  /** A capture is corrupt, truncated or of an unknown format; what was read before the fault is still reported. */
  badCapture: 4,
  /** Live capture could not start (no permission, no libpcap, bad interface or filter). */
  live: 5,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export class ProxytraceError extends Error {
  readonly exitCode: ExitCode;
  constructor(message: string, exitCode: ExitCode, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.exitCode = exitCode;
  }
}

export class UsageError extends ProxytraceError {
  constructor(message: string) {
    super(message, EXIT.usage);
  }
}

/** The capture stage: a file that cannot be opened or read, or whose framing is broken. */
export class CaptureError extends ProxytraceError {
  readonly file: string;
  /** Byte offset in the (decompressed) file where the fault is; -1 when it is not about a position. */
  readonly offset: number;
  constructor(file: string, offset: number, message: string, exitCode: ExitCode = EXIT.badCapture, options?: { cause?: unknown }) {
    super(offset >= 0 ? `${file}: at byte offset ${offset}: ${message}` : `${file}: ${message}`, exitCode, options);
    this.file = file;
    this.offset = offset;
  }
}

/**
 * The decode stage. Decode errors are not fatal (a capture goes on after a bad packet): they are
 * counted and reported, and carry the layer, the offset in the frame, and the lengths involved.
 */
export class DecodeError extends ProxytraceError {
  readonly layer: string;
  readonly offset: number;
  readonly required: number;
  readonly actual: number;
  constructor(layer: string, offset: number, required: number, actual: number, message?: string) {
    super(message ?? `${layer}: need ${required} bytes at offset ${offset}, have ${actual}`, EXIT.badCapture);
    this.layer = layer;
    this.offset = offset;
    this.required = required;
    this.actual = actual;
  }
}

export class LiveCaptureError extends ProxytraceError {
  constructor(message: string) {
    super(message, EXIT.live);
  }
}
