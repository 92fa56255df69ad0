/** The `template` receiver: replays template files, one per signal. */
import { resolve } from 'node:path';
import { isFile, isMapping } from '../config/schema.js';
import { TemplateError } from '../errors.js';
import { SIGNAL_NAMES } from '../otlp/signals.js';
import { LOOPS_KEY, loopsText, type ReceiverConfig, type ReceiverFactory } from './receiver.js';
import { recordedArrivals, templatePace } from './recorded-pace.js';
import { loadTemplate } from './template.js';

export interface TemplateReceiverConfig extends ReceiverConfig {
  /** Absolute paths (resolved against the config file's folder). */
  traces?: string;
  metrics?: string;
  logs?: string;
  /** `recorded`: send each recorded request at its recorded time within the cycle, scaled by 1/speed. */
  pace: 'none' | 'recorded';
  speed: number;
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
  },
  parse(raw, ctx) {
    const s = ctx.section(raw, this.keys);
    const cfg: TemplateReceiverConfig = {
      type: this.type, id: ctx.id, loops: s.number('loops', { integer: true, min: 0 })!,
      pace: s.oneOf('pace', ['none', 'recorded'] as const)!, speed: s.number('speed', { positive: true })!,
    };
    if (cfg.pace === 'none' && s.has('speed')) s.problem('speed', 'only applies with pace: recorded');
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
    return `template ${files.join(', ')}, ${loopsText(c.loops)}${pace}`;
  },
  dataPath: (c, signal) => `receivers.${c.id}.${signal}`,
  sameDataInEveryWorker: true,
  templateBytes: (c, signal, fileBytes) => (c[signal] === undefined ? 0 : fileBytes(c[signal])),
  signalProblem: (c, signal) => (c[signal] === undefined ? `has no ${signal} file (set receivers.${c.id}.${signal})` : undefined),
  open(c, signal, _worker, load) {
    const file = c[signal];
    return {
      loops: c.loops,
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
