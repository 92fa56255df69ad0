#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ReplaydError, UsageError } from '../errors.js';
import { packageRoot } from '../package-root.js';
import { holdSignals } from './early-signals.js';

const USAGE = `otel-replayd — replays OpenTelemetry traces, metrics and logs to OTLP endpoints

Usage:
  otel-replayd [run] --config FILE [--log-level LEVEL] [--allow-export-failures]
               [--report run.html|run.json]...
                                          run the pipelines in FILE (SIGHUP reloads it;
                                          see: run --help); --report writes the run's
                                          charts, summary and config (secrets redacted)
  otel-replayd send traces|metrics|logs [--template FILE | --generate] [--rate N]
               [--duration D] [--workers W] [--endpoint URL] [--protocol P] [--header k=v]...
               [--insecure] [--service NAME] [--attribute k=v]... [--print-config]
                                          send from flags alone, as telemetrygen does
                                          (see: send --help)
  otel-replayd capacity --config FILE [--pipeline ID] [--json]
                                          find the highest rate the endpoint sustains
                                          (see: capacity --help)
  otel-replayd validate --config FILE [--skip-templates]
                                          check a config as a run would (templates, TLS
                                          files, limits) and print every problem
  otel-replayd sink [--grpc ADDR] [--http ADDR] [--verify] [--report FILE] ...
                                          run the built-in OTLP sink (see: sink --help)
  otel-replayd generate --config FILE [--out DIR] [--seed N] [--json] [--threads N]
                                          write realistic template files (see: generate --help)
  otel-replayd record [--grpc ADDR] [--http ADDR] --out DIR [--duration D] [--max-size SIZE] ...
                                          record OTLP traffic into templates (see: record --help)
  otel-replayd inspect FILE... [--json]   what a template or recording holds, and its problems
  otel-replayd report merge FILE.json... [--html OUT.html] [--json OUT.json]
                                          sum the --report files of a scaled-out run's
                                          replicas into one report (see: report --help)
  otel-replayd --help | --version

-c is short for --config; --config - reads the config from stdin. The log level is
--log-level, else $OTEL_REPLAYD_LOG_LEVEL, else the config's service.telemetry.logs.level.
Exit codes: 0 done, 1 runtime failure or requests that failed permanently (unless
--allow-export-failures), 2 bad config, bad template or usage, 130 forced stop.
`;

type Command = (args: string[]) => Promise<number>;

/** Commands that run until stopped: a stop signal during their start-up must not kill them silently. */
const LONG_RUNNING = new Set(['run', 'send', 'sink']);

const COMMANDS: Record<string, () => Promise<Command>> = {
  run: async () => (await import('./run.js')).main,
  send: async () => (await import('./send.js')).main,
  validate: async () => (await import('./validate.js')).main,
  capacity: async () => (await import('./capacity.js')).main,
  sink: async () => (await import('./sink.js')).main,
  generate: async () => (await import('./generate.js')).main,
  record: async () => (await import('./record.js')).main,
  inspect: async () => (await import('./inspect.js')).main,
  report: async () => (await import('./report.js')).main,
};

async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === '--version' || first === '-v') {
    const pkg = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string };
    process.stdout.write(`otel-replayd ${pkg.version}\n`);
    return 0;
  }
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    process.stdout.write(USAGE);
    return first === undefined ? 2 : 0;
  }
  const name = COMMANDS[first] ? first : first.startsWith('-') ? 'run' : undefined;
  if (name) {
    if (LONG_RUNNING.has(name)) holdSignals();
    return (await COMMANDS[name]!())(name === first ? rest : argv);
  }
  process.stderr.write(`otel-replayd: unknown command "${first}"\n\n${USAGE}`);
  return 2;
}

function exit(code: number): void {
  process.exitCode = code;
  // Everything should be closed by now; if a stray handle keeps the loop alive, do not hang.
  setTimeout(() => process.exit(code), 2000).unref();
}

main(process.argv.slice(2)).then(exit, (err: unknown) => {
  // Our own errors carry a message meant for the user; anything else is a bug, and its stack helps.
  const known = err instanceof ReplaydError;
  process.stderr.write(`otel-replayd: ${known ? err.message : ((err as Error)?.stack ?? String(err))}\n`);
  exit(err instanceof UsageError ? 2 : 1);
});
