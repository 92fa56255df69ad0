import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { compile, type CompileOptions } from '../../src/compile/compile.js';
import type { CompiledTemplate } from '../../src/compile/frame.js';
import { attachGzipImages, buildGzipImage } from '../../src/compile/gzip-image.js';
import { siteKeys } from '../../src/compile/site-keys.js';
import type { Encoding } from '../../src/otlp/signals.js';
import { mulberry32 } from '../../src/mulberry32.js';
import { stampGzip } from '../../src/stamp/gzip-stamp.js';
import { Stamper } from '../../src/stamp/stamper.js';
import { data, traces } from '../compile/fixtures.js';

/** A wall clock 60 s past a 2^40 ns boundary: a frame's times share their top 3 bytes. */
const BOUNDARY_NS = 1_546_000n * 2n ** 40n;
const SAFE_NOW_MS = Number(BOUNDARY_NS / 1_000_000n) + 60_000;
const ALL_BYTES = Uint8Array.from({ length: 256 }, (_, i) => i);

/** Stamps every frame for `cycles` cycles; each stamped gzip must gunzip to exactly the stamped request. */
function checkCycles(ct: CompiledTemplate, enc: Encoding, cycles: number, now = () => SAFE_NOW_MS): { sends: number; refused: number } {
  const st = new Stamper(ct, { seed: [7, 9], worker: 1, backdateMs: 0, now });
  const raw = Buffer.alloc(ct.maxFrameBytes);
  const gz = Buffer.alloc(Math.max(...ct.frames.map((f) => f[enc]!.gzip!.bytes.length)));
  let sends = 0;
  let refused = 0;
  for (let c = 0; c < cycles; c++) {
    st.beginCycle(c);
    if (ct.idRegen) st.newIds();
    if (ct.timestamps) st.drawJitter(50);
    for (let d = 0; d < ct.digitWidths.length; d++) st.setDigits(d, (c * 37) % 10 ** ct.digitWidths[d]!);
    for (let i = 0; i < ct.frames.length; i++) {
      const body = raw.subarray(0, st.stamp(i, enc, raw));
      // Stale bytes from the previous send must not leak into this one.
      gz.fill(0xa5);
      const n = stampGzip(ct.frames[i]![enc]!.gzip!, body, gz);
      sends++;
      if (n < 0) {
        refused++;
        continue;
      }
      expect(gunzipSync(gz.subarray(0, n)).equals(body)).toBe(true);
    }
  }
  return { sends, refused };
}

function compiled(opts: Partial<CompileOptions> & Pick<CompileOptions, 'encodings'>, level = 3, tpl = traces(12, 9, { attr: 'user-0000' })): CompiledTemplate {
  const ct = compile([tpl], { idRegen: true, timestamps: true, maxItems: 40, ...opts });
  for (const e of opts.encodings) attachGzipImages(ct, e, level);
  return ct;
}

