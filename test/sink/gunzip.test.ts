import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { gunzipWhole } from '../../src/sink/gunzip.js';

const body = Buffer.from(Array.from({ length: 300_000 }, (_, i) => `span ${i % 977};`).join(''));

describe('gunzipWhole', () => {
  it('decodes a body in one chunk of the size its trailer states', async () => {
    expect((await gunzipWhole(gzipSync(body), 64 << 20)).equals(body)).toBe(true);
  });

  it('rejects a trailer whose size is wrong (zlib checks it: never a wrong body), and decodes several members in a row', async () => {
    for (const stated of [0, 100, 0xffffffff]) {
      const z = gzipSync(body);
      z.writeUInt32LE(stated, z.length - 4);
      // The trailer's size is checked by zlib after the data: a wrong one is an error, never a wrong body.
      await expect(gunzipWhole(z, 64 << 20)).rejects.toThrow(/incorrect length check/);
    }
    const two = Buffer.concat([gzipSync(body.subarray(0, 1000)), gzipSync(body.subarray(1000))]);
    expect((await gunzipWhole(two, 64 << 20)).equals(body)).toBe(true);
  });

  it('fails with ERR_BUFFER_TOO_LARGE past maxOutputLength', async () => {
    await expect(gunzipWhole(gzipSync(body), 1000)).rejects.toMatchObject({ code: 'ERR_BUFFER_TOO_LARGE' });
  });
});
