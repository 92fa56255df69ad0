/**
 * `record` and `inspect`, measured for `npm run bench` (called from bench/run.ts):
 *
 * 1. record throughput: the bench template's frames (1000 spans each) sent through the
 *    real gRPC exporter, 4 in flight, into `otel-replayd record` in its own process.
 *    Accepted spans/s come from the recorder's own 1 s progress lines; written spans/s
 *    are the spans in its file over its own window (first to last arrival, from
 *    recording.yaml), plus how long finishing the files took after the stop.
 * 2. inspect speed: a recording of ≥ 500 MB (length-prefixed requests, uncompressed),
 *    made from the same frames with a fresh trace id per copy, read by `otel-replayd
 *    inspect --json` in its own process: its own read time, MB/s and peak RSS. The file
 *    lives in the bench's temp folder and is deleted afterwards.
 */
import { execFile } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { compile } from '../src/compile/compile.js';
import { recordPrefix } from '../src/otlp/wire/records.js';
import { loadTemplate } from '../src/receivers/template.js';
import { rssMb, spawnJsonLines } from './child-process.js';
import { measureTransport, type TransportFrame } from './transport.js';

export interface RecordBench {
  sentSpansPerSec: number;
  acceptedSpansPerSec: number;
  writtenSpansPerSec: number;
  spansWritten: number;
  finishSeconds: number;
  diskMb: number;
  compression: number;
  refused: number;
}

export interface InspectBench {
  fileMb: number;
  spans: number;
  traces: number;
  seconds: number;
  mbPerSec: number;
  spansPerSec: number;
  peakRssMb: number;
}

async function frames(template: string): Promise<{ frames: TransportFrame[]; traceIdSites: Uint32Array[] }> {
  const c = compile([await loadTemplate(template, 'traces')], { idRegen: true, timestamps: true, maxItems: 1000, encodings: ['proto'] });
  return { frames: c.frames.map((f) => ({ body: f.proto!.bytes, events: f.events })), traceIdSites: c.frames.map((f) => f.proto!.traceIds) };
}

/** Sends the template's frames into `record` for `seconds` and reads the recorder's own numbers. */
export async function runRecordBench(cli: string, dir: string, template: string, seconds: number): Promise<RecordBench> {
  const out = join(dir, 'recording');
  const rec = spawnJsonLines([cli, 'record', '--grpc', '127.0.0.1:0', '--out', out, '--interval', '1s', '--signals', 'traces'], { inheritStderr: true });
  try {
    const listening = await rec.waitFor((l) => l.msg === 'recorder listening', 30_000);
    const { frames: fs } = await frames(template);
    const sent = await measureTransport({ type: 'otlp_grpc', endpoint: String(listening.grpc), frames: fs, inFlight: 4, durationMs: seconds * 1000, warmUpMs: 1000 });
    const stopAt = Date.now();
    rec.child.kill('SIGTERM');
    await rec.exited;
    const written = rec.lines.find((l) => l.msg === 'recording written') as Record<string, any>;
    const progress = rec.lines.filter((l) => l.msg === 'recording');
    // Accepted: between the recorder's first and last progress lines that saw traffic.
    const busy = progress.filter((l, i) => i > 0 && (l.traces as any).events > (progress[i - 1]!.traces as any).events);
    const a = progress[progress.indexOf(busy[0]!) - 1]!, b = busy.at(-1)!;
    const acceptedSpansPerSec = ((b.traces as any).events - (a.traces as any).events) / ((Number(b.time) - Number(a.time)) / 1000);
    const meta = parse(readFileSync(join(out, 'recording.yaml'), 'utf8'));
    const arrivals: number[] = meta.arrivals_ms.traces;
    const window = (arrivals.at(-1)! - arrivals[0]!) / 1000;
    return {
      sentSpansPerSec: sent.eventsPerSec,
      acceptedSpansPerSec,
      writtenSpansPerSec: meta.signals.traces.spans / window,
      spansWritten: meta.signals.traces.spans,
      finishSeconds: (Number(written.time) - stopAt) / 1000,
      diskMb: written.diskBytes / 1e6,
      compression: meta.signals.traces.uncompressed_bytes / meta.signals.traces.bytes,
      refused: written.refusedRequests,
    };
  } finally {
    if (rec.child.exitCode === null) rec.child.kill('SIGKILL');
    rmSync(out, { recursive: true, force: true });
  }
}

/** Writes a ≥ `minMb` recording of the template's frames (a new trace id per copy) and times `inspect` on it. */
export async function runInspectBench(cli: string, dir: string, template: string, minMb: number): Promise<InspectBench> {
  const file = join(dir, 'big-traces.pb');
  const { frames: fs, traceIdSites } = await frames(template);
  const fd = openSync(file, 'w');
  let bytes = 0;
  let spans = 0;
  try {
    for (let copy = 1; bytes < minMb * 1e6; copy++) {
      for (let i = 0; i < fs.length; i++) {
        const body = Buffer.from(fs[i]!.body);
        const sites = traceIdSites[i]!;
        for (let k = 0; k < sites.length; k += 2) body.writeUInt32LE(copy, sites[k]!);
        writeSync(fd, recordPrefix(body.length));
        writeSync(fd, body);
        bytes += body.length + 4;
        spans += fs[i]!.events;
      }
    }
  } finally {
    closeSync(fd);
  }
  try {
    let peak = 0;
    const stdout = await new Promise<string>((resolve, reject) => {
      const child = execFile(process.execPath, [cli, 'inspect', '--json', file], { maxBuffer: 64 * 1024 * 1024 }, (err, out) => (err ? reject(err) : resolve(out)));
      const sampler = setInterval(() => {
        try {
          peak = Math.max(peak, rssMb(child.pid!).hwm);
        } catch {
          /* exited */
        }
      }, 200);
      child.on('exit', () => clearInterval(sampler));
    });
    const report = JSON.parse(stdout)[0];
    if (report.events !== spans) throw new Error(`inspect counted ${report.events} spans, the file holds ${spans}`);
    const fileMb = statSync(file).size / 1e6;
    return { fileMb, spans, traces: report.figures.traces, seconds: report.seconds, mbPerSec: fileMb / report.seconds, spansPerSec: spans / report.seconds, peakRssMb: peak };
  } finally {
    rmSync(file, { force: true });
  }
}

export function formatRecordBench(r: RecordBench): string {
  return `record (gRPC, 4 in flight, 1000-span requests): sent ${(r.sentSpansPerSec / 1e3).toFixed(0)}k spans/s, accepted ${(r.acceptedSpansPerSec / 1e3).toFixed(0)}k spans/s (recorder's 1 s lines), ` +
    `written ${(r.writtenSpansPerSec / 1e3).toFixed(0)}k spans/s (${r.spansWritten} spans over its arrival window), files finished ${r.finishSeconds.toFixed(2)}s after SIGTERM, ` +
    `${r.diskMb.toFixed(1)} MB on disk (gzip ${r.compression.toFixed(1)}x), refused ${r.refused}`;
}

export function formatInspectBench(r: InspectBench): string {
  return `inspect ${r.fileMb.toFixed(0)} MB recording (${(r.spans / 1e6).toFixed(1)}M spans, ${(r.traces / 1e3).toFixed(0)}k traces): ${r.seconds.toFixed(1)}s = ${r.mbPerSec.toFixed(0)} MB/s, ` +
    `${(r.spansPerSec / 1e6).toFixed(2)}M spans/s, peak RSS ${r.peakRssMb.toFixed(0)} MB`;
}
