import type { Client } from '@grpc/grpc-js';

/** grpc-js frames every message with a 1-byte compressed flag and a 4-byte big-endian length. */
export const GRPC_PREFIX = 5;

interface FilterFactory {
  createFilter(): { sendMessage(message: Promise<unknown>): Promise<unknown> };
}

/**
 * Messages framed by the exporter into reused buffers (gzip ones too: grpc-gzip-frames.ts
 * then sets their compressed flag). grpc-js frames each
 * message itself, into a fresh buffer of the message's size: for 3 MiB requests at
 * hundreds of MB/s those buffers (external memory) made the garbage collector the
 * sender's largest cost, above the copy itself. Here the channel's compression filter
 * passes the message on as it is, already framed, and framed buffers go back to a pool
 * once the endpoint has answered.
 *
 * grpc-js has no public way to change its filters, so `install` reaches into the channel's
 * filter stack (as the gzip frames of grpc-gzip-frames.ts do) and says whether that worked; otherwise the
 * exporter keeps sending plain messages (test/exporters/otlp-grpc.test.ts fails if a
 * grpc-js upgrade moves the filter stack).
 */
export class FramedMessages {
  readonly #free: Buffer[] = [];
  readonly #maxIdle: number;

  /** `maxIdle`: buffers kept for reuse (the requests that can be in flight). */
  constructor(maxIdle: number) {
    this.#maxIdle = maxIdle;
  }

  /**
   * Makes every client's channel send messages unframed by grpc-js, or none of them (then
   * false: this grpc-js has no such filter to change), so no channel is left expecting
   * framing the exporter does not do.
   */
  static install(clients: Client[]): boolean {
    const found = clients.map(compressionFilter);
    if (found.some((f) => f === undefined)) return false;
    for (const f of found) replace(f!.factories, f!.at);
    return true;
  }

  /** `body` behind a gRPC message prefix, in a pooled buffer (see `recycle`). */
  frame(body: Uint8Array): Buffer {
    const length = body.byteLength + GRPC_PREFIX;
    const fits = this.#free.findIndex((b) => b.buffer.byteLength >= length);
    const buf = fits >= 0 ? this.#free.splice(fits, 1)[0]! : Buffer.allocUnsafeSlow(roundUp(length));
    const framed = Buffer.from(buf.buffer, 0, length);
    framed[0] = 0;
    framed.writeUInt32BE(body.byteLength, 1);
    framed.set(body, GRPC_PREFIX);
    return framed;
  }

  /**
   * Takes back a buffer from `frame`, once a call that sent it was answered with success
   * on its first attempt (so the endpoint read all of it). A failed attempt may still have
   * bytes queued at its socket: then the buffer is left to the garbage collector.
   */
  recycle(framed: Buffer): void {
    if (this.#free.length < this.#maxIdle) this.#free.push(framed);
  }
}

/** Where the channel's compression filter factory is, if this grpc-js has it where we look. */
function compressionFilter(client: Client): { factories: unknown[]; at: number } | undefined {
  const channel = client.getChannel() as unknown as { internalChannel?: { filterStackFactory?: { factories?: unknown } } };
  const factories = channel.internalChannel?.filterStackFactory?.factories;
  if (!Array.isArray(factories)) return undefined;
  const at = factories.findIndex((f: object) => f.constructor.name === 'CompressionFilterFactory');
  return at < 0 ? undefined : { factories, at };
}

function replace(factories: unknown[], at: number): void {
  const compression = factories[at] as FilterFactory;
  // Headers, decompression of answers and the rest stay grpc-js's; only framing is skipped.
  factories[at] = {
    createFilter: () => {
      const filter = compression.createFilter();
      filter.sendMessage = (message) => message;
      return filter;
    },
  } satisfies FilterFactory;
}

/** Buffers grow in 256 KiB steps, so requests of slightly different sizes share them. */
function roundUp(n: number): number {
  const step = 256 * 1024;
  return Math.ceil(n / step) * step;
}
