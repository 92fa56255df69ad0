import { describe, expect, it } from 'vitest';
import { WireError } from '../../../src/errors.js';
import { WireReader } from '../../../src/otlp/wire/reader.js';

describe('WireReader.len', () => {
  it('leaves pos at the payload and returns its end, for one- and two-byte lengths', () => {
    const long = Buffer.alloc(200, 7);
    const buf = Buffer.concat([Buffer.from([0x0a, 3, 1, 2, 3, 0x12, 0xc8, 0x01]), long]);
    const r = new WireReader(buf);
    expect(r.tag()).toBe(0x0a);
    expect(r.len()).toBe(5);
    expect(r.pos).toBe(2);
    r.pos = 5;
    expect(r.tag()).toBe(0x12);
    expect(r.len()).toBe(buf.length);
    expect(r.pos).toBe(8);
  });

  it('rejects a length past the end of a narrowed message, at the length byte', () => {
    const buf = Buffer.from([0x0a, 4, 0x12, 5, 1, 2, 3, 4, 5, 6]);
    const r = new WireReader(buf);
    r.tag();
    r.end = r.len();
    expect(r.tag()).toBe(0x12);
    expect(() => r.len()).toThrow(WireError);
    try {
      r.len();
    } catch (err) {
      expect((err as WireError).offset).toBe(3);
      expect((err as WireError).message).toContain('length 5 runs past the end of its message');
    }
  });

  it('bytes() and skip() agree with len()', () => {
    const buf = Buffer.from([0x0a, 2, 9, 9, 0x10, 0x96, 0x01]);
    const r = new WireReader(buf);
    r.tag();
    expect(r.bytes()).toEqual([2, 4]);
    expect(r.tag()).toBe(0x10);
    r.skip(0);
    expect(r.done()).toBe(true);
  });
});
