import { describe, expect, it } from 'vitest';
import { Http2Error } from '../../../src/errors.js';
import { FrameReader, type FrameSink } from '../../../src/sink/http2/frame-reader.js';
import { FLAG, FRAME, PREFACE, frame, settingsFrame } from '../../../src/sink/http2/frames.js';

/** What the reader handed on, with DATA payloads put back together. */
function record(): { sink: FrameSink; events: string[] } {
  const events: string[] = [];
  let data: Buffer[] = [];
  let dataHead = '';
  return {
    events,
    sink: {
      preface: () => events.push('preface'),
      notHttp2: () => events.push('not http2'),
      frame: (type, flags, id, payload) => events.push(`${type}/${flags}/${id}:${payload.toString('hex')}`),
      dataStart: (id, flags, length) => {
        dataHead = `${FRAME.DATA}/${flags}/${id}`;
        data = [];
        expect(length).toBeGreaterThan(0);
      },
      dataPart: (part, last) => {
        data.push(Buffer.from(part));
        if (last) events.push(`${dataHead}:${Buffer.concat(data).toString('hex')}`);
      },
    },
  };
}

const BYTES = Buffer.concat([
  PREFACE,
  settingsFrame([[4, 1 << 20]]),
  frame(FRAME.HEADERS, FLAG.END_HEADERS, 1, Buffer.from([0x82, 0x84])),
  frame(FRAME.DATA, 0, 1, Buffer.from('a'.repeat(300))),
  frame(FRAME.PING, 0, 0, Buffer.alloc(8, 7)),
  frame(FRAME.DATA, FLAG.END_STREAM, 1, Buffer.from('tail')),
]);

describe('FrameReader', () => {
  it('hands on the same frames however the reads cut the bytes, DATA payloads in parts where they lie', () => {
    const whole = record();
    new FrameReader(whole.sink).push(BYTES);
    expect(whole.events).toHaveLength(6);
    for (const size of [1, 2, 7, 9, 10, 33, 100]) {
      const cut = record();
      const reader = new FrameReader(cut.sink);
      for (let at = 0; at < BYTES.length; at += size) reader.push(BYTES.subarray(at, at + size));
      expect(cut.events, `reads of ${size} bytes`).toEqual(whole.events);
    }
  });

  it('stops at the first bytes that are not the HTTP/2 preface', () => {
    const r = record();
    const reader = new FrameReader(r.sink);
    reader.push(Buffer.from('POST /v1/traces HTTP/1.1\r\n\r\n'));
    reader.push(BYTES);
    expect(r.events).toEqual(['not http2']);
  });

  it('refuses a frame longer than 16 KiB before reading its payload', () => {
    const reader = new FrameReader(record().sink);
    const header = frame(FRAME.DATA, 0, 1).subarray(0, 9);
    header.writeUIntBE(16385, 0, 3);
    expect(() => reader.push(Buffer.concat([PREFACE, header]))).toThrow(Http2Error);
  });
});
