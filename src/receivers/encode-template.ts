import { TemplateError } from '../errors.js';
import { requestType } from '../otlp/proto.js';
import { METRIC_DATA_KEYS } from '../otlp/signals.js';
import type { TemplateData } from './template-data.js';

/**
 * The wire bytes of template data built in memory (`request` only): every time must
 * already be relative (a Number, Long or decimal string in [0, 2^53)), as a receiver
 * would have made it. Checked here because the encoder would turn -5 into 2^64 - 5.
 */
export function templateBytes(d: TemplateData): Buffer {
  const check = (v: unknown, what: string) => relative(v, what, d.source);
  const r = d.request;
  if (r === undefined) throw new TemplateError('has neither bytes nor a request', { file: d.source, code: 'ERR_TEMPLATE_EMPTY' });
  if (d.signal === 'traces') {
    for (const rs of r.resourceSpans ?? []) for (const ss of rs.scopeSpans ?? []) for (const s of ss.spans ?? []) {
      const name = `span ${JSON.stringify(s.name ?? '')}`;
      check(s.startTimeUnixNano, `${name} start`);
      check(s.endTimeUnixNano, `${name} end`);
      for (const e of s.events ?? []) check(e.timeUnixNano, `${name} event time`);
    }
  } else if (d.signal === 'logs') {
    for (const rl of r.resourceLogs ?? []) for (const sl of rl.scopeLogs ?? []) for (const l of sl.logRecords ?? []) {
      check(l.timeUnixNano, 'log record time');
      check(l.observedTimeUnixNano, 'log record observed time');
    }
  } else {
    for (const rm of r.resourceMetrics ?? []) for (const sm of rm.scopeMetrics ?? []) for (const m of sm.metrics ?? []) {
      const what = `metric ${JSON.stringify(m.name ?? '')}`;
      for (const kind of METRIC_DATA_KEYS) {
        for (const p of m[kind]?.dataPoints ?? []) {
          check(p.startTimeUnixNano, `${what} start`);
          check(p.timeUnixNano, `${what} time`);
          for (const e of p.exemplars ?? []) check(e.timeUnixNano, `${what} exemplar time`);
        }
      }
    }
  }
  const u8 = requestType(d.signal).encode(r).finish();
  return Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength);
}

function relative(value: unknown, what: string, source: string): void {
  if (value === undefined || value === null) return;
  let n = NaN;
  try {
    // Long (fixed64 from protobufjs) or a decimal string
    n = typeof value === 'object' || typeof value === 'string' ? Number(BigInt(String(value))) : Number(value);
  } catch {
    // not an integer: reported below
  }
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new TemplateError(`${what} ${String(value)} is not a relative time (integer ns in [0, 2^53))`, { file: source, code: 'ERR_TEMPLATE_TIME' });
  }
}
