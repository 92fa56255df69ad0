import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { WireError } from '../../../src/errors.js';
import type { ConfigProblem } from '../../../src/errors.js';
import { parseGeneratorConfig } from '../../../src/generator/config.js';
import { writeDataset } from '../../../src/generator/writer.js';
import { encodeOtlpJson } from '../../../src/otlp/json-encode.js';
import { requestType } from '../../../src/otlp/proto.js';
import { SIGNALS, type Signal } from '../../../src/otlp/signals.js';
import { SITE_TRACE_ID } from '../../../src/otlp/wire/fields.js';
import { type JsonSiteSink, wireToJson } from '../../../src/otlp/wire/json.js';
import { mulberry32 } from '../../../src/mulberry32.js';

/** What the protobufjs path wrote for the same bytes: the reference. A Buffer, as frames are, decodes strings with Node's UTF-8 decoder. */
function reference(signal: Signal, bytes: Uint8Array, fixedWidthTimes = false): string {
  return encodeOtlpJson(signal, requestType(signal).decode(Buffer.from(bytes)), { fixedWidthTimes });
}

function encode(signal: Signal, obj: object): Uint8Array {
  return requestType(signal).encode(requestType(signal).fromObject(obj)).finish();
}


const STRINGS = ['', 'plain', 'ünïcødé ✓', '日本語', '🚀 emoji', 'quote " backslash \\ slash /', 'ctl \u0000\u0001\b\t\n\f\r\u001f\u007f', 'line\u2028sep\u2029', 'é'.repeat(40)];
const DOUBLES = [0, -0, 1.5, -2.25e-300, 1e21, 123456789.125, Number.MAX_VALUE, Number.MIN_VALUE, NaN, Infinity, -Infinity];
const LONGS = ['0', '1', '-1', '9007199254740993', '-9223372036854775808', '9223372036854775807', '4294967296'];
const ULONGS = ['0', '7', '18446744073709551615', '9007199254740993', '4294967295'];

/**
 * Random requests. `oddTimes` adds what fixed-width JSON writes differently: times of 20 digits
 * (it throws) and zero times (it writes them, they are stamp sites; encodeOtlpJson leaves them out).
 */
