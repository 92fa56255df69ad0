/**
 * The sink's verification alone, for `npm run bench` (called from bench/run.ts): the
 * bench template's frames, stamped afresh every cycle (so ids are new and times current,
 * as a daemon sends them), checked by one Verifier in this thread, checking everything
 * and sampling. Spans per second of checkBody time only (stamping is not billed).
 */
import { compile } from '../src/compile/compile.js';
import { loadTemplate } from '../src/receivers/template.js';
import { Verifier } from '../src/sink/verify.js';
import { Stamper } from '../src/stamp/stamper.js';

export interface VerifyBench {
  sample: number;
  /** Spans walked (checked or left out of the sample) per second of verification time. */
  spansPerSec: number;
  ok: boolean;
}

export async function runVerifyBench(template: string, samples: number[], ms = 3000): Promise<VerifyBench[]> {
  const c = compile([await loadTemplate(template, 'traces')], { idRegen: true, timestamps: true, maxItems: 1_000_000, maxBytes: 3 * 1024 * 1024, encodings: ['proto'] });
  const buf = Buffer.allocUnsafe(c.maxFrameBytes);
  const out: VerifyBench[] = [];
  for (const sample of samples) {
    const stamper = new Stamper(c, { seed: [3, 4], worker: 0, backdateMs: 0 });
    const v = new Verifier({ sample });
    let spans = 0;
    let spent = 0;
    for (let cycle = 0; spent < ms; cycle++) {
      stamper.beginCycle(cycle);
      stamper.newIds();
      for (let f = 0; f < c.frames.length; f++) {
        const n = stamper.stamp(f, 'proto', buf);
        const t0 = performance.now();
        v.checkBody('traces', 'proto', buf.subarray(0, n));
        spent += performance.now() - t0;
        spans += c.frames[f]!.events;
      }
    }
    out.push({ sample, spansPerSec: spans / (spent / 1000), ok: v.report().ok });
  }
  return out;
}

export function formatVerifyBench(rows: VerifyBench[]): string {
  return ['one verification thread (Verifier.checkBody on freshly stamped frames):',
    ...rows.map((r) => `  sample ${r.sample}: ${(r.spansPerSec / 1e6).toFixed(2)}M spans/s${r.ok ? '' : ' (found problems!)'}`)].join('\n');
}
