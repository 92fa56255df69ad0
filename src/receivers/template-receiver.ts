/** The `template` receiver: replays template files, one per signal. */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { boolOf, isFile, isMapping } from '../config/schema.js';
import { TemplateError } from '../errors.js';
import { SIGNAL_NAMES, type Signal } from '../otlp/signals.js';
import { LOOPS_KEY, loopsText, type ReceiverConfig, type ReceiverFactory } from './receiver.js';
import { recordedArrivals, templatePace } from './recorded-pace.js';
import { loadTemplate, type LoadOptions } from './template.js';
import { templateChunks, type StreamedTemplate } from './template-chunks.js';

export interface TemplateReceiverConfig extends ReceiverConfig {
  /** Absolute paths (resolved against the config file's folder). */
  traces?: string;
  metrics?: string;
  logs?: string;
  /** `recorded`: send each recorded request at its recorded time within the cycle, scaled by 1/speed. */
  pace: 'none' | 'recorded';
  speed: number;
  /** Stream mode: always, never, or for files of at least `streamThreshold` bytes. */
  stream: boolean | 'auto';
  streamThreshold: number;
  streamChunk: number;
  /** Absolute; where stream mode keeps compiled frame files. */
  cacheDir: string;
}

/** $XDG_CACHE_HOME/otel-replayd, else ~/.cache/otel-replayd. */
export function defaultCacheDir(): string {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'otel-replayd');
}