function cases(rand: () => number, oddTimes = false) {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const bytes = (n: number) => Uint8Array.from({ length: n }, () => Math.floor(rand() * 256));
  const anyValue = (depth: number): object => {
    switch (Math.floor(rand() * (depth > 2 ? 5 : 7))) {
      case 0: return { stringValue: pick(STRINGS) };
      case 1: return { boolValue: rand() < 0.5 };
      case 2: return { intValue: pick(LONGS) };
      case 3: return { doubleValue: pick(DOUBLES) };
      case 4: return { bytesValue: bytes(Math.floor(rand() * 5)) };
      case 5: return { arrayValue: { values: Array.from({ length: Math.floor(rand() * 3) }, () => anyValue(depth + 1)) } };
      default: return { kvlistValue: { values: attrs(depth + 1) } };
    }
  };
  const attrs = (depth = 0) => Array.from({ length: Math.floor(rand() * 4) }, () => ({ key: pick(STRINGS), value: anyValue(depth) }));
  const time = () => (oddTimes && rand() < 0.2 ? 0 : pick(['1', '1732700000123456789', oddTimes ? '18446744073709551615' : '9999999999999999999', String(Math.floor(rand() * 1e15))]));
  const resource = () => (rand() < 0.2 ? {} : {
    resource: {
      attributes: attrs(), droppedAttributesCount: pick([0, 3]),
      entityRefs: rand() < 0.3 ? [{ schemaUrl: 'u', type: 'service', idKeys: ['service.name', ''], descriptionKeys: [] }] : [],
    },
    schemaUrl: pick(STRINGS),
  });
  const scope = () => ({ scope: { name: pick(STRINGS), version: pick(['', '1.0']), attributes: attrs(), droppedAttributesCount: pick([0, 1]) }, schemaUrl: pick(['', 'https://x']) });
  const exemplars = () => Array.from({ length: Math.floor(rand() * 3) }, () => ({
    filteredAttributes: attrs(), timeUnixNano: time(), spanId: rand() < 0.7 ? bytes(8) : [], traceId: rand() < 0.7 ? bytes(16) : [],
    ...(rand() < 0.5 ? { asDouble: pick(DOUBLES) } : { asInt: pick(LONGS) }),
  }));
  const pointBase = () => ({ attributes: attrs(), startTimeUnixNano: time(), timeUnixNano: time(), flags: pick([0, 1]) });
  const numberPoint = () => ({ ...pointBase(), exemplars: exemplars(), ...(rand() < 0.5 ? { asDouble: pick(DOUBLES) } : { asInt: pick(LONGS) }) });
  const optional = (name: string) => (rand() < 0.5 ? { [name]: pick(DOUBLES) } : {});
  const temporality = () => pick([0, 1, 2]);
  const metric = () => {
    const head = { name: pick(STRINGS), description: pick(STRINGS), unit: pick(['', 'ms', 'By']), metadata: rand() < 0.3 ? attrs() : [] };
    const points = <T>(f: () => T) => Array.from({ length: 1 + Math.floor(rand() * 3) }, f);
    switch (Math.floor(rand() * 5)) {
      case 0: return { ...head, gauge: { dataPoints: points(numberPoint) } };
      case 1: return { ...head, sum: { dataPoints: points(numberPoint), aggregationTemporality: temporality(), isMonotonic: rand() < 0.5 } };
      case 2: return { ...head, histogram: { aggregationTemporality: temporality(), dataPoints: points(() => ({
        ...pointBase(), count: pick(ULONGS), ...optional('sum'), ...optional('min'), ...optional('max'), exemplars: exemplars(),
        bucketCounts: Array.from({ length: Math.floor(rand() * 4) }, () => pick(ULONGS)), explicitBounds: Array.from({ length: Math.floor(rand() * 3) }, () => pick(DOUBLES)),
      })) } };
      case 3: return { ...head, exponentialHistogram: { aggregationTemporality: temporality(), dataPoints: points(() => ({
        ...pointBase(), count: pick(ULONGS), ...optional('sum'), ...optional('min'), ...optional('max'), exemplars: exemplars(),
        scale: pick([0, -3, 20]), zeroCount: pick(ULONGS), zeroThreshold: pick(DOUBLES),
        positive: { offset: pick([0, -5, 7]), bucketCounts: [pick(ULONGS), '0', '3'] }, ...(rand() < 0.5 ? { negative: { offset: -1, bucketCounts: [] } } : {}),
      })) } };
      default: return { ...head, summary: { dataPoints: points(() => ({
        ...pointBase(), count: pick(ULONGS), sum: pick(DOUBLES),
        quantileValues: [{ quantile: 0, value: pick(DOUBLES) }, { quantile: 0.99, value: pick(DOUBLES) }],
      })) } };
    }
  };
  const span = () => ({
    traceId: bytes(16), spanId: bytes(8), traceState: pick(['', 'k=v']), parentSpanId: rand() < 0.4 ? [] : bytes(8), flags: pick([0, 1, 0xffffffff]),
    name: pick(STRINGS), kind: pick([0, 1, 2, 5]), startTimeUnixNano: time(), endTimeUnixNano: time(), attributes: attrs(), droppedAttributesCount: pick([0, 2]),
    events: Array.from({ length: Math.floor(rand() * 3) }, () => ({ timeUnixNano: time(), name: pick(STRINGS), attributes: attrs(), droppedAttributesCount: pick([0, 9]) })),
    droppedEventsCount: pick([0, 1]),
    links: Array.from({ length: Math.floor(rand() * 3) }, () => ({ traceId: bytes(16), spanId: bytes(8), traceState: pick(['', 'a=b']), attributes: attrs(), droppedAttributesCount: 0, flags: pick([0, 256]) })),
    droppedLinksCount: pick([0, 4]),
    ...(rand() < 0.7 ? { status: { message: pick(STRINGS), code: pick([0, 1, 2]) } } : {}),
  });
  const log = () => ({
    timeUnixNano: time(), observedTimeUnixNano: time(), severityNumber: pick([0, 9, 17, 24]), severityText: pick(['', 'INFO']),
    ...(rand() < 0.8 ? { body: anyValue(0) } : {}), attributes: attrs(), droppedAttributesCount: pick([0, 1]), flags: pick([0, 1]),
    traceId: rand() < 0.5 ? bytes(16) : [], spanId: rand() < 0.5 ? bytes(8) : [], eventName: pick(['', 'exception']),
  });
  const list = <T>(n: number, f: () => T) => Array.from({ length: n }, f);
  return {
    traces: { resourceSpans: list(3, () => ({ ...resource(), scopeSpans: list(2, () => ({ ...scope(), spans: list(4, span) })) })) },
    metrics: { resourceMetrics: list(3, () => ({ ...resource(), scopeMetrics: list(2, () => ({ ...scope(), metrics: list(6, metric) })) })) },
    logs: { resourceLogs: list(3, () => ({ ...resource(), scopeLogs: list(2, () => ({ ...scope(), logRecords: list(5, log) })) })) },
  } satisfies Record<Signal, object>;
}

