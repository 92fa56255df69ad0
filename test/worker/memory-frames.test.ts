import { describe, expect, it } from 'vitest';
import { rewriteAttributes } from '../../src/compile/attribute-rewrite.js';
import { compile, type CompileOptions } from '../../src/compile/compile.js';
import type { CompiledTemplate } from '../../src/compile/frame.js';
import type { Encoding } from '../../src/otlp/signals.js';
import { loadTemplate } from '../../src/receivers/template.js';
import type { TemplateData } from '../../src/receivers/template-data.js';
import { Stamper, type StamperOptions, type CycleControls } from '../../src/stamp/stamper.js';
import { MemoryFrames } from '../../src/worker/frame-source.js';
import { traces } from '../compile/fixtures.js';
import { CountingPool } from '../helpers/counting-pool.js';
import { DEMO } from '../helpers/daemon.js';

const STAMP: StamperOptions = { seed: [0x2468ace0, 0x13579bdf], worker: 0, backdateMs: 2000, now: () => 1_700_000_000_123 };


/** What the id_regen, jitter and cardinality processors' cycle hooks ask for. */
function begin(controls: CycleControls, ct: CompiledTemplate, cycle: number): void {
  if (ct.idRegen) controls.newIds();
  controls.drawJitter(50);
  ct.digitWidths.forEach((w, f) => controls.setDigits(f, (cycle * 7 + 3) % 10 ** w));
}

/** Every frame of `cycles` cycles, each copied out of a fresh buffer by a Stamper of its own compile. */
function copied(data: TemplateData, opts: CompileOptions, enc: Encoding, cycles: number): string[] {
  const ct = compile([data], opts);
  const st = new Stamper(ct, STAMP);
  const out: string[] = [];
  for (let c = 0; c < cycles; c++) {
    st.beginCycle(c);
    begin(st, ct, c);
    for (let i = 0; i < ct.frames.length; i++) out.push(stampCopy(st, i, enc, ct).toString('hex'));
  }
  return out;
}

function stampCopy(st: Stamper, i: number, enc: Encoding, ct: CompiledTemplate): Buffer {
  const buf = Buffer.alloc(ct.maxFrameBytes);
  return buf.subarray(0, st.stamp(i, enc, buf));
}

const CASES: [string, () => Promise<TemplateData>, CompileOptions][] = [
  ['traces: ids, times, jitter, a digit field, proto and JSON', async () => traces(30, 5), {
    idRegen: true, timestamps: true, encodings: ['proto', 'json'], maxItems: 40,
    rewrites: [(b) => rewriteAttributes('traces', b, 'resource', [{ key: 'replay.tenant', action: 'upsert', value: 'tenant-0000' }])],
    digits: [{ scope: 'resource', key: 'replay.tenant', width: 4 }],
  }],
  ['metrics: continuity (values, start times, times)', () => loadTemplate(DEMO.metrics, 'metrics'), { idRegen: true, timestamps: true, continuity: true, encodings: ['proto', 'json'], maxItems: 500 }],
  ['logs: ids and times', () => loadTemplate(DEMO.logs, 'logs'), { idRegen: true, timestamps: true, encodings: ['proto'], maxItems: 300 }],
];

describe('MemoryFrames', () => {
  it.each(CASES)('stamps each frame where it lies, with no send buffer, and again each cycle gives what a fresh copy gives (%s)', async (_name, load, opts) => {
    const data = await load();
    for (const enc of opts.encodings!) {
      // Continuity carries each series from cycle to cycle: a compile per encoding, as `copied` has.
      const ct = compile([data], opts);
      const frames = new MemoryFrames(ct, STAMP);
      const pool = new CountingPool(ct.maxFrameBytes);
      const got: string[] = [];
      for (let c = 0; c < 3; c++) {
        begin(frames.beginCycle(c), ct, c);
        for (let i = 0; i < frames.count; i++) {
          const request = frames.stamp(i, enc, pool);
          // The frame's own bytes: nothing was copied.
          expect(request.bytes.buffer).toBe(ct.frames[i]![enc]!.bytes.buffer);
          got.push(request.bytes.toString('hex'));
          request.release();
        }
      }
      expect(pool.taken).toBe(0);
      expect(got).toEqual(copied(data, opts, enc, 3));
    }
  });

  it('copies a frame an earlier request still holds into a send buffer, from any MemoryFrames of the compile, and leaves the held bytes as they were sent', () => {
    const opts: CompileOptions = { idRegen: true, timestamps: true, encodings: ['proto'] };
    const ct = compile([traces(4, 3)], opts);
    expect(ct.frames).toHaveLength(1);
    // The scheduled loop's way: a MemoryFrames (a Stamper) per cycle in flight, one compile.
    const [a, b] = [new MemoryFrames(ct, STAMP), new MemoryFrames(ct, STAMP)];
    const pool = new CountingPool(ct.maxFrameBytes);
    begin(a.beginCycle(0), ct, 0);
    const held = a.stamp(0, 'proto', pool);
    const sent = Buffer.from(held.bytes);
    begin(b.beginCycle(1), ct, 1);
    const second = b.stamp(0, 'proto', pool);
    begin(a.beginCycle(2), ct, 2);
    const third = a.stamp(0, 'proto', pool);
    expect(pool.taken).toBe(2);
    expect(held.bytes.equals(sent)).toBe(true);
    expect([sent, second.bytes, third.bytes].map((x) => x.toString('hex'))).toEqual(copied(traces(4, 3), opts, 'proto', 3));
    held.release();
    second.release();
    third.release();
    // Released: stamped in place again.
    begin(b.beginCycle(3), ct, 3);
    expect(b.stamp(0, 'proto', pool).bytes.buffer).toBe(ct.frames[0]!.proto!.bytes.buffer);
    expect(pool.taken).toBe(2);
  });
});
