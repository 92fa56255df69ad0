import { parseArgs } from 'node:util';
import type { ConfigOverrides } from '../config/load.js';
import { ConfigError, UsageError } from '../errors.js';
import { createLogger } from '../log.js';
import { checkReportFile } from './report-files.js';
import { loadChecked, logCapacity, type Checked } from './checked-config.js';
import { Daemon } from './daemon.js';
import { LOG_LEVEL_ENV, logLevelOf, replicaFlagOf } from './flags.js';


const USAGE = `otel-replayd — run the pipelines of a config

Usage: otel-replayd [run] --config FILE [--log-level LEVEL] [--replica I/N] [--allow-export-failures]
                          [--report FILE.html|FILE.json]...

  -c, --config FILE    the config (YAML); - reads it from stdin, and relative paths in
                       it then resolve against the current folder
  --replica I/N        run as replica I of N (0-based): every rate is split over the N
                       replicas; overrides service.replicas, whose defaults come from
                       \$JOB_COMPLETION_INDEX or a StatefulSet pod's hostname
  --log-level LEVEL    trace, debug, info, warn, error, fatal or silent; default
                       \$${LOG_LEVEL_ENV}, else service.telemetry.logs.level (info).
                       The summary at the end is printed at any level.
  --allow-export-failures
                       exit 0 even if requests failed permanently (as
                       service.allow_export_failures: true does)
  --report FILE        at exit, write the run's charts, summary and config (secrets
                       redacted) as one self-contained FILE.html or as FILE.json;
                       repeatable
  -h, --help           this help

Signals: SIGHUP reloads FILE (a bad file is logged and the pipelines keep running);
SIGINT/SIGTERM drain and exit 0 with the summary; a second one exits 130 at once.
Exit codes: 0 done, 1 runtime failure (e.g. a port in use) or requests that failed
permanently (the summary names the exporter, how many and the last error), 2 bad
config, bad template or usage, 130 forced stop.
`;

/**
 * The daemon: runs the pipelines of a config until their loops end, `service.duration`
 * passes or a signal arrives. SIGHUP reloads; SIGINT/SIGTERM drain; a second one exits now.
 */
export async function main(args: string[]): Promise<number> {
  let file: string | undefined;
  let flagLevel: string | undefined;
  let allowExportFailures = false;
  const overrides: ConfigOverrides = {};
  let reports: string[] = [];
  try {
    const { values } = parseArgs({
      args: args[0] === 'run' ? args.slice(1) : args,
      options: {
        config: { type: 'string', short: 'c' }, 'log-level': { type: 'string' }, 'allow-export-failures': { type: 'boolean' }, replica: { type: 'string' },
        report: { type: 'string', multiple: true },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    });
    if (values.help) {
      process.stdout.write(USAGE);
      return 0;
    }
    file = values.config;
    flagLevel = values['log-level'];
    allowExportFailures = values['allow-export-failures'] === true;
    if (!file) throw new UsageError('--config is required');
    if (values.replica !== undefined) overrides.replica = replicaFlagOf(values.replica);
    reports = (values.report ?? []).map(checkReportFile);
    // Checked before the config is read, so a typo is reported as what it is.
    logLevelOf(flagLevel, process.env, 'info');
  } catch (err) {
    process.stderr.write(`otel-replayd: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  let checked: Checked;
  try {
    checked = loadChecked(file, overrides);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      return 2;
    }
    throw err;
  }
  return runDaemon(checked, { file, flagLevel, allowExportFailures, overrides, reports });
}

/**
 * Runs a loaded, checked config until it ends; resolves with the exit code. `file` is
 * what SIGHUP reloads (FROM_FLAGS and STDIN cannot be read again).
 */
export async function runDaemon(
  checked: Checked,
  opts: { file: string; flagLevel: string | undefined; allowExportFailures: boolean; overrides?: ConfigOverrides; reports?: string[] },
): Promise<number> {
  const { cfg, capacity } = checked;
  const logLevel = logLevelOf(opts.flagLevel, process.env, cfg.service.telemetry.logLevel);
  const log = createLogger({ level: logLevel });
  logCapacity(log, capacity);
  return new Daemon(cfg, opts.file, log, logLevel, { overrides: opts.overrides, allowExportFailures: opts.allowExportFailures, reports: opts.reports }).run();
}
