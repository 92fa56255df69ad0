/** The `template` receiver: replays template files, one per signal. */
import { resolve } from 'node:path';
import { isFile, isMapping } from '../config/schema.js';
import { TemplateError } from '../errors.js';
import { SIGNAL_NAMES } from '../otlp/signals.js';
import { LOOPS_KEY, loopsText, type ReceiverConfig, type ReceiverFactory } from './receiver.js';
import { loadTemplate } from './template.js';

export interface TemplateReceiverConfig extends ReceiverConfig {
  /** Absolute paths (resolved against the config file's folder). */
  traces?: string;
  metrics?: string;
  logs?: string;
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
  },
  parse(raw, ctx) {
    const s = ctx.section(raw, this.keys);
    const cfg: TemplateReceiverConfig = { type: this.type, id: ctx.id, loops: s.number('loops', { integer: true, min: 0 })! };
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
    return `template ${files.join(', ')}, ${loopsText(c.loops)}`;
  },
  dataPath: (c, signal) => `receivers.${c.id}.${signal}`,
  templateBytes: (c, signal, fileBytes) => (c[signal] === undefined ? 0 : fileBytes(c[signal])),
  signalProblem: (c, signal) => (c[signal] === undefined ? `has no ${signal} file (set receivers.${c.id}.${signal})` : undefined),
  open(c, signal, _worker, load) {
    const file = c[signal];
    return {
      loops: c.loops,
      async initial() {
        if (!file) throw new TemplateError(`receiver "${c.id}" has no ${signal} file`, { code: 'ERR_TEMPLATE_NOT_FOUND' });
        return [await loadTemplate(file, signal, load)];
      },
      refresh: () => undefined,
    };
  },
};
