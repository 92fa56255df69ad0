#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../package-root.js';

const USAGE = `otel-replayd — replays OpenTelemetry traces, metrics and logs to OTLP endpoints

Usage:
  otel-replayd --config FILE [--log-level LEVEL] [--report run.html|run.json]...
                                          run the pipelines in FILE (SIGHUP reloads it);
                                          --report writes the run's charts, summary and
                                          config (secrets redacted) at exit
  otel-replayd validate --config FILE [--skip-templates]
                                          check a config as a run would (templates, TLS
                                          files, limits) and print every problem
  otel-replayd sink [--grpc ADDR] [--http ADDR] [--verify] [--report FILE] ...
                                          run the built-in OTLP sink (see: sink --help)
  otel-replayd generate --config FILE [--out DIR] [--seed N] [--json] [--threads N]
                                          write realistic template files (see: generate --help)
  otel-replayd --help | --version

Exit codes: 0 done, 1 runtime failure, 2 bad config, bad template or usage, 130 forced stop.
`;

type Command = (args: string[]) => Promise<number>;

const COMMANDS: Record<string, () => Promise<Command>> = {
  run: async () => (await import('./run.js')).main,
  validate: async () => (await import('./validate.js')).main,
  sink: async () => (await import('./sink.js')).main,
  generate: async () => (await import('./generate.js')).main,
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
  const load = COMMANDS[first];
  if (load) return (await load())(rest);
  if (first.startsWith('-')) return (await COMMANDS.run!())(argv);
  process.stderr.write(`otel-replayd: unknown command "${first}"\n\n${USAGE}`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Everything should be closed by now; if a stray handle keeps the loop alive, do not hang.
    setTimeout(() => process.exit(code), 2000).unref();
  },
  (err: unknown) => {
    process.stderr.write(`otel-replayd: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
