/** Drives real processors the way a pipeline worker does, on compiled frames, without threads or sockets. */
import { compile, compileOptions } from '../../src/compile/compile.js';
import type { CompiledTemplate } from '../../src/compile/frame.js';
import { emptyPlan } from '../../src/compile/plan.js';
import { ParseContext } from '../../src/config/component.js';
import { EnvReader, type Env } from '../../src/config/env.js';
import type { ConfigProblem } from '../../src/errors.js';
import { decodeOtlpJsonValue } from '../../src/otlp/json-decode.js';
import { requestType } from '../../src/otlp/proto.js';
import type { Encoding } from '../../src/otlp/signals.js';
import { PROCESSORS } from '../../src/processors/index.js';
import type { ProcessorHooks } from '../../src/processors/processor.js';
import { processorContext } from '../../src/processors/rate-share.js';
import type { TemplateData } from '../../src/receivers/template-data.js';
import { Stamper } from '../../src/stamp/stamper.js';
import { data } from '../compile/fixtures.js';

/** The wall clock every harness stamper reads. */
export const NOW_MS = 1_700_000_000_000;

export interface Harness {
  compiled: CompiledTemplate;
  /** Runs cycle `n`'s hooks and returns every frame of it, stamped and decoded, per encoding. */
  cycle(n: number): Record<Encoding, any[]>;
}

/** `processors` as a pipeline lists them, each `[id, yaml block as an object]`; `env` is what they read by name (OTEL_*). */
export function harness(data: TemplateData, processors: [string, unknown][], opts: { worker?: number; workers?: number; env?: Env } = {}): Harness {
  const problems: ConfigProblem[] = [];
  const ctx = processorContext(data.signal, { replica: 0, replicas: 1, worker: opts.worker ?? 0, workers: opts.workers ?? 1 });
  const hooks: ProcessorHooks[] = processors.map(([id, raw]) => {
    const f = PROCESSORS.find(id.split('/')[0]!)!;
    const cfg = f.parse(raw, new ParseContext(id, `processors.${id}`, '/', problems, new EnvReader(opts.env ?? {})));
    return f.create(cfg, ctx);
  });
  if (problems.length > 0) throw new Error(JSON.stringify(problems));
  const plan = emptyPlan(data.signal);
  for (const h of hooks) h.compile?.(plan);
  const compiled = compile([data], compileOptions(plan, ['proto', 'json']));
  const stamper = new Stamper(compiled, { seed: [1, 2], worker: ctx.worker, backdateMs: plan.backdateMs, alignEnd: plan.alignEnd, now: () => NOW_MS,
    metricsIntervalMs: plan.continuity?.intervalMs });
  const buf = Buffer.alloc(compiled.maxFrameBytes);
  return {
    compiled,
    cycle(n) {
      stamper.beginCycle(n);
      for (const h of hooks) h.cycle?.(stamper, n);
      const out = { proto: [] as any[], json: [] as any[] };
      for (let i = 0; i < compiled.frames.length; i++) {
        out.proto.push(requestType(data.signal).decode(buf.subarray(0, stamper.stamp(i, 'proto', buf))));
        const text = buf.subarray(0, stamper.stamp(i, 'json', buf)).toString('utf8');
        out.json.push(decodeOtlpJsonValue(data.signal, JSON.parse(text)));
      }
      return out;
    },
  };
}

/** The string value of attribute `key` in a decoded attribute list. */
export function attr(attrs: { key: string; value: any }[], key: string): string | undefined {
  return attrs.find((a) => a.key === key)?.value?.stringValue;
}

/** Two resources with one span each; only the first has a service.instance.id. */
export const twoResources = data('traces', {
  resourceSpans: ['a', 'b'].map((name, r) => ({
    resource: { attributes: [{ key: 'service.name', value: { stringValue: name } }, ...(r === 0 ? [{ key: 'service.instance.id', value: { stringValue: `i-${name}` } }] : [])] },
    scopeSpans: [{ spans: [{ traceId: Buffer.alloc(16, r + 1), spanId: Buffer.alloc(8, r + 1), name: 's', startTimeUnixNano: 0, endTimeUnixNano: 5,
      attributes: [{ key: 'k', value: { stringValue: 'v' } }] }] }],
  })),
});
