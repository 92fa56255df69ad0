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
    level: opts.level ?? process.env.OTEL_REPLAYD_LOG_LEVEL ?? 'info',
    redact: { paths: ['headers', '*.headers', '*.*.headers'], censor: '[redacted]' },
    transport: pretty ? { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', singleLine: true, ignore: 'pid,hostname,name', destination: fd } } : undefined,
  }, pretty || fd === 1 ? undefined : pino.destination({ fd, sync: true }));
}
