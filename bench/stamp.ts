/**
 * Stamp throughput vs. the naive per-send decode → copy → mutate → encode, side by side
 * in one process on one core. Run alone: `npx tsc -p tsconfig.json && node dist/bench/stamp.js`.
 */
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { requestType } from '../src/otlp/proto.js';
import { compile } from '../src/compile/compile.js';
import type { CompiledTemplate } from '../src/compile/frame.js';
import { Stamper } from '../src/stamp/stamper.js';
import type { TemplateData } from '../src/receivers/template-data.js';

export interface StampBenchResult {
  spans: number;
  frameBytes: number;
  frames: number;
  stampSpansPerSec: number;
  naiveSpansPerSec: number;
  ratio: number;
}

/** ~10k spans in 100-span traces, attributes sized so the set encodes to ~2 MB. */
function benchTemplate(spans = 10_000, perTrace = 100): TemplateData {
  const list: object[] = [];
  for (let i = 0; i < spans; i++) {
    const t = Math.floor(i / perTrace);
    const traceId = Buffer.alloc(16);
    traceId.writeUInt32BE(t + 1, 12);
    const spanId = Buffer.alloc(8);
    spanId.writeUInt32BE(i + 1, 4);
    const parent = i % perTrace === 0 ? undefined : (() => { const p = Buffer.alloc(8); p.writeUInt32BE(i, 4); return p; })();
    list.push({
      traceId, spanId, parentSpanId: parent, name: `GET /api/v1/items/${i % 37}`, kind: 2,
      startTimeUnixNano: (i % perTrace) * 1_000_000, endTimeUnixNano: (i % perTrace) * 1_000_000 + 750_000,
      attributes: [
        { key: 'http.request.method', value: { stringValue: 'GET' } },
        { key: 'url.full', value: { stringValue: `https://shop.example.com/api/v1/items/${i}?q=${randomBytes(6).toString('hex')}` } },
        { key: 'http.response.status_code', value: { intValue: 200 } },
      ],
      status: { code: 1 },
    });
  }
  const request = requestType('traces').fromObject({
    resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'shop' } }] }, scopeSpans: [{ scope: { name: 'bench' }, spans: list }] }],
  });
  return { signal: 'traces', request, source: 'bench' };
}

/** Stamps every frame of `ct` repeatedly for about `ms`; returns spans/s. */
function benchStamp(ct: CompiledTemplate, ms = 2000): number {
  const st = new Stamper(ct, { seed: [1, 2], worker: 0, backdateMs: 0 });
  const buf = Buffer.allocUnsafe(ct.maxFrameBytes);
  let spans = 0;
  let cycle = 0;
  const start = performance.now();
  while (performance.now() - start < ms) {
    st.beginCycle(cycle++);
    st.newIds();
    st.drawJitter(10);
    for (let f = 0; f < ct.frames.length; f++) {
      st.stamp(f, 'proto', buf);
      spans += ct.frames[f]!.events;
    }
  }
  return spans / ((performance.now() - start) / 1000);
}

/** The naive baseline: decode, deep-copy, new ids and times on objects, encode — per send. */
function benchNaive(frames: Uint8Array[], spansPerPass: number, ms = 2000): number {
  const type = requestType('traces');
  let spans = 0;
  const start = performance.now();
  // at least two passes: one pass can take longer than `ms`
  for (let pass = 0; pass < 2 || performance.now() - start < ms; pass++) {
    const now = BigInt(Date.now()) * 1_000_000n;
    for (const bytes of frames) {
      // decode, then a deep copy as a naive sender keeps the template pristine
      const copy = type.fromObject(type.toObject(type.decode(bytes), { longs: String })) as any;
      for (const rs of copy.resourceSpans) {
        for (const ss of rs.scopeSpans) {
          for (const s of ss.spans) {
            s.traceId = randomBytes(16);
            s.spanId = randomBytes(8);
            s.startTimeUnixNano = (now + BigInt(s.startTimeUnixNano.toString())).toString();
            s.endTimeUnixNano = (now + BigInt(s.endTimeUnixNano.toString())).toString();
          }
        }
      }
      type.encode(copy).finish();
    }
    spans += spansPerPass;
  }
  return spans / ((performance.now() - start) / 1000);
}

export function runStampBench(ms = 2000): StampBenchResult {
  const tpl = benchTemplate();
  const ct = compile([tpl], { idRegen: true, timestamps: true, encodings: ['proto'] });
  const frames = ct.frames.map((f) => f.proto!.bytes);
  benchStamp(ct, 300); // warm up the JIT for both before measuring
  benchNaive(frames, ct.totalEvents, 300);
  const stampSpansPerSec = benchStamp(ct, ms);
  const naiveSpansPerSec = benchNaive(frames, ct.totalEvents, ms);
  return {
    spans: ct.totalEvents, frameBytes: ct.maxFrameBytes, frames: ct.frames.length,
    stampSpansPerSec, naiveSpansPerSec, ratio: stampSpansPerSec / naiveSpansPerSec,
  };
}

export function formatStampBench(r: StampBenchResult): string {
  const m = (n: number) => `${(n / 1e6).toFixed(2)}M`;
  return [
    `stamp bench: ${r.spans} spans in ${r.frames} frame(s), ${(r.frameBytes / 1e6).toFixed(2)} MB`,
    `  stamp (copy + ids + times): ${m(r.stampSpansPerSec)} spans/s`,
    `  naive (decode/copy/encode): ${m(r.naiveSpansPerSec)} spans/s`,
    `  ratio: ${r.ratio.toFixed(1)}x`,
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(formatStampBench(runStampBench()));
}
