import { describe, expect, it } from 'vitest';
import { Http2Error } from '../../../src/errors.js';
import { H2_ERROR } from '../../../src/sink/http2/frames.js';
import { encodeHeaders, HpackDecoder } from '../../../src/sink/http2/hpack.js';
import { huffmanDecode } from '../../../src/sink/http2/huffman.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s/g, ''), 'hex');

/** A literal header field with incremental indexing and a new name, not Huffman-coded. */
function indexed(name: string, value: string): Buffer {
  return Buffer.concat([Buffer.from([0x40, name.length]), Buffer.from(name), Buffer.from([value.length]), Buffer.from(value)]);
}

function compressionError(f: () => unknown): Http2Error {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(Http2Error);
    expect((err as Http2Error).h2code).toBe(H2_ERROR.COMPRESSION_ERROR);
    return err as Http2Error;
  }
  throw new Error('expected a COMPRESSION_ERROR');
}

describe('HpackDecoder', () => {
  it('decodes the RFC 7541 C.4 requests (Huffman strings, the dynamic table carried from block to block)', () => {
    const d = new HpackDecoder();
    expect(d.decode(hex('8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff'))).toEqual([
      [':method', 'GET'], [':scheme', 'http'], [':path', '/'], [':authority', 'www.example.com'],
    ]);
    expect(d.decode(hex('8286 84be 5886 a8eb 1064 9cbf'))).toEqual([
      [':method', 'GET'], [':scheme', 'http'], [':path', '/'], [':authority', 'www.example.com'], ['cache-control', 'no-cache'],
    ]);
    expect(d.decode(hex('8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf'))).toEqual([
      [':method', 'GET'], [':scheme', 'https'], [':path', '/index.html'], [':authority', 'www.example.com'], ['custom-key', 'custom-value'],
    ]);
  });

  it('evicts the oldest entries when the table is full, and empties it on a size update to 0', () => {
    const d = new HpackDecoder(100);
    // Each entry is 1 + 30 + 32 = 63 octets: the second evicts the first.
    d.decode(indexed('a', 'x'.repeat(30)));
    d.decode(indexed('b', 'y'.repeat(30)));
    expect(d.decode(Buffer.from([0x80 | 62]))).toEqual([['b', 'y'.repeat(30)]]);
    compressionError(() => d.decode(Buffer.from([0x80 | 63])));
    d.decode(Buffer.from([0x20]));
    expect(compressionError(() => d.decode(Buffer.from([0x80 | 62]))).message).toMatch(/past the dynamic table's 0 entries/);
  });

  it('reads integers that run past their prefix', () => {
    const d = new HpackDecoder();
    const value = 'v'.repeat(300);
    // Literal without indexing, name from the static table (content-type, 31), value length 300 = 127 + 173.
    const block = Buffer.concat([Buffer.from([0x0f, 31 - 15, 0x7f, 173 - 128 + 128, 1]), Buffer.from(value)]);
    expect(d.decode(block)).toEqual([['content-type', value]]);
  });

  it.each([
    ['an index past both tables', Buffer.from([0x80 | 70]), /index 70 is past/],
    ['index 0', Buffer.from([0x80]), /index 0/],
    ['a string longer than the block', Buffer.from([0x00, 0x05, 0x61]), /ends inside a string/],
    ['a size update over the announced table size', Buffer.from([0x3f, 0xe2, 0x1f]), /dynamic table size 4097 is over the 4096 allowed/],
    ['a size update after a field', Buffer.from([0x82, 0x20]), /size update after a header field/],
    ['an integer that never ends', Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), /integer too large/],
  ])('refuses %s with a COMPRESSION_ERROR', (_, block, message) => {
    expect(compressionError(() => new HpackDecoder().decode(block)).message).toMatch(message);
  });

  it('reads back what encodeHeaders writes, lengths past 127 included', () => {
    const fields = [[':status', '200'], ['grpc-message', `a%20${'z'.repeat(500)}`], ['x-empty', '']] as const;
    expect(new HpackDecoder().decode(encodeHeaders(fields))).toEqual(fields);
  });
});

describe('huffmanDecode', () => {
  it('decodes RFC 7541 C.4.1\'s www.example.com', () => {
    expect(huffmanDecode(hex('f1e3 c2e5 f23a 6ba0 ab90 f4ff'))).toBe('www.example.com');
  });

  it('refuses padding longer than 7 bits or not all ones, and EOS inside the string', () => {
    // 'a' is 00011 (5 bits): padded with 111 it is one byte.
    expect(huffmanDecode(Buffer.from([0b00011111]))).toBe('a');
    compressionError(() => huffmanDecode(Buffer.from([0b00011011])));
    compressionError(() => huffmanDecode(Buffer.from([0b00011111, 0xff])));
    compressionError(() => huffmanDecode(Buffer.from([0xff, 0xff, 0xff, 0xff])));
  });
});
