import type { Signal } from '../otlp/signals.js';
import type { Nanos, ProblemExample } from './verify.js';

/*
 * Ids and times as the verifier keeps and names them: a latin1 string per id as a map
 * key (no hex per span on the hot path), hex only when a problem is reported.
 */

export function isZero(id: Uint8Array): boolean {
  for (let i = 0; i < id.length; i++) if (id[i] !== 0) return false;
  return true;
}

export function big(t: Nanos): bigint {
  return (BigInt(t.hi) << 32n) | BigInt(t.lo);
}

/** Where a problem was found; ids are turned into hex only when there is a problem to report. */
export function ctx(signal: Signal, traceId: Uint8Array, spanId: Uint8Array): Omit<ProblemExample, 'message'> {
  if (signal === 'traces') return spanCtx(traceId, spanId);
  return { signal, traceId: hex(traceId) || undefined, spanId: hex(spanId) || undefined };
}

export function spanCtx(traceId: Uint8Array, spanId: Uint8Array): Omit<ProblemExample, 'message'> {
  return { signal: 'traces', traceId: hex(traceId), spanId: hex(spanId) };
}

export function key(id: Uint8Array): string {
  return Buffer.from(id.buffer, id.byteOffset, id.byteLength).toString('latin1');
}

export function hex(id: Uint8Array): string {
  return Buffer.from(id.buffer, id.byteOffset, id.byteLength).toString('hex');
}

export function hexKey(k: string): string {
  return Buffer.from(k, 'latin1').toString('hex');
}
