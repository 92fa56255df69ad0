/**
 * Room for a gRPC message prefix (1 flag byte, 4 length bytes) in front of a request's
 * bytes. Compiled frames and send buffers are allocated with it, so that the gRPC exporter
 * writes the prefix there and sends prefix and request as one buffer: without it, every
 * send copied its 1–4 MB behind a prefix (on gRPC the sender's largest copy, once frames
 * were stamped where they lie).
 *
 * A body owns its room when it starts PREFIX_ROOM bytes into an ArrayBuffer allocated here
 * (nothing else is ever placed in one): whoever may send the body may write the room. Two
 * gRPC exporters sending one body write the same prefix.
 */

export const PREFIX_ROOM = 5;

const allocated = new WeakSet<ArrayBufferLike>();

/** `length` bytes (uninitialised) with prefix room in front of them. */
export function allocWithPrefixRoom(length: number): Buffer<ArrayBuffer> {
  const whole = Buffer.allocUnsafeSlow(PREFIX_ROOM + length);
  allocated.add(whole.buffer);
  return whole.subarray(PREFIX_ROOM);
}

/** `body` with its prefix room in front (PREFIX_ROOM bytes longer, same memory), if it has one. */
export function withPrefixRoom(body: Uint8Array): Buffer | undefined {
  if (body.byteOffset !== PREFIX_ROOM || !allocated.has(body.buffer)) return undefined;
  return Buffer.from(body.buffer, 0, PREFIX_ROOM + body.byteLength);
}
