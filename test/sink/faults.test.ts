import { describe, expect, it } from 'vitest';
import { encodeStatus, type FailCode, FaultInjector } from '../../src/sink/faults.js';
import { decodeStatus } from './fixtures.js';

describe('FaultInjector', () => {
  it('fails about the configured fraction, the same requests for the same seed', () => {
    const draws = (seed: number) => {
      const f = new FaultInjector({ failRate: 0.1, seed });
      return Array.from({ length: 5000 }, () => f.shouldFail());
    };
    const a = draws(42);
    const failed = a.filter(Boolean).length;
    expect(failed).toBeGreaterThan(400);
    expect(failed).toBeLessThan(600);
    expect(draws(42)).toEqual(a);
    expect(draws(43)).not.toEqual(a);
  });

  it('never fails at rate 0 and always at rate 1', () => {
    const never = new FaultInjector({ failRate: 0 });
    const always = new FaultInjector({ failRate: 1 });
    for (let i = 0; i < 100; i++) {
      expect(never.shouldFail()).toBe(false);
      expect(always.shouldFail()).toBe(true);
    }
  });

  it('maps codes across transports', () => {
    const map = (failCode: FailCode) => {
      const f = new FaultInjector({ failCode });
      return [f.grpcCode, f.httpStatus];
    };
    expect(map('unavailable')).toEqual([14, 503]);
    expect(map('resource_exhausted')).toEqual([8, 429]);
    expect(map('invalid_argument')).toEqual([3, 400]);
    expect(map('429')).toEqual([8, 429]);
    expect(map('503')).toEqual([14, 503]);
  });

  it('rounds Retry-After up to whole seconds', () => {
    expect(new FaultInjector({ retryAfterMs: 1500 }).retryAfterSeconds).toBe(2);
    expect(new FaultInjector({}).retryAfterSeconds).toBeUndefined();
  });

  it('rejects out-of-range options with a clear message', () => {
    expect(() => new FaultInjector({ failRate: 1.5 })).toThrow('fail rate must be between 0 and 1');
    expect(() => new FaultInjector({ failCode: 'nope' as never })).toThrow('fail code must be one of');
    expect(() => new FaultInjector({ delayMs: -1 })).toThrow('delay must be a non-negative duration');
  });
});

describe('encodeStatus', () => {
  it('encodes code, message and a RetryInfo detail that decodes to the delay', () => {
    expect(decodeStatus(encodeStatus(14, 'busy', 2250))).toEqual({ code: 14, message: 'busy', retryDelayMs: 2250 });
  });

  it('omits the detail when no delay is given', () => {
    expect(decodeStatus(encodeStatus(3, 'bad'))).toEqual({ code: 3, message: 'bad', retryDelayMs: undefined });
  });
});
