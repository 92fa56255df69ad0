import { JsonShapeError, WireError } from '../errors.js';
import { ANY_VALUE, DATA_POINTS, FIXED64, ITEMS, KEY_VALUE, LEN, METRIC_DATA, RESOURCE, RESOURCE_ATTRIBUTES, RESOURCES, SCOPES, tag, VARINT } from '../otlp/wire/fields.js';
import { eachField, stringField, WireReader } from '../otlp/wire/reader.js';
import { METRIC_DATA_KEYS, type Signal } from '../otlp/signals.js';

/**
 * Counts events in an encoded Export*ServiceRequest by walking its envelope with
 * WireReader: items are skipped by their length prefix, never decoded, so counting a
 * 4 MiB request costs one pass over its tags and no allocation per event.
 *
 * Envelope: Request(1 resource_*) → Resource*(2 scope_*) → Scope*(2 items).
 * Metrics go one level deeper: Metric → gauge 5 / sum 7 / histogram 9 /
 * exponential_histogram 10 / summary 11 → data_points 1.
 */
export function countProto(signal: Signal, buf: Uint8Array): number {
  let events = 0;
  eachField(buf, 0, buf.length, 1, (rs, re) => {
    events += countResource(signal, buf, rs, re);
  });
  return events;
}

/** Events in one Resource* message whose payload is buf[start, end). */
export function countResource(signal: Signal, buf: Uint8Array, start: number, end: number): number {
  const leaf = signal === 'metrics' ? countMetricPoints : countOne;
  let events = 0;
  eachField(buf, start, end, 2, (ss, se) => {
    eachField(buf, ss, se, 2, (is, ie) => {
      events += leaf(buf, is, ie);
    });
  });
  return events;
}

const METRIC_DATA_FIELDS = new Set(METRIC_DATA.map((d) => d.field));

function countOne(): number {
  return 1;
}

/** Data points in one Metric message whose payload is buf[start, end). */
export function countMetricPoints(buf: Uint8Array, start: number, end: number): number {
  let points = 0;
  const r = new WireReader(buf, start, end);
  while (!r.done()) {
    const at = r.pos;
    const tag = r.tag();
    const field = tag >>> 3;
    if (!METRIC_DATA_FIELDS.has(field)) {
      r.skip(tag & 7);
      continue;
    }
    if ((tag & 7) !== LEN) throw new WireError(`field ${field} has wire type ${tag & 7}, expected 2 (length-delimited)`, at);
    const [ds, de] = r.bytes();
    eachField(buf, ds, de, DATA_POINTS, () => {
      points++;
    });
  }
  return points;
}


const JSON_KEYS: Record<Signal, [resource: string, scope: string, items: string]> = {
  traces: ['resourceSpans', 'scopeSpans', 'spans'],
  metrics: ['resourceMetrics', 'scopeMetrics', 'metrics'],
  logs: ['resourceLogs', 'scopeLogs', 'logRecords'],
};

/** A metric's data fields as OTLP/JSON and protobufjs name them; each holds `dataPoints`. */

/**
 * Counts events in a parsed OTLP/JSON request. Keys are lowerCamelCase only and
 * unknown keys are ignored, as the OTLP/HTTP spec requires of receivers.
 */
export function countJson(signal: Signal, body: unknown): number {
  const [rk, sk, ik] = JSON_KEYS[signal];
  let events = 0;
  const resources = list(object(body, '$'), rk, '$');
  resources.forEach((res, i) => {
    const rpath = `$.${rk}[${i}]`;
    list(object(res, rpath), sk, rpath).forEach((scope, j) => {
      const spath = `${rpath}.${sk}[${j}]`;
      const items = list(object(scope, spath), ik, spath);
      if (signal !== 'metrics') {
        events += items.length;
        return;
      }
      items.forEach((metric, k) => {
        const mpath = `${spath}.${ik}[${k}]`;
        const m = object(metric, mpath);
        for (const key of METRIC_DATA_KEYS) {
          if (m[key] !== undefined && m[key] !== null) events += list(object(m[key], `${mpath}.${key}`), 'dataPoints', `${mpath}.${key}`).length;
        }
      });
    });
  });
  return events;
}

