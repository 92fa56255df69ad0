import type { Signal } from '../otlp/signals.js';
import { ITEMS, SCOPES } from '../otlp/wire/fields.js';
import { read32 } from '../otlp/wire/id-table.js';
import { eachField } from '../otlp/wire/reader.js';
import { resourceServiceName } from '../otlp/wire/resource-service.js';

/** What every signal's statistics share: resources, services, events, the time covered. */
export abstract class SignalStats {
  abstract readonly signal: Signal;
  resources = 0;
  events = 0;
  /** Events per service name ("unknown_service" for resources without one). */
  readonly services = new Map<string, number>();
  /** Earliest and latest non-zero time, in ms since the epoch. */
  firstMs = Infinity;
  lastMs = -Infinity;

  /** One Resource* message, payload buf[start, end). */
  resource(buf: Uint8Array, start: number, end: number): void {
    this.resources++;
    const before = this.events;
    eachField(buf, start, end, SCOPES, (ss, se) => {
      eachField(buf, ss, se, ITEMS, (is, ie) => this.item(buf, is, ie, start, end));
    });
    const name = resourceServiceName(buf, start, end) ?? 'unknown_service';
    this.services.set(name, (this.services.get(name) ?? 0) + this.events - before);
  }

  /** One span, metric or log record; [rs, re) is its resource's payload. */
  protected abstract item(buf: Uint8Array, start: number, end: number, rs: number, re: number): void;

  /** Notes the fixed64 time at buf[at] in the time covered. */
  protected time(buf: Uint8Array, at: number): void {
    const hi = read32(buf, at + 4), lo = read32(buf, at);
    if (hi === 0 && lo === 0) return;
    const ms = hi * (TWO32 / 1e6) + lo / 1e6;
    if (ms < this.firstMs) this.firstMs = ms;
    if (ms > this.lastMs) this.lastMs = ms;
  }

  /** Signal-specific figures and problems, for the report. */
  abstract details(): { figures: Record<string, unknown>; problems: Record<string, number> };
}

export const TWO32 = 4294967296;

/** p50, p99 and max of `values` (sorted in place). */
export function spread(values: Float64Array): { p50: number; p99: number; max: number } {
  if (values.length === 0) return { p50: 0, p99: 0, max: 0 };
  values.sort();
  const at = (q: number) => values[Math.min(values.length - 1, Math.ceil(q * values.length) - 1)]!;
  return { p50: at(0.5), p99: at(0.99), max: values[values.length - 1]! };
}

/** A Float64Array that grows. */
export class F64List {
  data = new Float64Array(1024);
  length = 0;

  /** Makes index `i` valid, filling new slots with `fill`. */
  ensure(i: number, fill: number): void {
    if (i < this.length) return;
    if (i >= this.data.length) {
      let cap = this.data.length;
      while (cap <= i) cap *= 2;
      const grown = new Float64Array(cap);
      grown.set(this.data.subarray(0, this.length));
      this.data = grown;
    }
    this.data.fill(fill, this.length, i + 1);
    this.length = i + 1;
  }

  values(): Float64Array {
    return this.data.subarray(0, this.length);
  }
}