describe('stamped gzip', () => {
  for (const enc of ['proto', 'json'] as const) {
    it(`gunzips to exactly the stamped ${enc} request, frame after frame for 40 cycles of new ids, times and jitter`, () => {
      const ct = compiled({ encodings: [enc] });
      expect(ct.frames.length).toBeGreaterThan(1);
      expect(checkCycles(ct, enc, 40)).toEqual({ sends: 40 * ct.frames.length, refused: 0 });
    });
  }

  it('carries the digits of a cardinality field, and is exact at every level', () => {
    for (const level of [1, 3, 6, 9]) {
      const ct = compiled({ encodings: ['proto', 'json'], digits: [{ scope: 'item', key: 'a', width: 4 }] }, level);
      expect(ct.digitWidths).toEqual([4]);
      for (const enc of ['proto', 'json'] as const) expect(checkCycles(ct, enc, 12).refused).toBe(0);
    }
  });

  it('is exact for logs and metrics too', () => {
    for (const [signal, body] of [
      ['logs', { resourceLogs: [{ scopeLogs: [{ logRecords: Array.from({ length: 60 }, (_, i) => ({ timeUnixNano: i * 1000, body: { stringValue: `line ${i % 7}` } })) }] }] }],
      ['metrics', { resourceMetrics: [{ scopeMetrics: [{ metrics: [{ name: 'm', gauge: { dataPoints: Array.from({ length: 60 }, (_, i) => ({ timeUnixNano: i * 10, asInt: i % 5 })) } }] }] }] }],
    ] as const) {
      const ct = compiled({ encodings: ['proto'], maxItems: 25 }, 3, data(signal, body));
      expect(checkCycles(ct, 'proto', 10)).toMatchObject({ refused: 0 });
    }
  });

  it('is refused (-1) for a send whose times straddle a 2^40 ns boundary, and used again once they do not', () => {
    const ct = compiled({ encodings: ['proto'] });
    // Bases 1 s before the boundary; the fixture's spans end 5 s after their start.
    let nowMs = Number(BOUNDARY_NS / 1_000_000n) - 1000;
    const st = { now: () => nowMs };
    expect(checkCycles(ct, 'proto', 1, st.now)).toEqual({ sends: ct.frames.length, refused: ct.frames.length });
    nowMs = SAFE_NOW_MS;
    expect(checkCycles(ct, 'proto', 1, st.now).refused).toBe(0);
  });

  it('JSON sites are coded over the hex digits only; a site holding any other byte is refused (-1)', () => {
    const ct = compiled({ encodings: ['json'] });
    const image = ct.frames[0]!.json!.gzip!;
    expect(image.literalBits).toBe(5);
    const st = new Stamper(ct, { seed: [1, 1], worker: 0, backdateMs: 0, now: () => SAFE_NOW_MS });
    st.newIds();
    const raw = Buffer.alloc(ct.maxFrameBytes);
    const body = raw.subarray(0, st.stamp(0, 'json', raw));
    const out = Buffer.alloc(image.bytes.length);
    expect(stampGzip(image, body, out)).toBe(image.bytes.length);
    body[image.runs[0]!] = 'A'.charCodeAt(0);
    expect(stampGzip(image, body, out)).toBe(-1);
  });

  it('leaves only the site literals to write: any bytes written at the sites gunzip back exactly, across several blocks', () => {
    const rand = mulberry32(42);
    // Repetitive records (so there are long matches) with site runs in them; 300 KB spans several blocks.
    const record = Buffer.from(Array.from({ length: 97 }, (_, i) => (i * 31) % 251));
    const raw = Buffer.concat(Array.from({ length: 3100 }, (_, r) => Buffer.concat([record, Buffer.from([r & 0xff, r >> 8])])));
    const keys = Uint32Array.from(raw);
    const ranges: [number, number][] = [];
    for (let at = 5; at + 40 < raw.length; at += 20 + Math.floor(rand() * 200)) {
      const len = 1 + Math.floor(rand() * 16);
      ranges.push([at, len]);
      // Every third range always holds the same bytes as the one before it (as a trace id repeated in its spans).
      const twin = ranges.length % 3 === 0 ? ranges[ranges.length - 2]! : undefined;
      for (let k = 0; k < len; k++) keys[at + k] = twin && k < twin[1] ? 1000 + twin[0] + k : 1000 + at + k;
    }
    const image = buildGzipImage(raw, { keys, shared: new Uint32Array(0), sharedWidth: 0, alphabet: ALL_BYTES }, 3);
    expect(image.bytes.length).toBeLessThan(raw.length / 4);
    const out = Buffer.alloc(image.bytes.length);
    for (let round = 0; round < 30; round++) {
      const stamped = Buffer.from(raw);
      const fill = round === 0 ? () => 0 : round === 1 ? () => 0xff : () => Math.floor(rand() * 256);
      for (const [at, len] of ranges) {
        for (let k = 0; k < len; k++) {
          const key = keys[at + k]!;
          // A byte keyed to an earlier position holds what that position holds.
          stamped[at + k] = key - 1000 === at + k ? fill() : stamped[key - 1000]!;
        }
      }
      const n = stampGzip(image, stamped, out);
      expect(gunzipSync(out.subarray(0, n)).equals(stamped)).toBe(true);
    }
  });

  it('keeps most of zlib\'s ratio on a template: keys let repeated trace ids be matches', () => {
    const ct = compiled({ encodings: ['proto'], maxItems: 1e9 }, 3, traces(40, 15));
    const f = ct.frames[0]!.proto!;
    const withKeys = f.gzip!.bytes.length;
    // Every site byte its own key: no site can be copied from another.
    const keys = siteKeys(ct, f, 'proto').keys.map((k, p) => (k > 255 ? 1e6 + p : k));
    const withoutKeys = buildGzipImage(f.bytes, { keys, shared: new Uint32Array(0), sharedWidth: 0, alphabet: ALL_BYTES }, 3).bytes.length;
    expect(withKeys).toBeLessThan(withoutKeys * 0.9);
  });
});