function object(v: unknown, path: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new JsonShapeError(path, 'expected an object');
  return v as Record<string, unknown>;
}

function list(obj: Record<string, unknown>, key: string, path: string): unknown[] {
  const v = obj[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new JsonShapeError(`${path}.${key}`, 'expected an array');
  return v;
}

/**
 * Adds the events of an encoded request to `into`, keyed by the value of resource
 * attribute `key` ('' where a resource lacks it): `sink --count-by` tells apart the
 * replicas of a scaled-out run that tag their resources (e.g. with the resource processor).
 */
export function countProtoBy(signal: Signal, buf: Uint8Array, key: string, into: Map<string, number>): void {
  const leaf = signal === 'metrics' ? countMetricPoints : countOne;
  eachField(buf, 0, buf.length, RESOURCES, (rs, re) => {
    let value = '';
    let events = 0;
    const r = new WireReader(buf, rs, re);
    while (!r.done()) {
      const t = r.tag();
      if (t === tag(RESOURCE, LEN)) {
        const [s, e] = r.bytes();
        value = resourceAttribute(buf, s, e, key) ?? value;
      } else if (t === tag(SCOPES, LEN)) {
        const [s, e] = r.bytes();
        eachField(buf, s, e, ITEMS, (is, ie) => {
          events += leaf(buf, is, ie);
        });
      } else {
        r.skip(t & 7);
      }
    }
    into.set(value, (into.get(value) ?? 0) + events);
  });
}

/** The value of attribute `key` in an encoded Resource, as text; undefined without it. */
function resourceAttribute(buf: Uint8Array, start: number, end: number, key: string): string | undefined {
  let found: string | undefined;
  eachField(buf, start, end, RESOURCE_ATTRIBUTES, (s, e) => {
    if (found !== undefined || stringField(buf, s, e, KEY_VALUE.key) !== key) return;
    found = '';
    eachField(buf, s, e, KEY_VALUE.value, (vs, ve) => {
      found = anyValueText(buf, vs, ve);
    });
  });
  return found;
}

/** A scalar AnyValue as text (ints in decimal); '' for other kinds. */
function anyValueText(buf: Uint8Array, start: number, end: number): string {
  const r = new WireReader(buf, start, end);
  let out = '';
  while (!r.done()) {
    const t = r.tag();
    if (t === tag(ANY_VALUE.string, LEN)) {
      const [s, e] = r.bytes();
      out = Buffer.from(buf.buffer, buf.byteOffset + s, e - s).toString('utf8');
    } else if (t === tag(ANY_VALUE.int, VARINT)) {
      out = String(r.varint());
    } else if (t === tag(ANY_VALUE.bool, VARINT)) {
      out = String(r.varint() !== 0);
    } else if (t === tag(ANY_VALUE.double, FIXED64)) {
      out = String(Buffer.from(buf.buffer, buf.byteOffset + r.advance(8), 8).readDoubleLE(0));
    } else {
      r.skip(t & 7);
    }
  }
  return out;
}

/** countProtoBy for a parsed OTLP/JSON request. */
export function countJsonBy(signal: Signal, body: unknown, key: string, into: Map<string, number>): void {
  const [rk] = JSON_KEYS[signal];
  list(object(body, '$'), rk, '$').forEach((res, i) => {
    const rpath = `$.${rk}[${i}]`;
    const r = object(res, rpath);
    const attrs = r.resource === undefined || r.resource === null ? [] : list(object(r.resource, `${rpath}.resource`), 'attributes', `${rpath}.resource`);
    const kv = attrs.find((a) => typeof a === 'object' && a !== null && (a as Record<string, unknown>).key === key) as Record<string, unknown> | undefined;
    const v = (kv?.value ?? {}) as Record<string, unknown>;
    const scalar = v.stringValue ?? v.intValue ?? v.boolValue ?? v.doubleValue;
    const value = kv === undefined ? '' : scalar === undefined || scalar === null ? '' : String(scalar);
    into.set(value, (into.get(value) ?? 0) + countJson(signal, { [rk]: [res] }));
  });
}
