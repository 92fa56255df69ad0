/**
 * gzip for both OTLP exporters. A body arrives either raw, and is compressed here once per
 * request (not per attempt) on zlib's thread pool, so requests in flight compress in
 * parallel off the stamping loop; or already gzipped by the pipeline (`GzippedBody`: the
 * stamped gzip of src/stamp/gzip-stamper.ts), and is sent as it is.
 */
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { ExportOutcome } from './exporter.js';

const gzipAsync = promisify(gzip);

/** A complete gzip member of a request body, compressed by the caller. */
export class GzippedBody {
  constructor(readonly bytes: Buffer) {}
}

export type RequestBody = Uint8Array | GzippedBody;

export function asBuffer(body: Uint8Array): Buffer {
  return Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}

/** The bytes to put on the wire: the body gzipped at `level`, or as it is when it already is. */
export async function gzipped(body: RequestBody, level: number): Promise<Buffer | ExportOutcome> {
  if (body instanceof GzippedBody) return body.bytes;
  try {
    return await gzipAsync(asBuffer(body), { level });
  } catch (err) {
    return { status: 'failed', rejected: 0, retries: 0, wireBytes: 0, code: 'ERR_EXPORT_COMPRESS', message: `gzip failed: ${(err as Error).message}` };
  }
}

/** A GzippedBody given to an exporter without compression is the caller's bug: it must not reach the wire as it is. */
export function rawBody(body: RequestBody, exporterId: string): Buffer | ExportOutcome {
  if (!(body instanceof GzippedBody)) return asBuffer(body);
  return { status: 'failed', rejected: 0, retries: 0, wireBytes: 0, code: 'ERR_EXPORT_INTERNAL', message: `exporter ${exporterId} has compression none but was given a gzipped body` };
}
