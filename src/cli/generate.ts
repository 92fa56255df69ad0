import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { ConfigError, type ConfigProblem, ReplaydError, UsageError } from '../errors.js';
import { type GeneratorConfig, parseGeneratorConfig } from '../generator/config.js';
import { writeDataset } from '../generator/writer.js';
import { parseSeedFlag } from './flags.js';

const USAGE = `otel-replayd generate — write realistic OTLP template files

Usage: otel-replayd generate --config FILE [--out DIR] [--seed N] [--json] [--threads N]

  --config FILE   generator config (the seed tool's keys: output, traces, metrics, logs)
  --out DIR       output folder (default: output.directory, relative to the config file)
  --seed N        PRNG seed (default: the config's seed, else 1); same seed => same bytes
  --json          also write OTLP/JSON (JSON lines, one request per resource) beside each .pb
  --threads N     worker threads for the signals (default: cores, at most 2; 1 = this thread);
                  the files are the same either way

Writes <prefix>-traces.pb, -metrics.pb, -logs.pb (for each configured section) and
<prefix>-metadata.yaml. Exit codes: 0 done, 1 write failure, 2 bad config or usage.
`;

interface Flags {
  config: string;
  out?: string;
  seed?: number;
  json: boolean;
  threads?: number;
}

function parseFlags(args: string[]): Flags | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: { config: { type: 'string', short: 'c' }, out: { type: 'string' }, seed: { type: 'string' }, json: { type: 'boolean' }, threads: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) return 'help';
  if (!values.config) throw new UsageError('--config FILE is required');
  const seed = values.seed === undefined ? undefined : parseSeedFlag(values.seed);
  let threads: number | undefined;
  if (values.threads !== undefined) {
    threads = Number(values.threads);
    if (!/^\d+$/.test(values.threads) || threads < 1 || threads > 64) throw new UsageError(`--threads must be an integer from 1 to 64, got "${values.threads}"`);
  }
  return { config: values.config, out: values.out, seed, json: values.json === true, threads };
}

function loadGeneratorConfig(file: string): GeneratorConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError([{ path: '', message: `cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` }], file);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new ConfigError([{ path: '', message: `not valid YAML: ${(err as Error).message.split('\n')[0]}` }], file, 'ERR_CONFIG_YAML');
  }
  const problems: ConfigProblem[] = [];
  const cfg = parseGeneratorConfig(raw ?? {}, '', problems);
  if (problems.length > 0) throw new ConfigError(problems, file);
  if (!cfg.traces && !cfg.metrics && !cfg.logs) throw new ConfigError([{ path: '', message: 'nothing to generate: add a traces, metrics or logs section' }], file);
  return cfg;
}

export async function main(args: string[]): Promise<number> {
  let flags: Flags | 'help';
  let cfg: GeneratorConfig;
  try {
    flags = parseFlags(args);
    if (flags === 'help') {
      process.stdout.write(USAGE);
      return 0;
    }
    cfg = loadGeneratorConfig(flags.config);
  } catch (err) {
    process.stderr.write(`otel-replayd generate: ${(err as Error).message}\n${err instanceof UsageError ? USAGE : ''}`);
    return 2;
  }
  if (flags.seed !== undefined) cfg.seed = flags.seed;
  const outDir = flags.out ? resolve(flags.out) : resolve(dirname(resolve(flags.config)), cfg.output.directory);
  try {
    const { files, metadata } = await writeDataset(cfg, { outDir, json: flags.json, threads: flags.threads, progress: process.stderr.isTTY ? process.stderr : undefined });
    const c = metadata.counts as Record<string, number>;
    process.stdout.write(
      `generated ${c.traces} traces (${c.spans} spans, ${c.services} services), ${c.data_points} data points, ${c.log_records} log records with seed ${cfg.seed}\n` +
        files.map((f) => `  ${f}\n`).join(''),
    );
    return 0;
  } catch (err) {
    process.stderr.write(`otel-replayd generate: ${(err as Error).message}\n`);
    return err instanceof ReplaydError && err.code === 'ERR_GENERATOR_TOO_LARGE' ? 2 : 1;
  }
}
