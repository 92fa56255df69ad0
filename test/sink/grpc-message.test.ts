import { describe, expect, it } from 'vitest';
import { ReceiveBufferPool, MessageReader, percentEncode } from '../../src/sink/grpc-message.js';
import { encode, METRICS_POINTS, metricsRequest, tracesRequest } from './fixtures.js';

function framed(message: Buffer, compressed = false): Buffer {
  const prefix = Buffer.alloc(5);
  prefix[0] = compressed ? 1 : 0;
  prefix.writeUInt32BE(message.length, 1);
  return Buffer.concat([prefix, message]);
}

/** Feeds `bytes` in chunks of `size`, as DATA frames would arrive. */
function read(bytes: Buffer, size: number, max = 1 << 20, pool = new ReceiveBufferPool(1 << 24)): MessageReader {
  const r = new MessageReader(max, pool);
  for (let i = 0; i < bytes.length; i += size) r.push(bytes.subarray(i, i + size));
  return r;
}

describe('MessageReader', () => {
  const message = Buffer.from(Array.from({ length: 100_000 }, (_, i) => i % 251));

  it.each([1, 3, 5, 7, 16_384, 200_000])('reassembles one message from %i-byte chunks', (size) => {
    const r = read(framed(message), size);
    expect(r.declaredLength).toBe(message.length);
    expect(r.compressed).toBe(false);
    const out = r.finish();
    expect('message' in out && out.message.equals(message)).toBe(true);
  });

  it('reports the compressed flag', () => {
    expect(read(framed(Buffer.from('abc'), true), 2).compressed).toBe(true);
  });

  it('accepts an empty message', () => {
    expect(read(framed(Buffer.alloc(0)), 5).finish()).toEqual({ message: Buffer.alloc(0), length: 0 });
  });

  it('counts an uncompressed span message as it arrives without keeping it, when nothing needs it after', () => {
    const spans = encode('traces', tracesRequest(20, 5));
    for (const size of [1, 7, 16_384]) {
      const pool = new ReceiveBufferPool(1 << 24);
      const r = new MessageReader(1 << 20, pool, 'traces', false);
      const bytes = framed(spans);
      for (let i = 0; i < bytes.length; i += size) r.push(bytes.subarray(i, i + size));
      const out = r.finish();
      if (!('message' in out)) throw new Error(out.problem);
      expect(out.message.length).toBe(0);
      expect(out.length).toBe(spans.length);
      expect(out.count!.finish()).toBe(100);
    }
  });

  it('keeps a metrics message and a compressed one even when nothing else needs them: they are counted whole', () => {
    const metrics = encode('metrics', metricsRequest());
    const m = new MessageReader(1 << 20, new ReceiveBufferPool(1 << 24), 'metrics', false);
    m.push(framed(metrics));
    const out = m.finish();
    expect('message' in out && out.message.equals(metrics) && out.count!.finish()).toBe(METRICS_POINTS);
    const z = new MessageReader(1 << 20, new ReceiveBufferPool(1 << 24), 'traces', false);
    z.push(framed(Buffer.from('not really gzip'), true));
    const zout = z.finish();
    expect('message' in zout && zout.message.toString()).toBe('not really gzip');
  });

  it('names what is wrong with a body that is not exactly one message', () => {
    expect(read(Buffer.alloc(0), 1).finish()).toEqual({ problem: 'request has no message' });
    expect(read(Buffer.from([0, 0, 0]), 1).finish()).toEqual({ problem: 'request ends inside the 5-byte message prefix (3 bytes)' });
    expect(read(framed(message).subarray(0, 1005), 100).finish()).toEqual({ problem: `request ends after 1000 of the ${message.length} message bytes its prefix announced` });
    expect(read(Buffer.concat([framed(message), framed(Buffer.from('xy'))]), 4096).finish()).toEqual({ problem: 'unary call carries 7 bytes after its one message' });
  });

  it('flags a declared length above the limit before allocating it', () => {
    const prefix = Buffer.from([0, 0xff, 0xff, 0xff, 0xff]);
    const r = read(prefix, 5, 1024);
    expect(r.tooLarge).toBe(true);
    expect(r.declaredLength).toBe(0xffffffff);
  });
});

describe('ReceiveBufferPool', () => {
  it('hands a returned buffer out again for a request of the same size class', () => {
    const pool = new ReceiveBufferPool(1 << 24);
    const a = pool.take(3_000_000);
    expect(a.length).toBe(3_000_000);
    expect(a.buffer.byteLength).toBe(4 * 1024 * 1024);
    pool.give(a);
    const b = pool.take(2_500_000);
    expect(b.length).toBe(2_500_000);
    expect(b.buffer).toBe(a.buffer);
    // Taken, so no longer idle: the next one is new.
    expect(pool.take(2_500_000).buffer).not.toBe(a.buffer);
  });

  it('keeps no more idle bytes than its limit', () => {
    const pool = new ReceiveBufferPool(4 * 1024 * 1024);
    const a = pool.take(3_000_000);
    const b = pool.take(3_000_000);
    pool.give(a);
    pool.give(b);
    expect(pool.take(3_000_000).buffer).toBe(a.buffer);
    expect(pool.take(3_000_000).buffer).not.toBe(b.buffer);
  });
});

describe('percentEncode', () => {
  it('leaves printable ASCII alone and encodes %, control characters and UTF-8 bytes', () => {
    expect(percentEncode('malformed protobuf: field 3 at byte 17')).toBe('malformed protobuf: field 3 at byte 17');
    expect(percentEncode('50% done\nnext')).toBe('50%25 done%0Anext');
    expect(percentEncode('café')).toBe('caf%C3%A9');
    expect(decodeURIComponent(percentEncode('ünïcode % ok'))).toBe('ünïcode % ok');
  });
});
