/**
 * delivery at compile time: when each span of a cycle is due, and which spans share a
 * frame. Traces start spread over the cycle in proportion to their spans (so the spans
 * of a cycle are due at an even rate); a span is due at its trace's start + its own end
 * (`as_ended`) or its trace's last end (`whole`), plus a delay if it was picked as late.
 * Due times are rounded up to a bucket, and each bucket becomes a frame (or several, with
 * batch_splitter's limits): frames are scheduled at run time, never copied per trace.
 */
import { mulberry32 } from '../mulberry32.js';
import { FIXED64, LEN, SPAN, tag } from '../otlp/wire/fields.js';
import { WireReader } from '../otlp/wire/reader.js';
import { readFixed64 } from '../otlp/wire/write.js';
import type { Packer } from './packer.js';
import type { DeliveryPlan } from './plan.js';
import type { TemplateIndex } from './template-index.js';

/** Spans due within one bucket go in one frame: like an SDK batch processor's flush, much finer than its default 5 s. */
export const DELIVERY_BUCKET_MS = 50;
/** Without a rate, a cycle's traces start over this long. */
export const DEFAULT_CYCLE_MS = 1000;

/** What the runner schedules: a cycle's frames at fixed offsets from the cycle's origin. */
export interface DeliverySchedule {
  /** Per frame: ms after its cycle's origin when it is due, ascending (frames are in this order). */
  due: Float64Array;
  /** Per time unit (trace): ms after the cycle's origin that its relative times count from. */
  unitStartMs: Float64Array;
  /** Traces start spread over this many ms: events per cycle / the rate. */
  cycleMs: number;
}

/** Does the plan need a schedule at all? `whole` without late or rootless traces is today's send-as-fast-as-allowed. */
export function scheduled(plan: DeliveryPlan | null): plan is DeliveryPlan {
  return plan !== null && (plan.mode === 'as_ended' || plan.lateSpans.share > 0 || plan.lateRoot.share > 0 || plan.rootless > 0);
}

export interface DeliveryOptions {
  plan: DeliveryPlan;
  /** Events per second this worker is held to; undefined or 0 = DEFAULT_CYCLE_MS per cycle. */
  eventsPerSecond?: number;
  /** Picks the late spans and rootless traces: the same seed picks the same ones. */
  seed?: number;
}

export interface DeliveryGroups {
  groups: number[][];
  schedule: DeliverySchedule;
}

const PARENT = tag(SPAN.parentSpanId, LEN);
const END = tag(SPAN.end, FIXED64);

/** Groups the spans of a traces index into due-ordered frames; `packer` (batch_splitter) splits a bucket by size. */
export function deliveryGroups(index: TemplateIndex, opts: DeliveryOptions, packer: Packer | null): DeliveryGroups {
  const { plan } = opts;
  const n = index.count;
  const units = index.unitCount;
  const endNs = new Float64Array(n);
  const unitEndNs = new Float64Array(units);
  const roots: number[] = [];
  for (let i = 0; i < n; i++) {
    const { end, root } = spanFacts(index, i);
    endNs[i] = end;
    const u = index.unit(i);
    if (end > unitEndNs[u]!) unitEndNs[u] = end;
    if (root) roots.push(i);
  }

  const rng = mulberry32(opts.seed ?? 0);
  // Rootless traces drop every parentless span of the trace (a copy may hold several).
  const rootlessUnits = pick(distinct(roots.map((i) => index.unit(i))), plan.rootless, rng);
  const skip = new Uint8Array(n);
  for (const i of roots) if (rootlessUnits.has(index.unit(i))) skip[i] = 1;
  // late_spans is a share of every span sent; a root picked by late_root too takes late_root's delay.
  const late = new Uint8Array(n);
  const sent = Array.from({ length: n }, (_, i) => i).filter((i) => !skip[i]);
  for (const i of pick(sent, plan.lateSpans.share, rng)) late[i] = 2;
  for (const i of pick(roots.filter((i) => !skip[i]), plan.lateRoot.share, rng)) late[i] = 1;

  let events = 0;
  const unitEvents = new Float64Array(units);
  for (let i = 0; i < n; i++) {
    if (skip[i]) continue;
    events++;
    unitEvents[index.unit(i)]++;
  }
  const eps = opts.eventsPerSecond ?? 0;
  const cycleMs = eps > 0 ? (events / eps) * 1000 : DEFAULT_CYCLE_MS;
  const unitStartMs = new Float64Array(units);
  let before = 0;
  for (let u = 0; u < units; u++) {
    unitStartMs[u] = events > 0 ? (before / events) * cycleMs : 0;
    before += unitEvents[u]!;
  }

  // bucket → unit → items, both in first-seen order, so a frame keeps index order within a trace
  const buckets = new Map<number, Map<number, number[]>>();
  for (let i = 0; i < n; i++) {
    if (skip[i]) continue;
    const u = index.unit(i);
    const endMs = (plan.mode === 'as_ended' ? endNs[i]! : unitEndNs[u]!) / 1e6;
    const delay = late[i] === 1 ? plan.lateRoot.delayMs : late[i] === 2 ? plan.lateSpans.delayMs : 0;
    const b = Math.ceil((unitStartMs[u]! + endMs + delay) / DELIVERY_BUCKET_MS);
    let byUnit = buckets.get(b);
    if (!byUnit) buckets.set(b, (byUnit = new Map()));
    const items = byUnit.get(u);
    if (items) items.push(i);
    else byUnit.set(u, [i]);
  }

  const groups: number[][] = [];
  const due: number[] = [];
  for (const b of [...buckets.keys()].sort((x, y) => x - y)) {
    const byUnit = buckets.get(b)!;
    let frames: number[][];
    if (packer) {
      for (const items of byUnit.values()) packer.add(items);
      frames = packer.cut();
    } else {
      frames = [[...byUnit.values()].flat().sort((x, y) => x - y)];
    }
    for (const f of frames) {
      groups.push(f);
      due.push(b * DELIVERY_BUCKET_MS);
    }
  }
  return { groups, schedule: { due: Float64Array.from(due), unitStartMs, cycleMs } };
}

/** A span's relative end (ns) and whether it has no parent. */
function spanFacts(index: TemplateIndex, i: number): { end: number; root: boolean } {
  const buf = index.inputs[index.input(i)]!.bytes;
  const r = new WireReader(buf, index.start(i), index.end(i));
  let end = 0;
  let root = true;
  while (!r.done()) {
    const t = r.tag();
    if (t === END) end = readFixed64(buf, r.advance(8));
    else if (t === PARENT) {
      const [s, e] = r.bytes();
      root = e === s;
    } else r.skip(t & 7);
  }
  return { end, root };
}

function distinct(xs: number[]): number[] {
  return [...new Set(xs)];
}

/** round(share × n) of `from`, drawn without replacement. */
function pick(from: number[], share: number, rng: () => number): Set<number> {
  const k = Math.round(share * from.length);
  const a = from.slice();
  for (let j = 0; j < k; j++) {
    const r = j + Math.floor(rng() * (a.length - j));
    [a[j], a[r]] = [a[r]!, a[j]!];
  }
  return new Set(a.slice(0, k));
}
