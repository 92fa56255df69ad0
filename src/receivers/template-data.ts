import { requestType } from '../otlp/proto.js';
import { METRIC_DATA_KEYS, type Signal } from '../otlp/signals.js';

/**
 * A template ready to compile. Receivers produce it as wire bytes (`bytes`): an encoded
 * Export*ServiceRequest, checked, with every time a relative ns offset in its fixed64
 * field (absent = 0; or as recorded, see `absoluteTimes`) and `_template.*` attributes
 * applied and stripped. `compile` reads
 * only those bytes, so a template costs its encoded size, not a decoded object tree.
 *
 * Data built in memory (benchmarks, tests) may instead carry only `request`, a decoded
 * request (protobufjs shape) whose times are already relative; compile encodes it once.
 * To look at receiver data as objects, decode it explicitly with `decodeTemplate`.
 */
export interface TemplateData {
  signal: Signal;
  /** File name or generator name, for error messages. */
  source: string;
  bytes?: Buffer;
  request?: any;
  /**
   * Loaded for a pipeline without the timestamp processor (times kept as recorded) and
   * holding recorded, absolute times. Without it, times are relative offsets.
   */
  absoluteTimes?: boolean;
  /** What loading repaired or noticed (each a sentence, without the source): logged once per pipeline. */
  warnings?: string[];
  /**
   * A recording of several requests (length-prefixed records, JSON lines): how many of
   * `bytes`' resources each request holds, in order. Without batch_splitter compile makes
   * each request one frame, so a replay sends what was received. Absent: one request.
   */
  requests?: number[];
  /** Loaded with `requestTimes`: the earliest recorded time of each request (ms), read before times were made relative. */
  requestTimesMs?: number[];
  /**
   * The template receiver's `pace: recorded`: each request's due time within a cycle (one
   * entry per request, or one without `requests`) and the cycle's length, both in ms.
   */
  pace?: { dueMs: number[]; cycleMs: number };
}

const TIME_KEYS = ['startTimeUnixNano', 'endTimeUnixNano', 'timeUnixNano', 'observedTimeUnixNano'];

/**
 * Decodes normalized template bytes (protobufjs shape: camelCase keys, ids as
 * Uint8Array), for tests and tools; every time field (present or not) becomes a Number.
 * Costs a full decode: never on a hot path.
 */
export function decodeTemplate(signal: Signal, bytes: Buffer): any {
  const request = requestType(signal).decode(bytes) as any;
  const times = (msg: any, keys: string[]) => {
    for (const k of keys) msg[k] = Number(msg[k] ?? 0);
  };
  if (signal === 'traces') {
    for (const rs of request.resourceSpans) for (const ss of rs.scopeSpans) for (const span of ss.spans) {
      times(span, TIME_KEYS.slice(0, 2));
      for (const ev of span.events) times(ev, ['timeUnixNano']);
    }
  } else if (signal === 'logs') {
    for (const rl of request.resourceLogs) for (const sl of rl.scopeLogs) for (const log of sl.logRecords) times(log, TIME_KEYS.slice(2));
  } else {
    for (const rm of request.resourceMetrics) for (const sm of rm.scopeMetrics) for (const m of sm.metrics) {
      for (const kind of METRIC_DATA_KEYS) {
        for (const p of m[kind]?.dataPoints ?? []) {
          times(p, TIME_KEYS.slice(0, 1).concat('timeUnixNano'));
          for (const ex of p.exemplars ?? []) times(ex, ['timeUnixNano']);
        }
      }
    }
  }
  return request;
}
