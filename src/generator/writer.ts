import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ReplaydError } from '../errors.js';
import { encodeOtlpJson } from '../otlp/json-encode.js';
import { SIGNAL_NAMES, type Signal } from '../otlp/signals.js';
import { type GeneratorConfig, toYamlForm } from './config.js';
import { estimate, signalBlocks, topologyOf } from './dataset.js';
import type { SpanRef } from './traces.js';
import { REQUEST_FIELD, encodeBlock } from './encode.js';
import { WireWriter } from './wire-writer.js';

/** Assumed exporter concurrency and frame size for the sender memory estimate. */
const IN_FLIGHT = 10;
const FRAME_BYTES = 4 * 1024 * 1024;
/** Encoded blocks are collected up to about this many bytes per write(2). */
const FLUSH_BYTES = 4 * 1024 * 1024;

export interface WriteOptions {
  outDir: string;
  json: boolean;
  /** Where to draw a progress bar (stderr on a TTY), or undefined for none. */
  progress?: { write(s: string): unknown; columns?: number };
}

export interface WriteResult {
  files: string[];
  metadata: Record<string, unknown>;
}

/** Refuses datasets estimated above `cfg.maxSize`, before anything is written. */
export function checkSize(cfg: GeneratorConfig, json: boolean): void {
  const est = estimate(cfg);
  const total = json ? est.bytes * 3.5 : est.bytes;
  if (total > cfg.maxSize) {
    throw new ReplaydError(
      'ERR_GENERATOR_TOO_LARGE',
      `dataset would be about ${mb(total)} (${est.spans} spans, ${est.points} data points, ${est.logs} log records${json ? ', with OTLP/JSON copies' : ''}), above max_size ${mb(cfg.maxSize)}; raise max_size or reduce the counts`,
    );
  }
}

function mb(bytes: number): string {
  return bytes >= 1e9 ? `${(bytes / 1e9).toFixed(2)} GB` : `${(bytes / 1e6).toFixed(1)} MB`;
}

/**
 * Writes `<prefix>-<signal>.pb` for every configured signal and `<prefix>-metadata.yaml`.
 * An Export*ServiceRequest is a concatenation of field-1 entries, so each resource block
 * is encoded and written on its own: a file is never held in memory whole.
 */
export function writeDataset(cfg: GeneratorConfig, opts: WriteOptions): WriteResult {
  checkSize(cfg, opts.json);
  mkdirSync(opts.outDir, { recursive: true });
  const est = estimate(cfg);
  const totalEvents = est.spans + est.points + est.logs;
  const bar = progressBar(opts.progress, totalEvents);
  const counts = { traces: est.traces, spans: 0, services: cfg.traces ? topologyOf(cfg).services.length : 0, metric_series: 0, data_points: 0, log_records: 0 };
  const files: Record<string, { path: string; bytes: number; json_bytes?: number }> = {};
  const written: string[] = [];
  const refs: SpanRef[] | undefined = cfg.logs?.correlate && cfg.traces ? [] : undefined;
  let largestBlock = 0;
  const w = new WireWriter(FLUSH_BYTES * 2);
  for (const signal of SIGNAL_NAMES) {
    if (!cfg[signal]) continue;
    const name = `${cfg.output.prefix}-${signal}.pb`;
    const path = join(opts.outDir, name);
    const fd = openSync(path, 'w');
    const jsonFd = opts.json ? openSync(path.replace(/\.pb$/, '.json'), 'w') : undefined;
    let bytes = 0;
    let jsonBytes = 0;
    let events = 0;
    try {
      for (const block of signalBlocks(signal, cfg, cfg.seed, { refs })) {
        largestBlock = Math.max(largestBlock, encodeBlock(w, signal, block));
        if (w.pos >= FLUSH_BYTES) bytes += flush(fd, w);
        if (jsonFd !== undefined) {
          // JSON lines, one request per block: the Collector file exporter's layout, which the template receiver reads.
          const line = `${encodeOtlpJson(signal, { [REQUEST_FIELD[signal]]: [block.resource] })}\n`;
          jsonBytes += writeSync(jsonFd, line);
        }
        events += block.events;
        bar.add(block.events);
      }
      bytes += flush(fd, w);
    } finally {
      w.reset();
      closeSync(fd);
      if (jsonFd !== undefined) closeSync(jsonFd);
    }
    if (signal === 'traces') counts.spans = events;
    if (signal === 'metrics') counts.metric_series = counts.data_points = events;
    if (signal === 'logs') counts.log_records = events;
    files[signal] = { path: name, bytes, ...(opts.json ? { json_bytes: jsonBytes } : {}) };
    written.push(path);
    if (jsonFd !== undefined) written.push(path.replace(/\.pb$/, '.json'));
  }
  bar.done();
  const pbBytes = Object.values(files).reduce((a, f) => a + f.bytes, 0);
  const compiled = Math.round(pbBytes * 1.5);
  const inFlight = IN_FLIGHT * Math.min(FRAME_BYTES, Math.max(largestBlock, 1)) * 2;
  const metadata = {
    generator: 'otel-replayd generate',
    seed: cfg.seed,
    counts,
    files,
    sender_memory: {
      bytes: compiled + inFlight,
      human: mb(compiled + inFlight),
      how: `compiled templates ≈ 1.5 × ${pbBytes} bytes of .pb (frames plus patch-site tables) + in-flight buffers ≈ ${IN_FLIGHT} requests in flight × 2 (stamped copy and exporter copy) × min(4 MiB, largest resource block ${largestBlock} bytes); more with workers > 1 (each worker compiles its own copy)`,
    },
    config: toYamlForm(cfg),
  };
  const metaPath = join(opts.outDir, `${cfg.output.prefix}-metadata.yaml`);
  writeFileSync(metaPath, stringify(metadata));
  written.push(metaPath);
  return { files: written, metadata };
}

function flush(fd: number, w: WireWriter): number {
  const view = w.view();
  let done = 0;
  while (done < view.length) done += writeSync(fd, view, done);
  w.reset();
  return done;
}

function progressBar(out: WriteOptions['progress'], total: number): { add(n: number): void; done(): void } {
  if (!out || total === 0) return { add() {}, done() {} };
  let doneEvents = 0;
  let shown = -1;
  const draw = (): void => {
    const pct = Math.min(100, Math.floor((doneEvents / total) * 100));
    if (pct === shown) return;
    shown = pct;
    const width = Math.max(10, Math.min(40, (out.columns ?? 80) - 30));
    const fill = Math.round((pct / 100) * width);
    out.write(`\rgenerating [${'#'.repeat(fill)}${'-'.repeat(width - fill)}] ${pct}%`);
  };
  return {
    add(n) {
      doneEvents += n;
      draw();
    },
    done() {
      doneEvents = total;
      draw();
      out.write('\n');
    },
  };
}
