import { describe, expect, it } from 'vitest';
import { WireError } from '../../src/errors.js';
import type { Signal } from '../../src/otlp/signals.js';
import { countProto } from '../../src/sink/counter.js';
import { StreamingCount } from '../../src/sink/streaming-count.js';
import { encode, logsRequest, METRICS_POINTS, metricsRequest, tracesRequest } from './fixtures.js';

/** Copies `body` into a fresh buffer `chunk` bytes at a time, advancing the count after each, as the gRPC reader does. */
function countInChunks(signal: Signal, body: Uint8Array, chunk: number): number {
  const into = Buffer.alloc(body.length);
  const count = new StreamingCount(signal, into);
  for (let at = 0; at < body.length; at += chunk) {
    into.set(body.subarray(at, at + chunk), at);
    count.advance(Math.min(body.length, at + chunk));
  }
  return count.finish();
}

/** Counts `body` from views of it `chunk` bytes long, copying nothing, as a sink that keeps no bodies does. */
function countWithoutCopy(signal: Signal, body: Uint8Array, chunk: number): number {
  const count = StreamingCount.withoutCopy(signal as 'traces' | 'logs', body.length);
  for (let at = 0; at < body.length; at += chunk) count.push(body.subarray(at, at + chunk));
  return count.finish();
}

/** What went wrong, or the count. */
function outcome(f: () => number): number | string {
  try {
    return f();
  } catch (err) {
    if (err instanceof WireError) return `${err.message}`;
    throw err;
  }
}

const REQUESTS: [Signal, Buffer, number][] = [
  ['traces', encode('traces', tracesRequest(7, 5)), 35],
  ['metrics', encode('metrics', metricsRequest()), METRICS_POINTS],
  ['logs', encode('logs', logsRequest(12)), 12],
];

describe('StreamingCount', () => {
  it('counts what countProto counts, whatever the chunks are', () => {
    for (const [signal, body, events] of REQUESTS) {
      for (const chunk of [1, 2, 3, 7, 64, 1000, body.length]) expect(countInChunks(signal, body, chunk), `${signal} in ${chunk}-byte chunks`).toBe(events);
    }
  });

  it('counts spans and log records without copying the request, whatever the chunks are', () => {
    for (const [signal, body, events] of REQUESTS.filter(([s]) => s !== 'metrics')) {
      for (const chunk of [1, 2, 3, 7, 64, 1000, body.length]) expect(countWithoutCopy(signal, body, chunk), `${signal} in ${chunk}-byte chunks`).toBe(events);
    }
  });

  it('refuses to finish a count without copy before all of the request has arrived', () => {
    const [, body] = REQUESTS[0]!;
    const count = StreamingCount.withoutCopy('traces', body.length);
    count.push(body.subarray(0, body.length - 1));
    expect(() => count.finish()).toThrow(`request ends after ${body.length - 1} of its ${body.length} bytes`);
  });

  it('counts an empty request as zero events', () => {
    expect(new StreamingCount('traces', Buffer.alloc(0)).finish()).toBe(0);
  });

  it('rejects every malformed request countProto rejects, with the same error', () => {
    for (const [signal, body] of REQUESTS) {
      const bad: Buffer[] = [
        body.subarray(0, body.length - 10),
        body.subarray(0, 3),
        Buffer.concat([body, Buffer.from([0x08])]), // a varint field cut short at the end
        Buffer.concat([body, Buffer.from([0x00, 0x01])]), // field number 0
        Buffer.concat([body, Buffer.from([0x0b])]), // wire type 3 (groups)
        Buffer.concat([Buffer.from([0x08, 0x01]), body]), // field 1 as a varint
        Buffer.concat([body, Buffer.from([0x11, 1, 2, 3])]), // fixed64 cut short
      ];
      // Every byte flipped in turn, in a shorter request, so each envelope position is hit.
      for (let i = 0; i < Math.min(body.length, 300); i++) {
        const b = Buffer.from(body);
        b[i] = b[i]! ^ 0x85;
        bad.push(b);
      }
      for (const b of bad) {
        const expected = outcome(() => countProto(signal, b));
        for (const chunk of [1, 5, b.length]) expect(outcome(() => countInChunks(signal, b, chunk))).toBe(expected);
        if (signal !== 'metrics') for (const chunk of [1, 5, b.length]) expect(outcome(() => countWithoutCopy(signal, b, chunk))).toBe(expected);
      }
      // At least the hand-made ones are errors: the comparison above is not only of counts.
      expect(typeof outcome(() => countProto(signal, bad[0]!))).toBe('string');
    }
  });
});
