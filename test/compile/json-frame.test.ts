import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigProblem } from '../../src/errors.js';
import { parseGeneratorConfig } from '../../src/generator/config.js';
import { writeDataset } from '../../src/generator/writer.js';
import { encodeOtlpJson } from '../../src/otlp/json-encode.js';
import { requestType } from '../../src/otlp/proto.js';
import { SIGNALS, type Signal } from '../../src/otlp/signals.js';
import { splitSec } from '../../src/otlp/wire/nanos.js';
import { compile, type CompileOptions } from '../../src/compile/compile.js';
import { type CompiledTemplate, type EncodedFrame, TIME_STRIDE } from '../../src/compile/frame.js';
import { U32List } from '../../src/otlp/wire/u32-list.js';
import { IdTable } from '../../src/otlp/wire/id-table.js';
import { jsonFrame } from '../../src/compile/json-frame.js';
import { Stamper } from '../../src/stamp/stamper.js';
import { TWO32, writeFixed64 } from '../../src/otlp/wire/write.js';
import { parseTemplate } from '../../src/receivers/template.js';
import type { TemplateData } from '../../src/receivers/template-data.js';
import { data, id, traces } from './fixtures.js';

/**
 * The JSON frame builder this one replaced (protobufjs decode + encodeOtlpJson, times
 * replaced by site-number tokens), kept here as the reference for sites.
 */
function legacyJsonFrame(signal: Signal, proto: EncodedFrame, opts: { idRegen: boolean; timestamps: boolean }, traceGroups: IdTable, spanGroups: IdTable): EncodedFrame {
  const copy = Buffer.from(proto.bytes);
  const pt = proto.times;
  if (opts.timestamps) for (let k = 0; k < pt.length; k += TIME_STRIDE) writeFixed64(copy, pt[k]!, k / TIME_STRIDE + 1);
  const sites: { at: number; time: number; id?: Uint8Array; trace?: boolean }[] = [];
  const text = encodeOtlpJson(signal, requestType(signal).decode(copy), {
    fixedWidthTimes: opts.timestamps,
    onSite: (s) => {
      if (s.kind === 'time') {
        if (opts.timestamps) sites.push({ at: s.offset, time: Number(s.value) - 1 });
      } else if (opts.idRegen) sites.push({ at: s.offset, time: -1, id: s.value as Uint8Array, trace: s.kind === 'traceId' });
    },
  });
  const traceIds = new U32List(), spanIds = new U32List(), times = new U32List();
  let chars = 0, byteAt = 0;
  for (const s of sites) {
    byteAt += Buffer.byteLength(text.slice(chars, s.at));
    chars = s.at;
    if (s.time >= 0) {
      const k = s.time * TIME_STRIDE;
      const { sec, nsec } = splitSec(pt[k + 2]! + pt[k + 3]! * TWO32);
      times.push(byteAt, pt[k + 1]!, nsec, sec);
    } else if (s.id!.some((b) => b !== 0)) {
      if (s.trace) traceIds.push(byteAt, traceGroups.index(s.id!, 0) * 4);
      else spanIds.push(byteAt, spanGroups.index(s.id!, 0) * 2);
    }
  }
  return { bytes: Buffer.from(text), traceIds: traceIds.freeze(), spanIds: spanIds.freeze(), times: times.freeze(), digits: [] };
}

/** The compile's id groups as IdTables again (same ids, same order, so the same indexes). */
function tables(ct: CompiledTemplate): [IdTable, IdTable] {
  const refill = (words: Uint32Array, w: 2 | 4) => {
    const t = new IdTable(w);
    const bytes = Buffer.from(words.buffer, words.byteOffset, words.byteLength);
    for (let i = 0; i < words.length / w; i++) expect(t.index(bytes, i * w * 4)).toBe(i);
    return t;
  };
  return [refill(ct.traceGroups, 4), refill(ct.spanGroups, 2)];
}

const STAMP = { seed: [11, 22] as const, worker: 1, backdateMs: 0, now: () => 1_732_700_000_123 };

function stampedJson(ct: CompiledTemplate, opts: { idRegen: boolean; timestamps: boolean }): Buffer[] {
  const st = new Stamper(ct, STAMP);
  st.beginCycle(3);
  if (opts.idRegen) st.newIds();
  st.drawJitter(300);
  const out = Buffer.alloc(ct.maxFrameBytes + 64);
  return ct.frames.map((_, i) => Buffer.from(out.subarray(0, st.stamp(i, 'json', out))));
}

/** The frame bytes with the digits of every time site zeroed. */
function masked(frame: EncodedFrame): Buffer {
  const b = Buffer.from(frame.bytes);
  for (let i = 0; i < frame.times.length; i += TIME_STRIDE) b.fill(0x30, frame.times[i]!, frame.times[i]! + 19);
  return b;
}

const OPTIONS: [boolean, boolean][] = [[true, true], [true, false], [false, true], [false, false]];

