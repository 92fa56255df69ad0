import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { countProto } from '../../src/sink/counter.js';
import { ReceiveBufferPool } from '../../src/sink/grpc-message.js';
import { gunzipRequest, gunzipRequestSync, type Inflated } from '../../src/sink/gunzip.js';
import { encode, tracesRequest } from './fixtures.js';

const text = Buffer.from(Array.from({ length: 300_000 }, (_, i) => `span ${i % 977};`).join(''));
/** ~1 MB of spans: many 64 KiB input slices, so the count advances over several inflated pieces. */
const traces = encode('traces', tracesRequest(2000, 5));

/** A pool that records what comes back to it. */
function recordingPool(): { pool: ReceiveBufferPool; given: ArrayBufferLike[]; taken: ArrayBufferLike[] } {
  const pool = new ReceiveBufferPool(64 << 20);
  const given: ArrayBufferLike[] = [];
  const taken: ArrayBufferLike[] = [];
  const give = pool.give.bind(pool);
  const take = pool.take.bind(pool);
  pool.give = (b) => {
    given.push(b.buffer);
    give(b);
  };
  pool.take = (n) => {
    const b = take(n);
    taken.push(b.buffer);
    return b;
  };
  return { pool, given, taken };
}

/** Both ways in: on zlib's thread pool (gRPC) and on this thread (HTTP/1.1); the same answers and errors. */
const WAYS: [string, (body: Buffer, max: number, pool: ReceiveBufferPool) => Promise<Inflated>][] = [
  ['gunzipRequest', (b, max, pool) => gunzipRequest(b, max, pool)],
  ['gunzipRequestSync', async (b, max, pool) => gunzipRequestSync(b, max, pool)],
];

describe.each(WAYS)('%s', (name, gunzip) => {
  it('inflates into a pooled buffer of the length the trailer states, and gives it back through recycle', async () => {
    const { pool, given, taken } = recordingPool();
    const out = await gunzip(gzipSync(text), 64 << 20, pool);
    expect(out.bytes.equals(text)).toBe(true);
    expect(taken).toHaveLength(1);
    // The result is a view of the pooled buffer itself: zlib wrote there, nothing was copied.
    expect(out.bytes.buffer).toBe(taken[0]);
    out.recycle!(out.bytes);
    expect(given).toEqual([taken[0]]);
  });

  it('decodes several members in a row (the trailer states only the last one\'s length), and gives the unused pooled buffer back', async () => {
    const { pool, given, taken } = recordingPool();
    const two = Buffer.concat([gzipSync(traces.subarray(0, 1000)), gzipSync(traces.subarray(1000))]);
    const out = await gunzip(two, 64 << 20, pool);
    expect(out.bytes.equals(traces)).toBe(true);
    expect(out.bytes.buffer).not.toBe(taken[0]);
    expect(given).toEqual(taken);
  });

  it('decodes a body whose trailer is not believed (too small, or past the limit) in chunks of its own', async () => {
    const small = Buffer.from('a short body');
    expect((await gunzip(gzipSync(small), 64 << 20, new ReceiveBufferPool(64 << 20))).bytes.equals(small)).toBe(true);
    expect((await gunzip(gzipSync(Buffer.alloc(0)), 64 << 20, new ReceiveBufferPool(64 << 20))).bytes.length).toBe(0);
  });

  it('rejects a trailer whose length is wrong (zlib checks it: never a wrong body)', async () => {
    for (const stated of [0, 100, 70_000, text.length - 1, 0xffffffff]) {
      const z = gzipSync(text);
      z.writeUInt32LE(stated, z.length - 4);
      await expect(gunzip(z, 64 << 20, new ReceiveBufferPool(64 << 20)), `stated ${stated}`).rejects.toThrow(/incorrect length check/);
    }
  });

  it('rejects a corrupted body with zlib\'s error, and the pooled buffer goes back', async () => {
    const { pool, given, taken } = recordingPool();
    const z = gzipSync(text);
    z[z.length - 8] ^= 0xff; // the CRC-32
    await expect(gunzip(z, 64 << 20, pool)).rejects.toThrow(/incorrect data check/);
    await expect(gunzip(Buffer.from('not gzip at all, not at all'), 64 << 20, pool)).rejects.toThrow(/incorrect header check/);
    if (name === 'gunzipRequestSync') expect(given).toEqual(taken);
  });

  it('fails with ERR_BUFFER_TOO_LARGE past maxOutputLength, whatever the trailer says', async () => {
    await expect(gunzip(gzipSync(text), 1000, new ReceiveBufferPool(64 << 20))).rejects.toMatchObject({ code: 'ERR_BUFFER_TOO_LARGE' });
    const lying = gzipSync(text);
    lying.writeUInt32LE(100_000, lying.length - 4);
    await expect(gunzip(lying, 200_000, new ReceiveBufferPool(64 << 20))).rejects.toMatchObject({ code: 'ERR_BUFFER_TOO_LARGE' });
  });
});

describe('gunzipRequest', () => {
  it('counts a protobuf request as it inflates it, as countProto counts it', async () => {
    const out = await gunzipRequest(gzipSync(traces, { level: 1 }), 64 << 20, new ReceiveBufferPool(64 << 20), 'traces');
    expect(out.bytes.equals(traces)).toBe(true);
    expect(out.count!.finish()).toBe(countProto('traces', traces));
    expect(out.count!.finish()).toBe(10_000);
  });

  it('leaves a request of several members to be counted afterwards', async () => {
    const two = Buffer.concat([gzipSync(traces.subarray(0, 1000)), gzipSync(traces.subarray(1000))]);
    const out = await gunzipRequest(two, 64 << 20, new ReceiveBufferPool(64 << 20), 'traces');
    expect(out.count).toBeUndefined();
  });
});
