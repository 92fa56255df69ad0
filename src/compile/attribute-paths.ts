import { WireError } from '../errors.js';
import type { WireReader } from '../otlp/wire/reader.js';
import type { Signal } from '../otlp/signals.js';

/**
 * Where the attribute lists of a request are, as a tree of length-delimited fields from
 * the Export*ServiceRequest down to the messages that hold them (Resource, Span,
 * LogRecord, the four data point kinds). The attribute rewriter and the digit site
 * finder walk only these fields and skip the rest whole.
 */

/** Which attribute lists: the Resources', or every item's (span, log record, metric data point). */
export type AttributeScope = 'resource' | 'item';

export interface PathNode {
  /** Per field number: the length-delimited child on the way to the targets. */
  readonly kids: readonly (PathNode | undefined)[];
  /** Raw tag of the repeated KeyValue attributes field when this is a target; 0 for containers. */
  readonly attrTag: number;
  /** Field number of a target child to create when the container has none (ResourceX.resource); 0 for none. */
  readonly create: number;
}

const target = (attrField: number): PathNode => ({ kids: [], attrTag: attrField * 8 + 2, create: 0 });
const node = (kids: Record<number, PathNode>, create = 0): PathNode => {
  const list: (PathNode | undefined)[] = [];
  for (const [no, kid] of Object.entries(kids)) list[+no] = kid;
  return { kids: list, attrTag: 0, create };
};

// Field numbers from opentelemetry/proto/{collector,trace,logs,metrics,resource}/v1/*.proto
const RESOURCE = target(1); // Resource.attributes = 1
const BY_RESOURCE = node({ 1: node({ 1: RESOURCE }, 1) }); // Request.resource_* = 1 → ResourceX.resource = 1

/** Request.resource_* = 1 → ResourceX.scope_* = 2 → ScopeX.<items> = 2 → item */
const items = (item: PathNode): PathNode => node({ 1: node({ 2: node({ 2: item }) }) });
const points = (attrField: number): PathNode => node({ 1: target(attrField) }); // <data>.data_points = 1

const BY_ITEM: Record<Signal, PathNode> = {
  traces: items(target(9)), // Span.attributes = 9
  logs: items(target(6)), // LogRecord.attributes = 6
  // Metric.gauge 5, sum 7 (NumberDataPoint.attributes = 7), histogram 9 (HistogramDataPoint 9),
  // exponential_histogram 10 (ExponentialHistogramDataPoint 1), summary 11 (SummaryDataPoint 7)
  metrics: items(node({ 5: points(7), 7: points(7), 9: points(9), 10: points(1), 11: points(7) })),
};

export function attributeTree(signal: Signal, scope: AttributeScope): PathNode {
  return scope === 'resource' ? BY_RESOURCE : BY_ITEM[signal];
}

/** The child of `n` for raw tag `t`, undefined for fields off the path; throws if a path field is not length-delimited. */
export function kidOf(n: PathNode, t: number, at: number): PathNode | undefined {
  if (t >= 128) return undefined; // every path field number is below 16
  const kid = n.kids[t >>> 3];
  if (kid && (t & 7) !== 2) throw new WireError(`field ${t >>> 3} has wire type ${t & 7}, expected 2 (length-delimited)`, at);
  return kid;
}

/** Throws unless raw tag `t` of a target's field is its attribute tag or another field. */
export function checkAttrTag(n: PathNode, t: number, at: number): void {
  if (t < 128 && t >>> 3 === n.attrTag >>> 3 && t !== n.attrTag) {
    throw new WireError(`field ${t >>> 3} has wire type ${t & 7}, expected 2 (length-delimited)`, at);
  }
}

/** Raw tags of KeyValue.key, KeyValue.value and AnyValue.string_value. */
const KV_KEY = 0x0a, KV_VALUE = 0x12, ANY_STRING = 0x0a;

/** What `readKeyValue` found: the last key's and value's payloads (as decoders read them); value −1 when absent. */
export const kv = { keyStart: 0, keyEnd: 0, valueStart: -1, valueEnd: -1 };

/** Reads the KeyValue in [r.pos, e) into `kv`; leaves r at e with r.end = e. */
export function readKeyValue(r: WireReader, e: number): void {
  r.end = e;
  kv.keyStart = kv.keyEnd = 0;
  kv.valueStart = kv.valueEnd = -1;
  while (r.pos < e) {
    const t = r.tag();
    if (t === KV_KEY) {
      kv.keyEnd = r.len();
      kv.keyStart = r.pos;
      r.pos = kv.keyEnd;
    } else if (t === KV_VALUE) {
      kv.valueEnd = r.len();
      kv.valueStart = r.pos;
      r.pos = kv.valueEnd;
    } else r.skip(t & 7);
  }
}

/** Index in `keys` of the key `readKeyValue` read, −1 for none. */
export function keyIndex(buf: Uint8Array, keys: readonly Uint8Array[]): number {
  const { keyStart, keyEnd } = kv;
  const n = keyEnd - keyStart;
  next: for (let k = 0; k < keys.length; k++) {
    const key = keys[k]!;
    if (key.length !== n) continue;
    for (let i = 0; i < n; i++) if (buf[keyStart + i] !== key[i]) continue next;
    return k;
  }
  return -1;
}

/** The [start, end) of the last string_value of the AnyValue in [start, end), or undefined; r is left anywhere. */
export function stringValue(r: WireReader, start: number, end: number): [number, number] | undefined {
  r.pos = start;
  r.end = end;
  let found: [number, number] | undefined;
  while (r.pos < end) {
    const t = r.tag();
    if (t === ANY_STRING) found = r.bytes();
    else r.skip(t & 7);
  }
  return found;
}
