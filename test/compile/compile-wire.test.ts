import { describe, expect, it } from 'vitest';
import { WireError } from '../../src/errors.js';
import { requestType } from '../../src/otlp/proto.js';
import { compile } from '../../src/compile/compile.js';
import { Stamper } from '../../src/stamp/stamper.js';
import { parseTemplate } from '../../src/receivers/template.js';
import { data, id, traces } from './fixtures.js';

const ALL = { idRegen: true, timestamps: true, encodings: ['proto', 'json'] as ('proto' | 'json')[] };
const decode = (b: Buffer) => requestType('traces').decode(b).toJSON();

describe('compile on wire templates', () => {
  it('compiles receiver bytes exactly like the same request built in memory', () => {
    const mem = traces(3, 4);
    const wire = parseTemplate(requestType('traces').encode(mem.request).finish(), 'mem.pb', 'traces');
    expect(wire.bytes).toBeInstanceOf(Buffer);
    const a = compile([wire], { ...ALL, maxItems: 5 });
    const b = compile([mem], { ...ALL, maxItems: 5 });
    expect(a.frames.length).toBe(b.frames.length);
    a.frames.forEach((f, i) => {
      expect(f.proto!.bytes.equals(b.frames[i]!.proto!.bytes)).toBe(true);
      expect(f.json!.bytes.equals(b.frames[i]!.json!.bytes)).toBe(true);
      expect([...f.proto!.times]).toEqual([...b.frames[i]!.proto!.times]);
    });
  });

  it('writes time fields proto3 left out, so they are stamped too', () => {
    const tpl = data('traces', { resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: id(16, 1, 1), spanId: id(8, 1, 1), name: 'n', events: [{ name: 'e' }] }] }] }] });
    expect(JSON.stringify(decode(Buffer.from(requestType('traces').encode(tpl.request).finish())))).not.toContain('TimeUnixNano');
    const ct = compile([tpl], ALL);
    expect(ct.frames[0]!.proto!.times.length / 4).toBe(3);
    const st = new Stamper(ct, { seed: [1, 2], worker: 0, backdateMs: 0, now: () => 1_700_000_000_000 });
    st.newIds();
    const buf = Buffer.alloc(ct.maxFrameBytes);
    const span = (decode(buf.subarray(0, st.stamp(0, 'proto', buf))) as any).resourceSpans[0].scopeSpans[0].spans[0];
    expect([span.startTimeUnixNano, span.endTimeUnixNano, span.events[0].timeUnixNano]).toEqual(Array(3).fill('1700000000000000000'));
  });

  it('names the template of a bad id even when frames mix templates', () => {
    const bad = data('traces', { resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: id(16, 9, 9), spanId: new Uint8Array(5), name: 'x' }] }] }] }, 'second.json');
    expect(() => compile([traces(1, 2), bad], { ...ALL, maxItems: 100 })).toThrow(/second\.json: a span id is 5 bytes/);
  });

  it('finds id and time fields by structure, ignoring look-alike bytes in attributes', () => {
    // an attribute whose bytes spell a Span trace_id tag (0x0a 0x10) followed by 16 bytes
    const fake = Buffer.concat([Buffer.from([0x0a, 0x10]), Buffer.alloc(16, 7), Buffer.from([0x39]), Buffer.alloc(8, 1)]);
    const tpl = data('traces', { resourceSpans: [{ scopeSpans: [{ spans: [{
      traceId: id(16, 1, 0), spanId: id(8, 1, 0), startTimeUnixNano: 5, endTimeUnixNano: 6, name: 'n',
      attributes: [{ key: 'k', value: { bytesValue: fake } }], events: [{ timeUnixNano: 7 }], links: [{ traceId: id(16, 1, 2), spanId: id(8, 1, 2) }],
    }] }] }] });
    const f = compile([tpl], { ...ALL, encodings: ['proto'] }).frames[0]!.proto!;
    const at = (sites: Uint32Array, stride: number, len: number) =>
      Array.from({ length: sites.length / stride }, (_, k) => Buffer.from(f.bytes.subarray(sites[k * stride]!, sites[k * stride]! + len)));
    expect(at(f.traceIds, 2, 16)).toEqual([Buffer.from(id(16, 1, 0)), Buffer.from(id(16, 1, 2))]);
    expect(at(f.spanIds, 2, 8)).toEqual([Buffer.from(id(8, 1, 0)), Buffer.from(id(8, 1, 2))]);
    expect(at(f.times, 4, 8).map((b) => b.readUInt32LE(0)).sort()).toEqual([5, 6, 7]);
  });

  it('reports malformed bytes as WireError with an offset', () => {
    const bytes = Buffer.from([0x0a, 0x05, 0x12, 0x10, 0x00]);
    expect(() => compile([{ signal: 'logs', source: 'bad.pb', bytes }], ALL)).toThrow(WireError);
  });
});
