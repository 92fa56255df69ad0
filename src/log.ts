import pino, { type Logger } from 'pino';

export type { Logger };

/** Whether a person watches: stdout is a terminal outside CI. Workers cannot tell, so they are told. */
export function prettyByDefault(): boolean {
  return process.stdout.isTTY === true && process.env.CI !== 'true';
}

/**
 * pino JSON everywhere; human-readable only when a person watches a terminal.
 * Header values (API keys) must never reach a log line: the `redact` paths are a
 * safety net, the real rule is that exporters never log their headers.
 */
export function createLogger(opts: { level?: string; pretty?: boolean; name?: string; stderr?: boolean } = {}): Logger {
  const pretty = opts.pretty ?? prettyByDefault();
  // On stderr when stdout carries a command's result (`capacity --json`).
  const fd = opts.stderr ? 2 : 1;
  return pino({
    name: opts.name ?? 'otel-replayd',
    // The commands choose the level (flag, OTEL_REPLAYD_LOG_LEVEL, config) and check it first.
    level: opts.level ?? 'info',
    redact: { paths: ['headers', '*.headers', '*.*.headers'], censor: '[redacted]' },
    transport: pretty ? { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', singleLine: true, ignore: 'pid,hostname,name', destination: fd } } : undefined,
  }, pretty || fd === 1 ? undefined : pino.destination({ fd, sync: true }));
}

/**
 * The result of a run (summary lines) is the command's output, not a diagnostic: it is
 * printed whatever the log level, `silent` included.
 */
export function resultLogger(log: Logger): Logger {
  return log.isLevelEnabled('info') ? log : log.child({}, { level: 'info' });
}
