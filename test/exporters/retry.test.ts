import { describe, expect, it } from 'vitest';
import { RetryPolicy, type Attempt } from '../../src/exporters/retry.js';
import { ExportError } from '../../src/errors.js';
import type { RetryConfig } from '../../src/exporters/exporter-config.js';

const base: RetryConfig = { enabled: true, initialIntervalMs: 20, maxIntervalMs: 60, maxElapsedTimeMs: 5000, multiplier: 2, randomizationFactor: 0 };
const unavailable = () => new ExportError('UNAVAILABLE', 'down', { retryable: true });

/** An attempt that fails `failures` times, recording when each attempt started. */
function flaky(failures: number, err: () => Error = unavailable) {
  const at: number[] = [];
  const attempt: Attempt = async () => {
    at.push(performance.now());
    if (at.length <= failures) throw err();
    return { rejected: 0, wireBytes: 10 };
  };
  return { attempt, at };
}

describe('RetryPolicy', () => {
  it('backs off exponentially and caps at max interval', async () => {
    const { attempt, at } = flaky(4);
    const out = await new RetryPolicy(base).run(attempt, undefined);
    expect(out).toMatchObject({ status: 'sent', rejected: 0, retries: 4 });
    const gaps = at.slice(1).map((t, i) => t - at[i]!);
    // 20, 40, then capped at 60, 60 (timers may fire ~1 ms early).
    expect(gaps[0]).toBeGreaterThanOrEqual(19);
    expect(gaps[1]).toBeGreaterThanOrEqual(39);
    expect(gaps[2]).toBeGreaterThanOrEqual(59);
    expect(gaps[3]).toBeGreaterThanOrEqual(59);
    expect(gaps[3]).toBeLessThan(120);
  });

  it('randomizes each delay within ±randomizationFactor', () => {
    const lo = new RetryPolicy({ ...base, randomizationFactor: 0.5 }, () => 0);
    const hi = new RetryPolicy({ ...base, randomizationFactor: 0.5 }, () => 0.999999);
    expect(lo.randomize(100)).toBe(50);
    expect(hi.randomize(100)).toBeCloseTo(150, 3);
    expect(new RetryPolicy(base).randomize(100)).toBe(100);
  });

  it('gives up when the next delay would pass max_elapsed_time', async () => {
    const { attempt, at } = flaky(100);
    const t0 = performance.now();
    const out = await new RetryPolicy({ ...base, maxElapsedTimeMs: 150 }).run(attempt, undefined);
    expect(out.status).toBe('failed');
    expect(out.code).toBe('UNAVAILABLE');
    expect(out.message).toMatch(/^down; gave up after \d+ attempts in \d+ms \(max_elapsed_time 150ms\)$/);
    // 20 + 40 + 60 = 120 fits; the next 60 would reach 180 > 150 (fewer if timers run late).
    expect(at.length).toBeGreaterThanOrEqual(2);
    expect(at.length).toBeLessThanOrEqual(4);
    expect(out.retries).toBe(at.length - 1);
    expect(performance.now() - t0).toBeLessThan(200);
  });

  it('gives up at max_elapsed_time: the last sleep is cut to the deadline and no attempt starts after it', async () => {
    const { attempt, at } = flaky(100);
    const t0 = performance.now();
    const out = await new RetryPolicy({ ...base, initialIntervalMs: 100, maxIntervalMs: 1000, maxElapsedTimeMs: 450 }).run(attempt, undefined);
    const took = performance.now() - t0;
    // Attempts at 0, 100 and 300 ms; the next delay (400 ms) would end at 700: it is cut to end at 450.
    expect(at).toHaveLength(3);
    expect(at.every((t) => t - t0 < 450)).toBe(true);
    expect(took).toBeGreaterThanOrEqual(449);
    expect(took).toBeLessThan(560);
    expect(out).toMatchObject({ status: 'failed', code: 'UNAVAILABLE', retries: 2 });
    expect(out.message).toMatch(/gave up after 3 attempts in \d+ms \(max_elapsed_time 450ms\)$/);
  });

  it('tells its caller about each failed attempt and each retry as they happen', async () => {
    const events: string[] = [];
    const attempt: Attempt = async () => {
      events.push('attempt');
      if (events.filter((e) => e === 'attempt').length <= 2) throw unavailable();
      return { rejected: 0, wireBytes: 10 };
    };
    const out = await new RetryPolicy(base).run(attempt, undefined, {
      onAttemptFailed: (err, n, delayMs) => events.push(`failed ${n} ${err.code} ${delayMs}`),
      onRetry: () => events.push('retry'),
    });
    expect(events).toEqual(['attempt', 'failed 1 UNAVAILABLE 20', 'retry', 'attempt', 'failed 2 UNAVAILABLE 40', 'retry', 'attempt']);
    expect(out).toMatchObject({ status: 'sent', retries: 2, wireBytes: 10 });
  });

  it('max_elapsed_time 0 never gives up', async () => {
    const { attempt, at } = flaky(6);
    const out = await new RetryPolicy({ ...base, initialIntervalMs: 1, maxIntervalMs: 2, maxElapsedTimeMs: 0 }).run(attempt, undefined);
    expect(out).toMatchObject({ status: 'sent', retries: 6 });
    expect(at).toHaveLength(7);
  });

  it('makes exactly one attempt when disabled', async () => {
    const { attempt, at } = flaky(1);
    const out = await new RetryPolicy({ ...base, enabled: false }).run(attempt, undefined);
    expect(out).toMatchObject({ status: 'failed', code: 'UNAVAILABLE', retries: 0, message: 'down' });
    expect(at).toHaveLength(1);
  });

  it('does not retry permanent errors', async () => {
    const { attempt, at } = flaky(1, () => new ExportError('INVALID_ARGUMENT', 'bad', { retryable: false }));
    expect(await new RetryPolicy(base).run(attempt, undefined)).toMatchObject({ status: 'failed', code: 'INVALID_ARGUMENT', retries: 0 });
    expect(at).toHaveLength(1);
  });

  it('a server-requested delay replaces the backoff delay', async () => {
    const { attempt, at } = flaky(1, () => new ExportError('HTTP_429', 'slow down', { retryable: true, retryAfterMs: 120 }));
    await new RetryPolicy(base).run(attempt, undefined);
    expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(119);
  });

  it('a server-requested delay shorter than the backoff is used as is', async () => {
    const { attempt, at } = flaky(1, () => new ExportError('HTTP_429', 'now', { retryable: true, retryAfterMs: 0 }));
    await new RetryPolicy({ ...base, initialIntervalMs: 500, maxIntervalMs: 500 }).run(attempt, undefined);
    expect(at[1]! - at[0]!).toBeLessThan(400);
  });

  it('abort while waiting stops retrying with ERR_EXPORT_ABORTED', async () => {
    const { attempt, at } = flaky(100);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 50);
    const out = await new RetryPolicy({ ...base, initialIntervalMs: 1000, maxIntervalMs: 1000 }).run(attempt, ac.signal);
    expect(out).toEqual({ status: 'failed', rejected: 0, retries: 0, wireBytes: 0, code: 'ERR_EXPORT_ABORTED', message: 'export aborted after 1 attempt; last error UNAVAILABLE: down' });
    expect(at).toHaveLength(1);
  });

  it('an already aborted signal makes no attempt', async () => {
    const { attempt, at } = flaky(0);
    const out = await new RetryPolicy(base).run(attempt, AbortSignal.abort());
    expect(out).toMatchObject({ code: 'ERR_EXPORT_ABORTED', message: 'export aborted' });
    expect(at).toHaveLength(0);
  });

  it('never rejects: an unexpected throw becomes a permanent failure', async () => {
    const out = await new RetryPolicy(base).run(async () => {
      throw new TypeError('boom');
    }, undefined);
    expect(out).toMatchObject({ status: 'failed', code: 'ERR_EXPORT_INTERNAL', message: 'boom' });
  });

  it('validates its config', () => {
    expect(() => new RetryPolicy({ ...base, initialIntervalMs: 0 })).toThrow(/initialIntervalMs/);
    expect(() => new RetryPolicy({ ...base, multiplier: 0.5 })).toThrow(/multiplier/);
    expect(() => new RetryPolicy({ ...base, randomizationFactor: 2 })).toThrow(/randomizationFactor/);
    expect(() => new RetryPolicy({ ...base, maxIntervalMs: 1 })).toThrow(/maxIntervalMs/);
  });
});
