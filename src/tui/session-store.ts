/**
 * The TUI's data: a growing list of sessions (and the legs and HAProxy log comparison they
 * refer to). `proxytrace tui` fills it once; `live --tui` can push sessions as they finish:
 * the app subscribes (useSyncExternalStore) and redraws on each change.
 */
import type { LineComparison, Verdict } from '../correlate/haproxy/compare-log.js';
import type { Leg, Session } from '../correlate/model.js';
import { FactsCache } from './session-facts.js';

export class SessionStore {
  private readonly list: Session[] = [];
  private readonly listeners = new Set<() => void>();
  private changes = 0;
  readonly legs = new Map<string, Leg>();
  readonly facts: FactsCache;
  /** With --haproxy-log: each inferred verdict's comparison with the real line. */
  logIndex: Map<Verdict, LineComparison> | null = null;
  /** Shown in the status line (input faults, "live: capturing on eth0"...). Must be escaped. */
  notice = '';

  constructor(sessions: readonly Session[] = [], legs?: ReadonlyMap<string, Leg>) {
    if (legs) for (const [k, v] of legs) this.legs.set(k, v);
    this.facts = new FactsCache(this.legs);
    this.list.push(...sessions);
  }

  get sessions(): readonly Session[] {
    return this.list;
  }

  /** Adds sessions (and the legs they refer to); legs must come with or before their sessions. */
  push(sessions: readonly Session[], legs?: Iterable<Leg>): void {
    if (legs) for (const l of legs) this.legs.set(l.id, l);
    for (const s of sessions) this.list.push(s);
    this.changed();
  }

  setLogComparison(index: Map<Verdict, LineComparison> | null): void {
    this.logIndex = index;
    this.changed();
  }

  setNotice(text: string): void {
    this.notice = text;
    this.changed();
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** Bumped on every change: the snapshot useSyncExternalStore compares. */
  getVersion = (): number => this.changes;

  private changed(): void {
    this.changes++;
    for (const l of this.listeners) l();
  }
}