// Hand-built wire bytes for encodings protobufjs never writes itself.
const tagOf = (field: number, wire: number): number[] => varint(field * 8 + wire);
function varint(n: number | bigint): number[] {
  let v = BigInt.asUintN(64, BigInt(n));
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}
const len = (field: number, body: number[]): number[] => [...tagOf(field, 2), ...varint(body.length), ...body];
const fixed64 = (field: number, v: bigint): number[] => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(v);
  return [...tagOf(field, 1), ...b];
};
const str = (field: number, s: string | number[]): number[] => len(field, typeof s === 'string' ? [...Buffer.from(s)] : s);
/** request → resource entry → scope entry → items */
const wrap = (...items: number[][]): Uint8Array => Uint8Array.from(len(1, len(2, items.flatMap((i) => len(2, i)))));

describe('wireToJson', () => {
  it('writes what encodeOtlpJson writes for the protobufjs decoding, for random requests of every signal', () => {
    const rand = mulberry32(20250101);
    for (let round = 0; round < 15; round++) {
      const odd = round % 2 === 0;
      const all = cases(rand, odd);
      for (const signal of Object.keys(SIGNALS) as Signal[]) {
        const bytes = encode(signal, all[signal]);
        const json = wireToJson(signal, bytes).toString('utf8');
        expect(json).toBe(reference(signal, bytes));
        JSON.parse(json);
        if (!odd) expect(wireToJson(signal, bytes, { fixedWidthTimes: true }).toString('utf8')).toBe(reference(signal, bytes, true));
      }
    }
  });

  describe('on the generator\'s templates', () => {
    const dir = mkdtempSync(join(tmpdir(), 'replayd-wire-json-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('matches encodeOtlpJson for all three signals', async () => {
      const problems: ConfigProblem[] = [];
      const cfg = parseGeneratorConfig({
        seed: 9, output: { directory: dir, prefix: 'g' },
        traces: { count: 20 },
        metrics: { metric_count: 25, timeseries_per_metric: { min: 1, max: 3, default: 2 } },
        logs: { count: 200, correlate: true },
      }, join(dir, 'gen.yaml'), problems);
      expect(problems).toEqual([]);
      await writeDataset(cfg, { outDir: dir, json: false, threads: 1 });
      for (const signal of Object.keys(SIGNALS) as Signal[]) {
        const bytes = readFileSync(join(dir, `g-${signal}.pb`));
        expect(bytes.length).toBeGreaterThan(1000);
        expect(wireToJson(signal, bytes).toString('utf8')).toBe(reference(signal, bytes));
      }
    });
  });

  it('reads the wire as protobufjs does: packed and unpacked, last value wins, unknown fields dropped, 10-byte negative enums', () => {
    const point = [
      ...tagOf(6, 1), ...Buffer.alloc(8, 1), // bucketCounts unpacked …
      ...len(6, [...Buffer.alloc(16, 2)]), // … and packed, in one list
      ...len(7, []), // an empty packed run adds nothing
      ...fixed64(4, 5n), ...fixed64(4, 6n), // count twice: the last wins
      ...tagOf(99, 0), ...varint(1), // unknown
      ...tagOf(10, 0), ...varint(-1), // flags (uint32) from a 10-byte varint: low 32 bits
    ];
    const metric = [...str(1, 'h'), ...len(9, [...len(1, point), ...tagOf(2, 0), ...varint(-2)])];
    const bytes = wrap(metric);
    const out = JSON.parse(wireToJson('metrics', bytes).toString());
    expect(wireToJson('metrics', bytes).toString()).toBe(reference('metrics', bytes));
    const h = out.resourceMetrics[0].scopeMetrics[0].metrics[0].histogram;
    expect(h.aggregationTemporality).toBe(-2);
    expect(h.dataPoints[0]).toEqual({ count: '6', bucketCounts: ['72340172838076673', '144680345676153346', '144680345676153346'], flags: 4294967295 });
  });

  it('writes invalid UTF-8 with the replacement characters protobufjs decodes it to', () => {
    const bytes = wrap([...len(1, Buffer.alloc(16, 1) as unknown as number[]), ...str(5, [0x61, 0xff, 0xed, 0xa0, 0x80, 0x22, 0xc3])]);
    const json = wireToJson('traces', bytes).toString();
    expect(json).toBe(reference('traces', bytes));
    expect(JSON.parse(json).resourceSpans[0].scopeSpans[0].spans[0].name).toBe('a\ufffd\ufffd\ufffd\ufffd"\ufffd');
  });

  it('reports every id and time at the byte it is written, with the source offset of its value', () => {
    const rand = mulberry32(7);
    for (const signal of Object.keys(SIGNALS) as Signal[]) {
      const bytes = encode(signal, cases(rand)[signal]);
      const ids: [number, number, string][] = [];
      const times: [number, number][] = [];
      const sites: JsonSiteSink = {
        id: (kind, at, src, srcAt, n) => ids.push([kind, at, Buffer.from(src.subarray(srcAt, srcAt + n)).toString('hex')]),
        time: (at, srcAt) => times.push([at, srcAt]),
      };
      const out = wireToJson(signal, bytes, { fixedWidthTimes: true, sites });
      const src = Buffer.from(bytes);
      for (const [kind, at, hex] of ids) {
        expect(out.toString('latin1', at - 1, at + hex.length + 1)).toBe(`"${hex}"`);
        expect(hex.length).toBe(kind === SITE_TRACE_ID ? 32 : 16);
      }
      for (const [at, srcAt] of times) {
        expect(out.toString('latin1', at - 1, at + 20)).toBe(`"${src.readBigUInt64LE(srcAt).toString().padStart(19, '0')}"`);
        expect([0x09, 0x11, 0x19, 0x39, 0x41, 0x59].includes(src[srcAt - 1]!)).toBe(true); // a fixed64 time tag precedes it
      }
      // every hex id and every time in the output was reported
      const text = out.toString('latin1');
      expect(ids.length).toBe([...text.matchAll(/"(traceId|spanId|parentSpanId)":"/g)].length);
      expect(times.length).toBe([...text.matchAll(/"(timeUnixNano|startTimeUnixNano|endTimeUnixNano|observedTimeUnixNano)":"/g)].length);
      expect(times.length).toBeGreaterThan(10);
      expect(ids.length).toBeGreaterThan(signal === 'metrics' ? 1 : 10);
    }
  });

  it('reports every AnyValue string value at the byte after its content, with its source range, and writes the same bytes', () => {
    const rand = mulberry32(11);
    for (const signal of Object.keys(SIGNALS) as Signal[]) {
      const bytes = encode(signal, cases(rand)[signal]);
      const strings: [number, number, number][] = [];
      const sites: JsonSiteSink = { id: () => {}, time: () => {}, string: (at, srcAt, n) => strings.push([at, srcAt, n]) };
      const out = wireToJson(signal, bytes, { fixedWidthTimes: true, sites });
      expect(out.equals(wireToJson(signal, bytes, { fixedWidthTimes: true }))).toBe(true);
      // in output order, as JSON.parse meets them: every stringValue and only those
      const values: string[] = [];
      const walk = (v: unknown): void => {
        if (Array.isArray(v)) v.forEach(walk);
        else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) k === 'stringValue' ? values.push(x as string) : walk(x);
      };
      walk(JSON.parse(out.toString('utf8')));
      expect(strings.length).toBe(values.length);
      expect(strings.length).toBeGreaterThan(10);
      strings.forEach(([at, srcAt, n], i) => {
        const text = Buffer.from(bytes.subarray(srcAt, srcAt + n)).toString('utf8');
        expect(text).toBe(values[i]);
        expect(out[at]).toBe(0x22);
        expect(out.subarray(0, at).toString('utf8').endsWith(`"stringValue":${JSON.stringify(text).slice(0, -1)}`)).toBe(true);
      });
    }
  });

  it('writes zero times in fixed width (they are stamp sites) and leaves them out otherwise', () => {
    const bytes = wrap([...fixed64(1, 0n), ...fixed64(11, 42n), ...str(3, 'x')]);
    const sites: number[] = [];
    const fixed = wireToJson('logs', bytes, { fixedWidthTimes: true, sites: { id: () => {}, time: (at) => sites.push(at) } }).toString();
    expect(JSON.parse(fixed).resourceLogs[0].scopeLogs[0].logRecords[0]).toEqual({ timeUnixNano: '0000000000000000000', observedTimeUnixNano: '0000000000000000042', severityText: 'x' });
    expect(sites).toHaveLength(2);
    expect(JSON.parse(wireToJson('logs', bytes).toString()).resourceLogs[0].scopeLogs[0].logRecords[0]).toEqual({ observedTimeUnixNano: '42', severityText: 'x' });
    expect(() => wireToJson('logs', wrap(fixed64(1, 10n ** 19n)), { fixedWidthTimes: true })).toThrow(/wider than 19 digits/);
  });

  it('rejects malformed bytes with a WireError at the offending byte', () => {
    const wrongType = wrap([...tagOf(5, 0), ...varint(1)]); // Span.name as a varint
    expect(() => wireToJson('traces', wrongType)).toThrow(WireError);
    expect(() => wireToJson('traces', wrongType)).toThrow(/field name \(5\) of Span has wire type 0, expected 2 at byte 6/);
    const truncated = Uint8Array.from([0x0a, 0x05, 0x12, 0x09]);
    expect(() => wireToJson('traces', truncated)).toThrow(WireError);
    let deep: number[] = str(1, 'x');
    for (let i = 0; i < 40; i++) deep = len(5, len(1, deep)); // AnyValue.arrayValue.values[0]
    expect(() => wireToJson('logs', wrap(len(5, deep)))).toThrow(/nested deeper than 64/);
  });
});
