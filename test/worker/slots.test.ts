import { describe, expect, it } from 'vitest';
import { Slots } from '../../src/worker/slots.js';

describe('Slots', () => {
  it('admits up to size at once and hands a released slot to the next waiter', async () => {
    const s = new Slots(2);
    await s.acquire();
    await s.acquire();
    expect(s.inUse).toBe(2);
    let third = false;
    const p = s.acquire().then(() => (third = true));
    await new Promise((r) => setTimeout(r, 10));
    expect(third).toBe(false);
    s.release();
    await p;
    expect(third).toBe(true);
    expect(s.inUse).toBe(2);
    s.release();
    s.release();
    expect(s.inUse).toBe(0);
  });

  it('rejects a bad size', () => {
    expect(() => new Slots(0)).toThrow(RangeError);
  });
});
