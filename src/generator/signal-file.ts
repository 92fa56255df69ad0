import { writeSync } from 'node:fs';
import { join } from 'node:path';
import { FileReplacement } from '../output-files.js';
import { SIGNALS, type Signal } from '../otlp/signals.js';
import type { GeneratorConfig } from './config.js';
import { signalBlocks } from './dataset.js';
import { encodeBlock } from './encode.js';
import type { SpanRef } from './traces.js';
import { WireWriter } from './wire-writer.js';

/** Encoded blocks are collected up to about this many bytes per write(2). */
const FLUSH_BYTES = 4 * 1024 * 1024;

export interface SignalFile {
  signal: Signal;
  /** File name of the .pb, relative to the output folder. */
  name: string;
  bytes: number;
  /** Bytes of the OTLP/JSON copy, when one was asked for. */
  jsonBytes?: number;
  events: number;
  largestBlock: number;
}

/** One block as an OTLP/JSON request (encodeOtlpJson); passed in so the protobufjs-based JSON writer loads only when asked for. */
export type JsonLine = (signal: Signal, request: unknown) => string;

/**
 * Writes `<prefix>-<signal>.pb` (and .json, given `jsonLine`) for each signal of a group, in order. An
 * Export*ServiceRequest is a concatenation of field-1 entries, so blocks are encoded
 * and written as they come: a file is never held in memory whole. Correlated logs
 * point at spans of the traces written before them, so they share a group with traces.
 */
export function writeSignalFiles(cfg: GeneratorConfig, signals: readonly Signal[], outDir: string, jsonLine: JsonLine | undefined, onEvents: (n: number) => void): SignalFile[] {
  const refs: SpanRef[] | undefined = cfg.logs?.correlate && signals.includes('traces') ? [] : undefined;
  const w = new WireWriter(FLUSH_BYTES * 2);
  return signals.map((signal) => writeOne(cfg, signal, outDir, jsonLine, w, refs, onEvents));
}

function writeOne(cfg: GeneratorConfig, signal: Signal, outDir: string, jsonLine: JsonLine | undefined, w: WireWriter, refs: SpanRef[] | undefined, onEvents: (n: number) => void): SignalFile {
  const name = `${cfg.output.prefix}-${signal}.pb`;
  const path = join(outDir, name);
  const files: FileReplacement[] = [];
  try {
    const pb = new FileReplacement(path);
    files.push(pb);
    const json = jsonLine ? new FileReplacement(path.replace(/\.pb$/, '.json')) : undefined;
    if (json) files.push(json);
    const out: SignalFile = { signal, name, bytes: 0, events: 0, largestBlock: 0, ...(json ? { jsonBytes: 0 } : {}) };
    for (const block of signalBlocks(signal, cfg, cfg.seed, { refs })) {
      out.largestBlock = Math.max(out.largestBlock, encodeBlock(w, signal, block));
      if (w.pos >= FLUSH_BYTES) out.bytes += flush(pb.fd, w);
      if (json) {
        // JSON lines, one request per block: the Collector file exporter's layout, which the template receiver reads.
        const line = `${jsonLine!(signal, { [SIGNALS[signal].resources]: [block.resource] })}\n`;
        out.jsonBytes! += writeSync(json.fd, line);
      }
      out.events += block.events;
      onEvents(block.events);
    }
    out.bytes += flush(pb.fd, w);
    for (const f of files) f.commit();
    return out;
  } catch (err) {
    for (const f of files) f.abort();
    throw err;
  } finally {
    w.reset();
  }
}

function flush(fd: number, w: WireWriter): number {
  const view = w.view();
  let done = 0;
  while (done < view.length) done += writeSync(fd, view, done);
  w.reset();
  return done;
}
