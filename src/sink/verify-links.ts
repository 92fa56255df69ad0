import type { ProblemExample } from './verify.js';

/** What a log record's or exemplar's trace_id/span_id is checked for: a span that arrived. */
export type LinkKind = 'orphan_log' | 'orphan_exemplar';

/** How long a reference may wait for its span: a replay sends the span already or within the same second. */
export const LINK_GRACE_MS = 5000;

/** References to one span that has not arrived: how many of each kind, since when. */
interface Waiting {
  at: number;
  count: Record<LinkKind, number>;
  example: ProblemExample;
}

const KINDS = ['orphan_log', 'orphan_exemplar'] as const;

/**
 * Counts log records and exemplars whose span never arrived. A reference to a span seen
 * before (`spanSeen`, the verifier's span window) is fine; otherwise it waits up to
 * `graceMs` for the span, then is an orphan. At most `maxWaiting` references wait (the
 * oldest become orphans first), so memory stays bounded however many never match.
 */
export class LinkCheck {
  /** Waiting references by trace key + span key, oldest first (a Map keeps insertion order). */
  private readonly waiting = new Map<string, Waiting>();
  private readonly orphans: Record<LinkKind, number> = { orphan_log: 0, orphan_exemplar: 0 };
  private readonly examples: Record<LinkKind, ProblemExample[]> = { orphan_log: [], orphan_exemplar: [] };

  constructor(
    private readonly spanSeen: (traceKey: string, spanKey: string) => boolean,
    private readonly opts: { maxWaiting: number; maxExamples: number; graceMs?: number; now?: () => number },
  ) {}

  /** A log record's or exemplar's ids (both set and of the right length); `example` is built only if it must wait. */
  reference(kind: LinkKind, traceKey: string, spanKey: string, example: () => ProblemExample): void {
    const now = (this.opts.now ?? Date.now)();
    this.expire(now);
    if (this.spanSeen(traceKey, spanKey)) return;
    const k = traceKey + spanKey;
    const w = this.waiting.get(k);
    if (w) return void w.count[kind]++;
    if (this.waiting.size >= this.opts.maxWaiting) this.orphan(this.waiting.keys().next().value!);
    const count = { orphan_log: 0, orphan_exemplar: 0 };
    count[kind] = 1;
    this.waiting.set(k, { at: now, count, example: example() });
  }

  /** A span arrived: references waiting for it are linked. */
  spanArrived(traceKey: string, spanKey: string): void {
    if (this.waiting.size === 0) return;
    this.expire((this.opts.now ?? Date.now)());
    this.waiting.delete(traceKey + spanKey);
  }

  /** Orphans so far (including references still waiting), how many spans are still waited for, and examples. */
  report(): { problems: Partial<Record<LinkKind, number>>; examples: Partial<Record<LinkKind, ProblemExample[]>>; pendingLinks: number } {
    this.expire((this.opts.now ?? Date.now)());
    const problems: Partial<Record<LinkKind, number>> = {};
    const examples: Partial<Record<LinkKind, ProblemExample[]>> = {};
    for (const kind of KINDS) {
      const list = [...this.examples[kind]];
      let n = this.orphans[kind];
      for (const w of this.waiting.values()) {
        if (w.count[kind] === 0) continue;
        n += w.count[kind];
        if (list.length < this.opts.maxExamples) list.push(w.example);
      }
      if (n > 0) {
        problems[kind] = n;
        examples[kind] = list;
      }
    }
    return { problems, examples, pendingLinks: this.waiting.size };
  }

  private expire(now: number): void {
    const before = now - (this.opts.graceMs ?? LINK_GRACE_MS);
    for (const [k, w] of this.waiting) {
      if (w.at >= before) break;
      this.orphan(k);
    }
  }

  private orphan(k: string): void {
    const w = this.waiting.get(k)!;
    this.waiting.delete(k);
    for (const kind of KINDS) {
      if (w.count[kind] === 0) continue;
      this.orphans[kind] += w.count[kind];
      const list = this.examples[kind];
      if (list.length < this.opts.maxExamples) list.push(w.example);
    }
  }
}