describe('jsonFrame', () => {
  const dir = mkdtempSync(join(tmpdir(), 'replayd-json-frame-'));
  const templates = new Map<Signal, TemplateData[]>();

  beforeAll(async () => {
    const problems: ConfigProblem[] = [];
    const cfg = parseGeneratorConfig({
      seed: 5, output: { directory: dir, prefix: 'g' },
      traces: { count: 12 },
      metrics: { metric_count: 20, timeseries_per_metric: { min: 1, max: 3, default: 2 } },
      logs: { count: 150, correlate: true },
    }, join(dir, 'gen.yaml'), problems);
    expect(problems).toEqual([]);
    await writeDataset(cfg, { outDir: dir, json: false, threads: 1 });
    for (const signal of Object.keys(SIGNALS) as Signal[]) {
      const file = join(dir, `g-${signal}.pb`);
      templates.set(signal, [parseTemplate(readFileSync(file), file, signal)]);
    }
    // non-ASCII text shifts byte offsets away from character offsets
    templates.get('traces')!.push(traces(3, 4, { attr: 'ünïcødé ✓ 🚀 "q"' }));
    const ex = [{ timeUnixNano: 5, traceId: id(16, 1, 0), spanId: id(8, 2, 1), asDouble: 1 }];
    templates.get('metrics')!.push(data('metrics', { resourceMetrics: [{ scopeMetrics: [{ metrics: [
      { name: 'g', gauge: { dataPoints: [{ timeUnixNano: 100, asInt: -3, exemplars: ex }] } },
      { name: 'h', histogram: { aggregationTemporality: 2, dataPoints: [{ timeUnixNano: 300, count: 1, bucketCounts: [1], exemplars: ex }] } },
      { name: 'e', exponentialHistogram: { aggregationTemporality: 2, dataPoints: [{ startTimeUnixNano: 1, timeUnixNano: 400, count: 1, exemplars: ex }] } },
    ] }] }] }));
    templates.get('logs')!.push(data('logs', { resourceLogs: [{ scopeLogs: [{ logRecords: [
      { timeUnixNano: 0, body: { stringValue: '日本語\n' }, traceId: new Uint8Array(16), spanId: Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 1) },
    ] }] }] }));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('gives every frame the sites of the protobufjs-based builder, for all signals and options, split or not', () => {
    for (const [signal, tpls] of templates) {
      for (const [idRegen, timestamps] of OPTIONS) {
        for (const split of [{}, { maxItems: 7 }]) {
          const opts: CompileOptions = { idRegen, timestamps, encodings: ['proto', 'json'], ...split };
          const ct = compile(tpls, opts);
          const [traceGroups, spanGroups] = tables(ct);
          let ids = 0, times = 0;
          for (const f of ct.frames) {
            const legacy = legacyJsonFrame(signal, f.proto!, opts, traceGroups, spanGroups);
            expect([...f.json!.traceIds]).toEqual([...legacy.traceIds]);
            expect([...f.json!.spanIds]).toEqual([...legacy.spanIds]);
            expect([...f.json!.times]).toEqual([...legacy.times]);
            // the same bytes, but for the digits of times (relative times here, site tokens there), which stamping overwrites
            expect(masked(f.json!).toString()).toBe(masked(legacy).toString());
            ids += f.json!.traceIds.length + f.json!.spanIds.length;
            times += f.json!.times.length;
          }
          expect(times > 0).toBe(timestamps);
          expect(ids > 0).toBe(idRegen);
        }
      }
    }
  });

  it('stamps to the same bytes as the frames of the protobufjs-based builder', () => {
    for (const [signal, tpls] of templates) {
      for (const [idRegen, timestamps] of OPTIONS) {
        const opts: CompileOptions = { idRegen, timestamps, encodings: ['proto', 'json'], maxItems: 50 };
        const ct = compile(tpls, opts);
        const [traceGroups, spanGroups] = tables(ct);
        const legacy = { ...ct, frames: ct.frames.map((f) => ({ ...f, json: legacyJsonFrame(signal, f.proto!, opts, traceGroups, spanGroups) })) };
        const a = stampedJson(ct, opts), b = stampedJson(legacy, opts);
        expect(a.length).toBeGreaterThan(0);
        a.forEach((bytes, i) => expect(bytes.equals(b[i]!)).toBe(true));
        if (timestamps) expect(a[0]!.toString()).toMatch(/UnixNano":"173\d{16}"/);
      }
    }
  });

  it('builds the compile\'s frames (compile calls it for the json encoding)', () => {
    const ct = compile(templates.get('logs')!, { idRegen: true, timestamps: true, encodings: ['json'] });
    const again = compile(templates.get('logs')!, { idRegen: true, timestamps: true, encodings: ['proto'] });
    ct.frames.forEach((f, i) => {
      const direct = jsonFrame('logs', again.frames[i]!.proto!, { idRegen: true, timestamps: true });
      expect(direct.bytes.equals(f.json!.bytes)).toBe(true);
      expect([...direct.times]).toEqual([...f.json!.times]);
    });
  });
});
