/**
 * Compact mode: what a header block's text decides, worked out once per distinct block (under
 * load the same few blocks come again and again, and are interned: compact.ts). The framing
 * fields and the notes their scan gives, whether it asks for an upgrade or a 100-continue, its
 * Connection tokens, and what the framing rules make of it. Every result is shared: read-only.
 */
import { requestFraming, responseFraming, type Framing } from './framing.js';
import { scanFieldLines, type FieldFilter } from './head-block.js';
import { headerTokens, headerValues } from './headers.js';
import type { HttpHeaders, HttpNote } from './types.js';

/** A framing decision and the notes it added, in order. */
interface Decided {
  framing: Framing;
  notes: HttpNote[];
}

export interface HeadFacts {
  /** Where the fields start (just after the start line). */
  readonly from: number;
  /** The fields the filter kept, and the notes of the scan (in the order it adds them). */
  readonly fields: HttpHeaders;
  readonly notes: readonly HttpNote[];
  readonly upgrade: boolean;
  readonly expectContinue: boolean;
  /** Connection tokens (lower case), for keepAliveOf. */
  readonly connection: readonly string[];
  /** Request: [requestFraming]. Response: by request method: [other or unknown, HEAD, CONNECT]. */
  readonly decided: (Decided | undefined)[];
}

/** Bounded: when full it starts over (the facts already handed out stay valid). */
const MAX_FACTS = 16384;
let facts = new Map<string, HeadFacts>();

/** The facts of an (interned) header block whose fields start at `from`. */
export function headFacts(head: string, from: number, keep: FieldFilter): HeadFacts {
  const known = facts.get(head);
  if (known !== undefined && known.from === from) return known;
  const notes = new Set<HttpNote>();
  const fields = scanFieldLines(head, from, notes, keep);
  const f: HeadFacts = {
    from, fields, notes: [...notes],
    upgrade: headerValues(fields, 'upgrade').length > 0,
    expectContinue: headerTokens(fields, 'expect').includes('100-continue'),
    connection: headerTokens(fields, 'connection'),
    decided: [],
  };
  if (facts.size >= MAX_FACTS) facts = new Map();
  facts.set(head, f);
  return f;
}

/** requestFraming of this block (method and version are its start line's), its notes added to `notes`. */
export function requestFramingOf(f: HeadFacts, method: string, version: string, notes: Set<HttpNote>): Framing {
  // Looked up before anything is built: no closure or Set per message once decided.
  let d = f.decided[0];
  if (d === undefined) {
    const added = new Set<HttpNote>();
    d = f.decided[0] = { framing: requestFraming(method, f.fields, version, added), notes: [...added] };
  }
  return replay(d, notes);
}

/** responseFraming of this block (status and version are its start line's) to a request of this method. */
export function responseFramingOf(f: HeadFacts, status: number, requestMethod: string | null, version: string, notes: Set<HttpNote>): Framing {
  // responseFraming tells only HEAD and CONNECT apart from other (or unknown) methods.
  const kind = requestMethod === 'HEAD' ? 1 : requestMethod === 'CONNECT' ? 2 : 0;
  let d = f.decided[kind];
  if (d === undefined) {
    const added = new Set<HttpNote>();
    d = f.decided[kind] = { framing: responseFraming(status, requestMethod, f.fields, version, added), notes: [...added] };
  }
  return replay(d, notes);
}

function replay(d: Decided, notes: Set<HttpNote>): Framing {
  for (let i = 0; i < d.notes.length; i++) notes.add(d.notes[i]!);
  return d.framing;
}
