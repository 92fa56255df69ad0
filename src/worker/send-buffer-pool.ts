import { allocWithPrefixRoom } from '../otlp/wire/prefix-room.js';

/**
 * Reusable send buffers of one size. A buffer goes back only after its request
 * completed: undici writes the caller's bytes straight to the socket and grpc-js
 * copies them only after an await, so reusing earlier would corrupt a send.
 * The pool holds at most as many buffers as requests can be in flight, so memory
 * is bounded by max_in_flight × frame size.
 */
export class SendBufferPool {
  readonly size: number;
  private readonly free: Buffer[] = [];

  constructor(size: number) {
    this.size = size;
  }

  get(): Buffer {
    // With room for a gRPC prefix in front (prefix-room.ts), as compiled frames have.
    return this.free.pop() ?? allocWithPrefixRoom(this.size);
  }

  put(buf: Buffer): void {
    if (buf.length === this.size) this.free.push(buf);
  }
}
