/** `otel-replayd validate --config FILE [--skip-templates]`: check a config as a run would, without running it. */
import { parseArgs } from 'node:util';
import { describeConfig, loadConfig, type ConfigOverrides } from '../config/load.js';
import type { ReplaydConfig } from '../config/types.js';
import { ConfigError, type ConfigProblem } from '../errors.js';
import { EVENT_NAMES } from '../otlp/signals.js';
import type { Capacity } from '../service/capacity.js';
import { preflight } from '../service/preflight.js';
import { checkTemplates, type LoadedPipeline } from '../service/template-check.js';
import { formatSize } from '../units.js';
import { replicaFlagOf } from './flags.js';

const USAGE = 'usage: otel-replayd validate --config FILE [--skip-templates] [--replica I/N]   (-c FILE; - reads the config from stdin)';

/**
 * Loads what a run loads (config, TLS files, templates) and checks what a run checks
 * before it starts (capacity). Exit 0 with a summary on stdout; exit 2 with one problem
 * per line on stderr. Warnings a run would log go to stderr either way.
 */
export async function main(args: string[]): Promise<number> {
  let file: string | undefined;
  let skipTemplates = false;
  const overrides: ConfigOverrides = {};
  try {
    const { values } = parseArgs({
      args,
      options: { config: { type: 'string', short: 'c' }, 'skip-templates': { type: 'boolean' }, replica: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    });
    if (values.help) {
      process.stdout.write(`${USAGE}\n  --skip-templates   do not load the templates (faster; only the rest is checked)\n  --replica I/N      check it as replica I of N would run it (as run --replica)\n`);
      return 0;
    }
    file = values.config;
    skipTemplates = values['skip-templates'] === true;
    if (values.replica !== undefined) overrides.replica = replicaFlagOf(values.replica);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (!file) {
    process.stderr.write(`--config is required\n${USAGE}\n`);
    return 2;
  }
  let cfg: ReplaydConfig;
  try {
    cfg = loadConfig(file, process.env, overrides);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return report(err.file ?? file, err.problems);
  }
  const { problems, capacity } = preflight(cfg);
  const templates = skipTemplates ? undefined : await checkTemplates(cfg);
  for (const w of templates?.warnings ?? []) process.stderr.write(`warning: ${w.path}: ${w.message}\n`);
  problems.push(...(templates?.problems ?? []));
  if (problems.length > 0) return report(cfg.file, problems);
  process.stdout.write(`${describeConfig(cfg)}\n${loaded(cfg, templates?.pipelines)}\n${capacityLine(capacity)}\nconfig is valid\n`);
  return 0;
}

function report(file: string, problems: ConfigProblem[]): number {
  for (const p of problems) process.stderr.write(`${file}: ${p.path ? `${p.path}: ` : ''}${p.message}\n`);
  process.stderr.write(`${problems.length} problem${problems.length === 1 ? '' : 's'} found\n`);
  return 2;
}

function loaded(cfg: ReplaydConfig, pipelines: LoadedPipeline[] | undefined): string {
  if (!pipelines) return 'templates: not loaded (--skip-templates)';
  const lines = pipelines.map((p) => {
    const events = EVENT_NAMES[cfg.service.pipelines[p.pipeline]!.signal];
    return `  ${p.pipeline}: ${p.events} ${events} in ${p.frames} request${p.frames === 1 ? '' : 's'}, ${formatSize(p.bytes)} compiled (per worker)`;
  });
  return ['templates loaded:', ...lines].join('\n');
}

function capacityLine(c: Capacity): string {
  return `capacity: ${c.threads} worker thread${c.threads === 1 ? '' : 's'} (at most ${c.threadLimit}), ` +
    `about ${formatSize(c.memory)} of memory (at most ${formatSize(c.memoryLimit)}: ${c.memoryLimitSource})`;
}
