/** `otel-replayd validate --config FILE`: check a config without running it. */
import { parseArgs } from 'node:util';
import { describeConfig, loadConfig } from '../config/load.js';
import { ConfigError } from '../errors.js';

const USAGE = 'usage: otel-replayd validate --config FILE   (-c FILE; - reads the config from stdin)';

/** Exit 0 with a summary on stdout; exit 2 with one problem per line on stderr. */
export async function main(args: string[]): Promise<number> {
  let file: string | undefined;
  try {
    const { values } = parseArgs({ args, options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: false });
    if (values.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    file = values.config;
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (!file) {
    process.stderr.write(`--config is required\n${USAGE}\n`);
    return 2;
  }
  try {
    const cfg = loadConfig(file);
    process.stdout.write(`${describeConfig(cfg)}\nconfig is valid\n`);
    return 0;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const name = err.file ?? file;
    for (const p of err.problems) process.stderr.write(`${name}: ${p.path ? `${p.path}: ` : ''}${p.message}\n`);
    process.stderr.write(`${err.problems.length} problem${err.problems.length === 1 ? '' : 's'} found\n`);
    return 2;
  }
}
