import { JsonShapeError, WireError } from '../errors.js';
import { DATA_POINTS, LEN, METRIC_DATA } from '../otlp/wire/fields.js';
import { eachField, WireReader } from '../otlp/wire/reader.js';
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

function countMetricPoints(buf: Uint8Array, start: number, end: number): number {
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
