import { describe, expect, it } from 'vitest';
import { SentTraces } from '../../src/stamp/sent-traces.js';

describe('SentTraces', () => {
  it('has no cycle before the first is published, then the latest one, full uint32 words kept', () => {
    const buffer = SentTraces.buffer();
    const writer = new SentTraces(buffer);
    const reader = new SentTraces(buffer);
    expect(reader.latest()).toBeUndefined();
    writer.publish({ seed: [0xffffffff, 0x80000001], sender: 0x00020001, cycle: 4, idRegen: true });
    expect(reader.latest()).toEqual({ seed: [0xffffffff, 0x80000001], sender: 0x00020001, cycle: 4, idRegen: true });
    writer.publish({ seed: [1, 2], sender: 3, cycle: 0xfffffffe, idRegen: false });
    expect(reader.latest()).toEqual({ seed: [1, 2], sender: 3, cycle: 0xfffffffe, idRegen: false });
  });
});
