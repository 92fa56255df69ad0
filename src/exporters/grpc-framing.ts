import type { Client } from '@grpc/grpc-js';
import { PREFIX_ROOM, withPrefixRoom } from '../otlp/wire/prefix-room.js';

interface FilterFactory {
  createFilter(): { sendMessage(message: Promise<unknown>): Promise<unknown> };
}

/**
 * Messages framed by the exporter (gzip ones too), each with grpc-js's prefix: a 1-byte
 * compressed flag and a 4-byte big-endian length. grpc-js frames each message itself, into
 * a fresh buffer of the message's size: for 3 MiB requests at hundreds of MB/s those
 * buffers (external memory) made the garbage collector the sender's largest cost, above
 * the copy itself. Here the channel's compression filter passes the message on as it is,
 * already framed: in place when the body has prefix room in front of it (compiled frames
 * and send buffers do: prefix-room.ts), otherwise copied behind a prefix into a buffer
 * that goes back to a pool once the endpoint has answered.
 *
 * grpc-js has no public way to change its filters, so `install` reaches into the channel's
 * filter stack (as the gzip frames of grpc-gzip-frames.ts do) and says whether that worked; otherwise the
 * exporter keeps sending plain messages (test/exporters/otlp-grpc.test.ts fails if a
 * grpc-js upgrade moves the filter stack).
 */
export class FramedMessages {
  readonly #free: Buffer[] = [];
  /** The pool's own buffers: a message framed in place is its body's, never the pool's. */
  readonly #pooled = new WeakSet<ArrayBufferLike>();
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

  /**
   * `body` behind a gRPC message prefix (flag 1 if `compressed`): in its prefix room, or
   * copied into a pooled buffer (see `recycle`). Either way the flag is written here, before
   * the call starts, so two exporters framing one body in place never see the other's.
   */
  frame(body: Uint8Array, compressed: boolean): Buffer {
    let framed = withPrefixRoom(body);
    if (!framed) {
      const length = body.byteLength + PREFIX_ROOM;
      const fits = this.#free.findIndex((b) => b.buffer.byteLength >= length);
      const buf = fits >= 0 ? this.#free.splice(fits, 1)[0]! : Buffer.allocUnsafeSlow(roundUp(length));
      this.#pooled.add(buf.buffer);
      framed = Buffer.from(buf.buffer, 0, length);
      framed.set(body, PREFIX_ROOM);
    }
    framed[0] = compressed ? 1 : 0;
    framed.writeUInt32BE(body.byteLength, 1);
    return framed;
  }

  /**
   * Takes back a buffer from `frame`, once a call that sent it was answered with success
   * on its first attempt (so the endpoint read all of it). A failed attempt may still have
   * bytes queued at its socket: then the buffer is left to the garbage collector. A message
   * framed in place is left alone: its body's owner releases it.
   */
  recycle(framed: Buffer): void {
    if (this.#pooled.has(framed.buffer) && this.#free.length < this.#maxIdle) this.#free.push(framed);
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
