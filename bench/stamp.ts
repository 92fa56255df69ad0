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
  metrics: MetricsStampBenchResult;
}

/** Metrics stamping with timestamp's continuity off (times only) and on (start units, values once per cycle, value sites). */
export interface MetricsStampBenchResult {
  points: number;
  timesOnlyPointsPerSec: number;
  continuityPointsPerSec: number;
  /** continuity ÷ times only */
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

/**
 * ~10k data points in 100-point requests: per resource (one per 100 points) a monotonic
 * counter, an 8-bucket histogram and a gauge, each over a few attribute values.
 */
function metricsTemplate(points = 10_000): TemplateData {
  const kv = (k: string, v: string) => ({ key: k, value: { stringValue: v } });
  const resourceMetrics = [];
  for (let r = 0; r < points / 100; r++) {
    const at = (i: number) => ({ attributes: [kv('http.route', `/api/v1/items/${i}`)], startTimeUnixNano: 0, timeUnixNano: 1_000_000_000 });
    const metrics = [
      { name: 'http.server.requests', sum: { aggregationTemporality: 2, isMonotonic: true, dataPoints: Array.from({ length: 34 }, (_, i) => ({ ...at(i), asInt: 100 + i })) } },
      { name: 'http.server.duration', histogram: { aggregationTemporality: 2, dataPoints: Array.from({ length: 33 }, (_, i) => ({
        ...at(i), count: 36, sum: 12.5, bucketCounts: [1, 2, 3, 4, 5, 6, 7, 8], explicitBounds: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5],
      })) } },
      { name: 'process.memory.usage', gauge: { dataPoints: Array.from({ length: 33 }, (_, i) => ({ ...at(i), asDouble: 1e6 * (i + 1) })) } },
    ];
    resourceMetrics.push({ resource: { attributes: [kv('service.name', 'shop'), kv('service.instance.id', `i-${r}`)] }, scopeMetrics: [{ scope: { name: 'bench' }, metrics }] });
  }
  return { signal: 'metrics', request: requestType('metrics').fromObject({ resourceMetrics }), source: 'bench' };
}

/** Stamps every frame of `ct` repeatedly for about `ms` (the ids and jitter of a traces pipeline only for traces); returns events/s. */
function benchStamp(ct: CompiledTemplate, ms = 2000): number {
  const st = new Stamper(ct, { seed: [1, 2], worker: 0, backdateMs: 0, metricsIntervalMs: 10_000 });
  const buf = Buffer.allocUnsafe(ct.maxFrameBytes);
  let spans = 0;
  let cycle = 0;
  const start = performance.now();
  while (performance.now() - start < ms) {
    st.beginCycle(cycle++);
    if (ct.idRegen) st.newIds();
    if (ct.signal === 'traces') st.drawJitter(10);
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
    stampSpansPerSec, naiveSpansPerSec, ratio: stampSpansPerSec / naiveSpansPerSec, metrics: runMetricsStampBench(ms),
  };
}

/** Metrics through the stamper, one request per resource, with continuity off and on (interleaved runs, best of each). */
export function runMetricsStampBench(ms = 2000): MetricsStampBenchResult {
  const tpl = metricsTemplate();
  const opts = { idRegen: false, timestamps: true, encodings: ['proto' as const], maxItems: 100 };
  const plain = compile([tpl], opts);
  const cont = compile([tpl], { ...opts, continuity: true });
  benchStamp(plain, 300);
  benchStamp(cont, 300);
  let timesOnly = 0, continuity = 0;
  for (let k = 0; k < 2; k++) {
    timesOnly = Math.max(timesOnly, benchStamp(plain, ms / 2));
    continuity = Math.max(continuity, benchStamp(cont, ms / 2));
  }
  return { points: plain.totalEvents, timesOnlyPointsPerSec: timesOnly, continuityPointsPerSec: continuity, ratio: continuity / timesOnly };
}

export function formatStampBench(r: StampBenchResult): string {
  const m = (n: number) => `${(n / 1e6).toFixed(2)}M`;
  return [
    `stamp bench: ${r.spans} spans in ${r.frames} frame(s), ${(r.frameBytes / 1e6).toFixed(2)} MB`,
    `  stamp (copy + ids + times): ${m(r.stampSpansPerSec)} spans/s`,
    `  naive (decode/copy/encode): ${m(r.naiveSpansPerSec)} spans/s`,
    `  ratio: ${r.ratio.toFixed(1)}x`,
    formatMetricsStampBench(r.metrics),
  ].join('\n');
}

export function formatMetricsStampBench(r: MetricsStampBenchResult): string {
  const m = (n: number) => `${(n / 1e6).toFixed(2)}M`;
  return [
    `metrics stamp bench: ${r.points} points (sums, 8-bucket histograms, gauges)`,
    `  times only (continuity: false): ${m(r.timesOnlyPointsPerSec)} points/s`,
    `  continuity (times, starts, values): ${m(r.continuityPointsPerSec)} points/s (${(r.ratio * 100).toFixed(0)} %)`,
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(formatStampBench(runStampBench()));
}
