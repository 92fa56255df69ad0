import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { WireWriter } from '../../src/generator/wire-writer.js';
import { WireReader } from '../../src/otlp/wire/reader.js';

/** protobufjs's own writer is the reference for every primitive. */
function ref(fn: (w: protobuf.Writer) => void): Buffer {
  const w = protobuf.Writer.create();
  fn(w);
  return Buffer.from(w.finish());
}

describe('WireWriter', () => {
  it('writes varints like protobufjs, from 0 to 2^53 and negative int64', () => {
    for (const n of [0, 1, 127, 128, 300, 16_383, 16_384, 2 ** 31 - 1, 2 ** 31, 2 ** 32 + 5, 1e14, Number.MAX_SAFE_INTEGER, -1, -300]) {
      const w = new WireWriter(4);
      w.varint(n);
      expect(Buffer.from(w.view()).toString('hex'), String(n)).toBe(ref((r) => r.int64(n)).toString('hex'));
    }
  });

  it('writes fixed64, fixed32 and doubles little-endian', () => {
    const w = new WireWriter(1);
    w.fixed64(2 ** 40 + 7);
    w.fixed32(0xdeadbeef);
    w.double(-0.1);
    expect(Buffer.from(w.view()).toString('hex')).toBe(ref((r) => r.fixed64(2 ** 40 + 7).fixed32(0xdeadbeef).double(-0.1)).toString('hex'));
  });

  it('writes strings of every length class, ASCII or not, with the right length prefix', () => {
    for (const s of ['', 'a', 'ä', 'é'.repeat(42), 'x'.repeat(42), 'x'.repeat(43), '€'.repeat(43), 'ü'.repeat(5000), 'ok 👍 done']) {
      const w = new WireWriter(2);
      w.string(s);
      expect(Buffer.from(w.view()).equals(ref((r) => r.string(s))), JSON.stringify(s.slice(0, 10)) + s.length).toBe(true);
    }
  });

  it('nests messages of any size: short bodies keep one length byte, long ones are moved', () => {
    const w = new WireWriter(8);
    const outer = w.begin(2);
    const small = w.begin(1);
    w.string('abc');
    w.end(small);
    const big = w.begin(3);
    w.raw(new Uint8Array(20_000).fill(7));
    w.end(big);
    w.end(outer);
    const bytes = w.copy();
    const r = new WireReader(bytes);
    expect(r.tag()).toBe((2 << 3) | 2);
    const [s, e] = r.bytes();
    expect(e).toBe(bytes.length);
    const inner = new WireReader(bytes, s, e);
    expect(inner.tag()).toBe((1 << 3) | 2);
    const [a, b] = inner.bytes();
    expect(Buffer.from(bytes.subarray(a + 1, b)).toString()).toBe('abc');
    expect(inner.tag()).toBe((3 << 3) | 2);
    const [c, d] = inner.bytes();
    expect(d - c).toBe(20_000);
    expect(bytes.subarray(c, d).every((x) => x === 7)).toBe(true);
    expect(inner.done()).toBe(true);
  });

  it('copy() does not share memory with the writer', () => {
    const w = new WireWriter(4);
    w.raw(new Uint8Array([1, 2, 3]));
    const c = w.copy();
    w.reset();
    w.raw(new Uint8Array([9, 9, 9]));
    expect([...c]).toEqual([1, 2, 3]);
  });
});