export const templateReceiver: ReceiverFactory<TemplateReceiverConfig> = {
  type: 'template',
  aliases: [],
  doc: 'Template files, one per signal: a protobuf request (.pb), length-prefixed requests (a recording, or the Collector file exporter\'s proto format) or OTLP/JSON (lines), optionally gzipped.',
  keys: {
    traces: { doc: 'Trace template file (.pb, a recording\'s traces.pb.gz, OTLP/JSON; optionally gzipped), relative to the config file.' },
    metrics: { doc: 'Metrics template file, relative to the config file.' },
    logs: { doc: 'Logs template file, relative to the config file.' },
    loops: LOOPS_KEY,
    pace: { doc: '`recorded`: send each recorded request at its own time, as it arrived when recorded (recording.yaml\'s `arrivals_ms`, else the earliest time it holds), cycle after cycle; a ratelimit caps on top. `none`: as fast as the processors allow.', default: 'none' },
    speed: { doc: 'With `pace: recorded`: how many times faster than recorded (2 = twice as fast, 0.5 = half).', default: 1 },
    stream: {
      doc: 'Read frames from disk instead of memory (templates larger than memory): true, false, or auto (files of at least stream_threshold). The template is compiled once into a frame file in cache_dir, reused while the file is unchanged.',
      default: 'auto',
    },
    stream_threshold: { doc: 'With stream: auto, templates of at least this size (uncompressed, for gzip) are streamed.', default: '256MiB' },
    stream_chunk: { doc: 'Stream mode compiles this much of the template at a time: trace time bases, trace copies and id groups are per chunk.', default: '32MiB' },
    cache_dir: { doc: 'Where stream mode keeps compiled frame files, relative to the config file (default $XDG_CACHE_HOME/otel-replayd, else ~/.cache/otel-replayd).' },
  },
  parse(raw, ctx) {
    const s = ctx.section(raw, this.keys);
    const cfg: TemplateReceiverConfig = {
      type: this.type, id: ctx.id, loops: s.number('loops', { integer: true, min: 0 })!,
      pace: s.oneOf('pace', ['none', 'recorded'] as const)!, speed: s.number('speed', { positive: true })!,
      stream: 'auto', streamThreshold: s.size('stream_threshold', { max: Number.MAX_SAFE_INTEGER })!,
      streamChunk: s.size('stream_chunk', { max: 1024 * 1024 * 1024 })!,
      cacheDir: s.has('cache_dir') ? resolve(ctx.baseDir, s.string('cache_dir')!) : defaultCacheDir(),
    };
    if (cfg.pace === 'none' && s.has('speed')) s.problem('speed', 'only applies with pace: recorded');
    const stream = s.value('stream');
    if (stream !== 'auto') {
      const b = boolOf(stream);
      if (b === undefined) s.problem('stream', `must be true, false or auto, got ${JSON.stringify(stream)}`);
      else cfg.stream = b;
    }
    for (const signal of SIGNAL_NAMES) {
      const rel = s.string(signal);
      if (rel === undefined) continue;
      if (rel === '') {
        s.problem(signal, 'must be a file path, got ""');
        continue;
      }
      const file = resolve(ctx.baseDir, rel);
      if (!isFile(file)) s.problem(signal, `template file ${file} does not exist`);
      cfg[signal] = file;
    }
    if (SIGNAL_NAMES.every((sig) => !s.has(sig)) && (raw == null || isMapping(raw))) {
      ctx.problems.push({ path: ctx.path, message: 'needs at least one of traces, metrics, logs' });
    }
    return cfg;
  },
  describe(c) {
    const files = SIGNAL_NAMES.filter((s) => c[s]).map((s) => `${s} ${c[s]}`);
    const pace = c.pace === 'recorded' ? `, paced as recorded${c.speed === 1 ? '' : ` ×${c.speed}`}` : '';
    const stream = c.stream === true ? ', streamed from disk' : '';
    return `template ${files.join(', ')}, ${loopsText(c.loops)}${pace}${stream}`;
  },
  dataPath: (c, signal) => `receivers.${c.id}.${signal}`,
  sameDataInEveryWorker: true,
  // A streamed template holds one chunk (and its frames) at a time.
  templateBytes: (c, signal, fileBytes) => (c[signal] === undefined ? 0 : streamed(c, fileBytes(c[signal])) ? c.streamChunk : fileBytes(c[signal])),
  signalProblem: (c, signal) => (c[signal] === undefined ? `has no ${signal} file (set receivers.${c.id}.${signal})` : undefined),
  open(c, signal, _worker, load) {
    const file = c[signal];
    const size = file ? fileSize(file) : undefined;
    return {
      loops: c.loops,
      streamed: file && size && streamed(c, loadedBytes(file, size.size)) ? streamedTemplate(c, file, signal, load, size) : undefined,
      async initial() {
        if (!file) throw new TemplateError(`receiver "${c.id}" has no ${signal} file`, { code: 'ERR_TEMPLATE_NOT_FOUND' });
        if (c.pace === 'none') return [await loadTemplate(file, signal, load)];
        const recorded = recordedArrivals(file, signal);
        // Its own times too: recording.yaml may not describe this file's requests.
        const data = await loadTemplate(file, signal, { ...load, requestTimes: true });
        data.pace = templatePace(data, recorded, c.speed);
        return [data];
      },
      refresh: () => undefined,
    };
  },
};

function streamed(c: TemplateReceiverConfig, fileBytes: number): boolean {
  return c.stream === 'auto' ? fileBytes >= c.streamThreshold : c.stream;
}

function fileSize(file: string): { size: number; mtimeMs: number } | undefined {
  try {
    const st = statSync(file);
    return { size: st.size, mtimeMs: st.mtimeMs };
  } catch {
    return undefined; // initial() reports it
  }
}

/** What the file takes once loaded: for gzip, its uncompressed size (the trailer's, mod 4 GiB, so never below the file's). */
function loadedBytes(file: string, size: number): number {
  if (size < 18) return size;
  const fd = openSync(file, 'r');
  try {
    const b = Buffer.alloc(4);
    readSync(fd, b, 0, 2, 0);
    if (b[0] !== 0x1f || b[1] !== 0x8b) return size;
    readSync(fd, b, 0, 4, size - 4);
    return Math.max(size, b.readUInt32LE(0));
  } finally {
    closeSync(fd);
  }
}

function streamedTemplate(c: TemplateReceiverConfig, file: string, signal: Signal, load: LoadOptions, st: { size: number; mtimeMs: number }): StreamedTemplate {
  return { file, ...st, cacheDir: c.cacheDir, chunkBytes: c.streamChunk, chunks: () => templateChunks(file, signal, load, c.streamChunk) };
}
