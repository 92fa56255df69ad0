/**
 * batch_splitter: partitions requests into requests of at most `maxItems` events and
 * `maxBytes` encoded (protobuf) bytes. Events are spans, data points (all five kinds) or
 * log records. Whole traces stay together when they fit; a larger trace is split across
 * requests span by span (its ids are shared through the compiler's id groups). A metric
 * with many points becomes several Metric messages with the same name and metadata.
 * Resource and scope are repeated in every request that needs them.
 *
 * Byte sizes are computed on the objects that will be encoded (placeholders included),
 * with the worst-case 5-byte length prefix for every container, so an estimate never
 * undercounts: the encoded request is at most `maxBytes`.
 */
import type protobuf from 'protobufjs';
import { TemplateError } from '../errors.js';
import { otlpRoot } from '../otlp/proto.js';
import type { Signal } from '../otlp/signals.js';

export interface SplitLimits {
  /** Events per request; Infinity = no limit. */
  maxItems: number;
  /** Encoded bytes per request; Infinity = no limit. */
  maxBytes: number;
}

export interface SplitInput {
  request: any;
  source: string;
}

interface Shape {
  resources: string;
  scopes: string;
  items: string;
  resourceType: string;
  scopeType: string;
  itemType: string;
}

const SHAPES: Record<Signal, Shape> = {
  traces: {
    resources: 'resourceSpans', scopes: 'scopeSpans', items: 'spans', resourceType: 'opentelemetry.proto.trace.v1.ResourceSpans',
    scopeType: 'opentelemetry.proto.trace.v1.ScopeSpans', itemType: 'opentelemetry.proto.trace.v1.Span',
  },
  metrics: {
    resources: 'resourceMetrics', scopes: 'scopeMetrics', items: 'metrics', resourceType: 'opentelemetry.proto.metrics.v1.ResourceMetrics',
    scopeType: 'opentelemetry.proto.metrics.v1.ScopeMetrics', itemType: 'opentelemetry.proto.metrics.v1.Metric',
  },
  logs: {
    resources: 'resourceLogs', scopes: 'scopeLogs', items: 'logRecords', resourceType: 'opentelemetry.proto.logs.v1.ResourceLogs',
    scopeType: 'opentelemetry.proto.logs.v1.ScopeLogs', itemType: 'opentelemetry.proto.logs.v1.LogRecord',
  },
};

/** The Metric oneof members that carry data points, with their point message types. */
export const METRIC_DATA: Record<string, string> = {
  gauge: 'opentelemetry.proto.metrics.v1.NumberDataPoint',
  sum: 'opentelemetry.proto.metrics.v1.NumberDataPoint',
  histogram: 'opentelemetry.proto.metrics.v1.HistogramDataPoint',
  exponentialHistogram: 'opentelemetry.proto.metrics.v1.ExponentialHistogramDataPoint',
  summary: 'opentelemetry.proto.metrics.v1.SummaryDataPoint',
};

/** The data member set on a Metric (`gauge`, `sum`, …), or undefined for a metric without data. */
export function metricDataKey(metric: any): string | undefined {
  for (const k in METRIC_DATA) if (metric[k] != null) return k;
  return undefined;
}

/** Events in one request: spans, data points or log records. */
export function countEvents(signal: Signal, request: any): number {
  const sh = SHAPES[signal];
  let n = 0;
  for (const rs of request[sh.resources] ?? []) {
    for (const ss of rs[sh.scopes] ?? []) {
      for (const item of ss[sh.items] ?? []) {
        if (signal !== 'metrics') n++;
        else {
          const k = metricDataKey(item);
          n += k === undefined ? 0 : (item[k].dataPoints?.length ?? 0);
        }
      }
    }
  }
  return n;
}

/** One event with where it lives; r/s/m index containers across all inputs. */
interface Leaf {
  r: number;
  s: number;
  m: number;
  item: any;
  bytes: number;
}

const PREFIX = 6; // tag + worst-case 5-byte length varint

function varintLen(n: number): number {
  let len = 1;
  while (n >= 128) {
    n = Math.floor(n / 128);
    len++;
  }
  return len;
}

/** Splits `inputs` into requests within `limits`; the inputs are not modified. */
export function splitRequests(signal: Signal, inputs: SplitInput[], limits: SplitLimits): any[] {
  const sh = SHAPES[signal];
  const root = otlpRoot();
  const size = (type: string, obj: unknown): number => root.lookupType(type).encode(obj as protobuf.Message).finish().length;
  const resources: any[] = [];
  const scopes: any[] = [];
  const metrics: any[] = [];
  const headerBytes: number[][] = [[], [], []]; // per resource, scope, metric
  const chunks: Leaf[][] = [];
  const traceChunk = new Map<string, Leaf[]>();

  for (const { request, source } of inputs) {
    for (const rs of request[sh.resources] ?? []) {
      const r = resources.push(rs) - 1;
      headerBytes[0]![r] = size(sh.resourceType, { ...rs, [sh.scopes]: [] }) + PREFIX;
      for (const ss of rs[sh.scopes] ?? []) {
        const s = scopes.push(ss) - 1;
        headerBytes[1]![s] = size(sh.scopeType, { ...ss, [sh.items]: [] }) + PREFIX;
        for (const item of ss[sh.items] ?? []) {
          if (signal === 'metrics') {
            const k = metricDataKey(item);
            if (k === undefined) continue;
            const m = metrics.push(item) - 1;
            headerBytes[2]![m] = size(sh.itemType, { ...item, [k]: { ...item[k], dataPoints: [] } }) + 2 * PREFIX;
            for (const p of item[k].dataPoints ?? []) {
              chunks.push([leaf(r, s, m, p, size(METRIC_DATA[k]!, p), limits, source)]);
            }
            continue;
          }
          const l = leaf(r, s, -1, item, size(sh.itemType, item), limits, source);
          if (signal === 'logs') {
            chunks.push([l]);
            continue;
          }
          const key = Buffer.from(item.traceId ?? []).toString('hex');
          let chunk = traceChunk.get(key);
          if (!chunk) {
            chunk = [];
            traceChunk.set(key, chunk);
            chunks.push(chunk);
          }
          chunk.push(l);
        }
      }
    }
  }

  const packer = new Packer(headerBytes, limits);
  for (const chunk of chunks) packer.addChunk(chunk, inputs);
  return packer.finish().map((leaves) => build(signal, leaves, resources, scopes, metrics));
}

