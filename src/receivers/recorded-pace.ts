/**
 * The template receiver's `pace: recorded`: when each recorded request is due within a
 * replay cycle, from the recording's own arrival offsets (recording.yaml's `arrivals_ms`)
 * or, for a file without them, from the earliest time each request holds.
 */
import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { parse } from 'yaml';
import { FIXED64, ITEMS, LOG_RECORD, METRIC_DATA_BY_FIELD, DATA_POINTS, POINT, RESOURCES, SCOPES, SPAN, tag } from '../otlp/wire/fields.js';
import { WireReader } from '../otlp/wire/reader.js';
import type { Signal } from '../otlp/signals.js';
import type { TemplateData } from './template-data.js';

/** The metadata file beside a recording's template files (the recorder writes it). */
export const RECORDING_YAML = 'recording.yaml';

/** When each request of a paced template is sent, relative to the start of its cycle. */
export interface Pace {
  /** Per recorded request (one entry for a single request), in file order: ms after the cycle's start. */
  dueMs: number[];
  /** How long one cycle lasts: the next cycle's requests are due from its start + this. */
  cycleMs: number;
}

/** What recording.yaml says about one signal's file: arrival offsets and the recording's length. */
export interface RecordedArrivals {
  arrivalsMs: number[];
  durationMs: number;
}

/**
 * The arrivals recording.yaml lists for `file`, when the file is the recording's file for
 * `signal` (a template copied elsewhere, or renamed, has none).
 */
export function recordedArrivals(file: string, signal: Signal): RecordedArrivals | undefined {
  let meta: any;
  try {
    meta = parse(readFileSync(join(dirname(file), RECORDING_YAML), 'utf8'));
  } catch {
    return undefined;
  }
  const arrivals = meta?.arrivals_ms?.[signal];
  if (meta?.signals?.[signal]?.file !== basename(file) || !Array.isArray(arrivals) || !arrivals.every((n) => Number.isFinite(n))) return undefined;
  const durationMs = Number(meta.duration_seconds) * 1000;
  return { arrivalsMs: arrivals as number[], durationMs: Number.isFinite(durationMs) ? durationMs : 0 };
}

/**
 * Due times at `speed` from arrival offsets. Without the recording's length, a cycle lasts
 * until its last request plus the mean gap between requests (1 s for a single request), so
 * the first request of the next cycle does not follow the last one at once.
 */
export function paceOf(arrivalsMs: readonly number[], speed: number, durationMs = 0): Pace {
  // Loops, not Math.min(...): a long recording has more requests than a call has arguments.
  let first = Infinity;
  for (const t of arrivalsMs) first = Math.min(first, t);
  const due = arrivalsMs.map((t) => t - first);
  let last = 0;
  for (const d of due) last = Math.max(last, d);
  const tail = due.length > 1 ? last / (due.length - 1) : 1000;
  const cycle = Math.max(durationMs, last + (durationMs > 0 ? 0 : tail));
  return { dueMs: due.map((d) => d / speed), cycleMs: cycle / speed };
}

/**
 * The earliest time (ms since the epoch, or the template's own origin) of every request
 * of encoded `bytes`, where `requests` holds how many resources each request has. Read
 * before times are made relative, which rebases every trace on its own start. A request
 * without any time is due with the one before it.
 */
export function requestTimesMs(signal: Signal, bytes: Uint8Array, requests?: readonly number[]): number[] {
  const perResource: number[] = [];
  const timeFields = signal === 'traces' ? [SPAN.start] : signal === 'logs' ? [LOG_RECORD.time, LOG_RECORD.observedTime] : [POINT.time];
  const wanted = new Set(timeFields.map((f) => tag(f, FIXED64)));
  const r = new WireReader(bytes);
  while (!r.done()) {
    const t = r.tag();
    if (t !== tag(RESOURCES, 2)) {
      r.skip(t & 7);
      continue;
    }
    const [s, e] = r.bytes();
    perResource.push(earliest(signal === 'metrics', wanted, bytes, s, e));
  }
  const out: number[] = [];
  let at = 0;
  for (const n of requests ?? [perResource.length]) {
    let min = Infinity;
    for (let k = 0; k < n; k++) min = Math.min(min, perResource[at++] ?? Infinity);
    out.push(Number.isFinite(min) ? min : out.length > 0 ? out[out.length - 1]! : 0);
  }
  return out;
}

const TWO32_NS_IN_MS = 4294967296 / 1e6;

/** Earliest nonzero time (`wanted` fixed64 tags) of the items under one resource: span start, log time (or observed), data point time. */
function earliest(metrics: boolean, wanted: ReadonlySet<number>, buf: Uint8Array, start: number, end: number): number {
  let min = Infinity;
  const fixedMs = (r: WireReader): number => {
    const p = r.advance(8);
    const lo = (buf[p]! | (buf[p + 1]! << 8) | (buf[p + 2]! << 16) | (buf[p + 3]! << 24)) >>> 0;
    const hi = (buf[p + 4]! | (buf[p + 5]! << 8) | (buf[p + 6]! << 16) | (buf[p + 7]! << 24)) >>> 0;
    return hi * TWO32_NS_IN_MS + lo / 1e6;
  };
  const note = (ms: number): void => {
    if (ms > 0 && ms < min) min = ms;
  };
  const item = (s: number, e: number): void => {
    const r = new WireReader(buf, s, e);
    while (!r.done()) {
      const t = r.tag();
      if (wanted.has(t)) note(fixedMs(r));
      else r.skip(t & 7);
    }
  };
  const metric = (s: number, e: number): void => {
    const r = new WireReader(buf, s, e);
    while (!r.done()) {
      const t = r.tag();
      if ((t & 7) === 2 && METRIC_DATA_BY_FIELD.has(t >>> 3)) {
        const [ds, de] = r.bytes();
        children(ds, de, DATA_POINTS, item);
      } else r.skip(t & 7);
    }
  };
  children(start, end, SCOPES, (s, e) => children(s, e, ITEMS, metrics ? metric : item));
  return min;

  function children(s: number, e: number, field: number, fn: (s: number, e: number) => void): void {
    const r = new WireReader(buf, s, e);
    while (!r.done()) {
      const t = r.tag();
      if (t === tag(field, 2)) {
        const [cs, ce] = r.bytes();
        fn(cs, ce);
      } else r.skip(t & 7);
    }
  }
}

/** The pace of a loaded template: recording.yaml's arrivals if they fit its requests, else its own times. */
export function templatePace(data: TemplateData, recorded: RecordedArrivals | undefined, speed: number): Pace {
  const n = data.requests?.length ?? 1;
  if (recorded && recorded.arrivalsMs.length === n) return paceOf(recorded.arrivalsMs, speed, recorded.durationMs);
  return paceOf(data.requestTimesMs ?? new Array<number>(n).fill(0), speed);
}
