import { describe, expect, it } from 'vitest';
import { allocWithPrefixRoom, PREFIX_ROOM, withPrefixRoom } from '../../../src/otlp/wire/prefix-room.js';

describe('prefix room', () => {
  it('gives a body allocated with room its room in front: the same memory, PREFIX_ROOM bytes longer', () => {
    const body = allocWithPrefixRoom(1000).fill(7);
    const framed = withPrefixRoom(body)!;
    expect(framed.length).toBe(PREFIX_ROOM + 1000);
    expect(framed.buffer).toBe(body.buffer);
    framed[0] = 9;
    framed[PREFIX_ROOM] = 8;
    expect(body[0]).toBe(8);
    // A request shorter than its buffer (a pooled send buffer) keeps the room.
    expect(withPrefixRoom(body.subarray(0, 10))!.length).toBe(PREFIX_ROOM + 10);
  });

  it('finds none where the bytes in front may be somebody else\'s', () => {
    const body = allocWithPrefixRoom(1000);
    expect(withPrefixRoom(body.subarray(1))).toBeUndefined();
    expect(withPrefixRoom(Buffer.alloc(1000).subarray(PREFIX_ROOM))).toBeUndefined();
    // Node's shared pool of small buffers: other Buffers sit in front.
    expect(withPrefixRoom(Buffer.from('a small body'))).toBeUndefined();
    expect(withPrefixRoom(new Uint8Array(new ArrayBuffer(100), PREFIX_ROOM, 10))).toBeUndefined();
  });
});