function leaf(r: number, s: number, m: number, item: any, bytes: number, limits: SplitLimits, source: string): Leaf {
  if (bytes + PREFIX >= limits.maxBytes) {
    throw new TemplateError(`one ${m < 0 ? 'item' : 'data point'} encodes to ${bytes} bytes, more than batch_splitter max_bytes ${limits.maxBytes}`, {
      file: source, code: 'ERR_TEMPLATE_ITEM_TOO_LARGE',
    });
  }
  return { r, s, m, item, bytes: bytes + 1 + varintLen(bytes) };
}

/** Greedy packing in input order; a request's cost counts each container header once. */
class Packer {
  private readonly done: Leaf[][] = [];
  private cur: Leaf[] = [];
  private bytes = 0;
  private readonly seen: Set<number>[] = [new Set(), new Set(), new Set()];

  constructor(private readonly headerBytes: number[][], private readonly limits: SplitLimits) {}

  private cost(l: Leaf, extra: Set<number>[] = this.seen): number {
    let c = l.bytes;
    if (!extra[0]!.has(l.r)) c += this.headerBytes[0]![l.r]!;
    if (!extra[1]!.has(l.s)) c += this.headerBytes[1]![l.s]!;
    if (l.m >= 0 && !extra[2]!.has(l.m)) c += this.headerBytes[2]![l.m]!;
    return c;
  }

  private add(l: Leaf): void {
    this.bytes += this.cost(l);
    this.seen[0]!.add(l.r);
    this.seen[1]!.add(l.s);
    if (l.m >= 0) this.seen[2]!.add(l.m);
    this.cur.push(l);
  }

  private flush(): void {
    if (this.cur.length === 0) return;
    this.done.push(this.cur);
    this.cur = [];
    this.bytes = 0;
    for (const s of this.seen) s.clear();
  }

  /** Cost of a whole chunk on top of the current request (headers shared within the chunk). */
  private chunkCost(chunk: Leaf[]): number {
    const seen = this.seen.map((s) => new Set(s));
    let c = 0;
    for (const l of chunk) {
      c += this.cost(l, seen);
      seen[0]!.add(l.r);
      seen[1]!.add(l.s);
      if (l.m >= 0) seen[2]!.add(l.m);
    }
    return c;
  }

  private fits(items: number, bytes: number): boolean {
    return this.cur.length + items <= this.limits.maxItems && this.bytes + bytes <= this.limits.maxBytes;
  }

  addChunk(chunk: Leaf[], inputs: SplitInput[]): void {
    if (this.fits(chunk.length, this.chunkCost(chunk))) {
      for (const l of chunk) this.add(l);
      return;
    }
    this.flush();
    if (this.fits(chunk.length, this.chunkCost(chunk))) {
      for (const l of chunk) this.add(l);
      return;
    }
    // A trace larger than one request: split it, keeping input order.
    for (const l of chunk) {
      if (!this.fits(1, this.cost(l))) this.flush();
      if (!this.fits(1, this.cost(l))) {
        throw new TemplateError(`an item with its resource and scope does not fit batch_splitter max_bytes ${this.limits.maxBytes}`, {
          file: inputs.length === 1 ? inputs[0]!.source : undefined, code: 'ERR_TEMPLATE_ITEM_TOO_LARGE',
        });
      }
      this.add(l);
    }
  }

  finish(): Leaf[][] {
    this.flush();
    return this.done;
  }
}

/** Rebuilds one request from its leaves: shallow copies of containers, resources in first-seen order. */
function build(signal: Signal, leaves: Leaf[], resources: any[], scopes: any[], metrics: any[]): any {
  const sh = SHAPES[signal];
  const rOut = new Map<number, any>();
  const sOut = new Map<number, any>();
  const mOut = new Map<number, any[]>();
  const out: any[] = [];
  for (const l of leaves) {
    let rs = rOut.get(l.r);
    if (!rs) {
      rs = { ...resources[l.r], [sh.scopes]: [] };
      rOut.set(l.r, rs);
      out.push(rs);
    }
    let ss = sOut.get(l.s);
    if (!ss) {
      ss = { ...scopes[l.s], [sh.items]: [] };
      sOut.set(l.s, ss);
      rs[sh.scopes].push(ss);
    }
    if (l.m < 0) {
      ss[sh.items].push(l.item);
      continue;
    }
    let points = mOut.get(l.m);
    if (!points) {
      const metric = metrics[l.m];
      const k = metricDataKey(metric)!;
      points = [];
      mOut.set(l.m, points);
      ss[sh.items].push({ ...metric, [k]: { ...metric[k], dataPoints: points } });
    }
    points.push(l.item);
  }
  return { [sh.resources]: out };
}
