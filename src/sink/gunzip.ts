import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';

const gunzipAsync = promisify(gunzip);
/** zlib's smallest output chunk. */
const MIN_CHUNK = 64;
/** deflate expands at most ~1032:1, so a trailer stating more is not believed (nor allocated). */
const MAX_RATIO = 1032;

/**
 * gunzip on zlib's thread pool in one pass. zlib's default 16 KiB output chunks make a
 * 3 MiB request ~200 round trips between the pool and the event loop plus a concat:
 * 2.5× the CPU of one chunk of the size the gzip trailer states (ISIZE, the length mod
 * 2^32 of the last member: only a hint, as output beyond it still grows the buffer).
 */
export function gunzipWhole(body: Buffer, maxOutputLength: number): Promise<Buffer> {
  const stated = body.length >= 18 ? body.readUInt32LE(body.length - 4) : 0;
  const chunkSize = Math.max(MIN_CHUNK, Math.min(stated, maxOutputLength, body.length * MAX_RATIO));
  return gunzipAsync(body, { maxOutputLength, chunkSize });
}
