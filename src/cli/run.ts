import { parseArgs } from 'node:util';
import { loadConfig } from '../config/load.js';
import type { ReplaydConfig } from '../config/types.js';
import { ConfigError } from '../errors.js';
import { createLogger, prettyByDefault, type Logger } from '../log.js';
import type { Capacity } from '../service/capacity.js';
import { preflight } from '../service/preflight.js';
import { Supervisor } from '../service/supervisor.js';
import { startSink, writeReport, type Sink } from '../sink/index.js';
import { MetricsServer } from '../telemetry/metrics-server.js';
import { summarize, warnLate } from '../sink/report.js';
import { StatsReporter } from '../telemetry/stats-reporter.js';

const USAGE = 'usage: otel-replayd --config FILE [--log-level LEVEL]\n';

/**
 * The daemon: runs the pipelines of a config until their loops end, `service.duration`
 * passes or a signal arrives. SIGHUP reloads; SIGINT/SIGTERM drain; a second one exits now.
 */
export async function main(args: string[]): Promise<number> {
  let file: string | undefined;
  let level: string | undefined;
  try {
    const { values } = parseArgs({
      args: args[0] === 'run' ? args.slice(1) : args,
      options: { config: { type: 'string', short: 'c' }, 'log-level': { type: 'string' } },
    });
    file = values.config;
    level = values['log-level'];
  } catch (err) {
    process.stderr.write(`otel-replayd: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (!file) {
    process.stderr.write(`otel-replayd: --config is required\n${USAGE}`);
    return 2;
  }
  let cfg: ReplaydConfig;
  let capacity: Capacity;
  try {
    ({ cfg, capacity } = loadChecked(file));
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const logLevel = level ?? cfg.service.telemetry.logLevel;
  const log = createLogger({ level: logLevel });
  logCapacity(log, capacity);
  return new Daemon(cfg, file, log, logLevel).run();
}

/** The config, checked as `validate` checks it before pipelines start (TLS files, capacity); ConfigError otherwise. */
export function loadChecked(file: string): { cfg: ReplaydConfig; capacity: Capacity } {
  const cfg = loadConfig(file);
  const { problems, capacity } = preflight(cfg);
  if (problems.length > 0) throw new ConfigError(problems, cfg.file);
  return { cfg, capacity };
}

export function logCapacity(log: Logger, c: Capacity): void {
  log.info({ worker_threads: c.threads, thread_limit: c.threadLimit, memory_estimate_mb: Math.round(c.memory / 1e6), memory_limit_mb: Math.round(c.memoryLimit / 1e6) }, 'capacity checked');
}

/** Drives the running pipelines instead of `service.duration` (the capacity search); the daemon stops when it resolves. */
export type Driver = (supervisor: Supervisor, abort: AbortSignal) => Promise<void>;

export interface DaemonOptions {
  /** Replaces `service.duration`, and SIGHUP reloads are ignored while it runs. */
  driver?: Driver;
  /** Log to stderr, workers too (stdout carries a command's result). */
  stderr?: boolean;
}

export class Daemon {
  private cfg: ReplaydConfig;
  private readonly file: string;
  private readonly log: Logger;
  private readonly supervisor: Supervisor;
  private readonly reporter: StatsReporter;
  private sink: Sink | undefined;
  private metrics: MetricsServer | undefined;
  private reloading: Promise<void> = Promise.resolve();
  private stopRequested: ((reason: string) => void) | undefined;
  private signals = 0;
  private badInput = false;
  private started = false;
  private crashed = false;
  private readonly driver: Driver | undefined;

  constructor(cfg: ReplaydConfig, file: string, log: Logger, logLevel: string, opts: DaemonOptions = {}) {
    this.cfg = cfg;
    this.file = file;
    this.log = log;
    this.driver = opts.driver;
    this.supervisor = new Supervisor({ log, logLevel, pretty: prettyByDefault(), stderr: opts.stderr });
    this.reporter = new StatsReporter({ source: this.supervisor, log, intervalMs: cfg.service.telemetry.statsIntervalMs });
  }

  async run(): Promise<number> {
    const { service, extensions } = this.cfg;
    const stopped = new Promise<string>((resolve) => (this.stopRequested = resolve));
    const onStop = (sig: NodeJS.Signals): void => this.onStopSignal(sig);
    const onHup = (): void => this.onReloadSignal();
    process.on('SIGINT', onStop);
    process.on('SIGTERM', onStop);
    process.on('SIGHUP', onHup);
    this.supervisor.on('failed', (_id, code) => {
      // Bad input found while starting decides the exit code (2); after a reload it is
      // only logged, and the reload counted as failed.
      if (code === 'ERR_PIPELINE_CRASHED') this.crashed = true;
      else if (!this.started) this.badInput = true;
    });
    this.supervisor.on('idle', () => this.stopRequested?.('all pipelines finished'));
    try {
      if (extensions.sink) {
        const s = extensions.sink;
        this.sink = await startSink({ grpc: s.grpc, http: s.http, verify: s.verify, maxRate: s.maxRate, log: this.log.child({ component: 'sink' }) });
        this.log.info({ grpc: this.sink.grpcAddress, http: this.sink.httpAddress }, 'sink extension listening');
      }
      const address = service.telemetry.metricsAddress;
      if (address) {
        this.metrics = new MetricsServer({ source: this.supervisor, address, log: this.log });
        const bound = await this.metrics.start();
        this.log.info({ address: bound }, 'metrics and health endpoint listening');
      }
      this.reporter.start();
      this.log.info({ config: this.file, pipelines: Object.keys(service.pipelines) }, 'otel-replayd starting');
      await this.supervisor.start(this.cfg);
      this.started = true;
      const drive = new AbortController();
      const driving = this.driver?.(this.supervisor, drive.signal).then(
        () => this.stopRequested?.('done'),
        (err: unknown) => {
          this.log.error({ err }, 'driver failed');
          this.crashed = true;
          this.stopRequested?.('driver failed');
        },
      );
      const durationMs = this.driver ? 0 : service.durationMs;
      const timer = durationMs > 0 ? setTimeout(() => this.stopRequested?.('duration reached'), durationMs) : undefined;
      const reason = await stopped;
      clearTimeout(timer);
      drive.abort();
      await driving;
      this.log.info({ reason }, 'stopping');
      if (this.signals < 2) await this.supervisor.shutdown();
      return this.exitCode();
    } finally {
      process.off('SIGINT', onStop);
      process.off('SIGTERM', onStop);
      process.off('SIGHUP', onHup);
      await this.finish();
    }
  }

  private exitCode(): number {
    if (this.signals >= 2) return 130;
    if (this.crashed) return 1;
    return this.badInput ? 2 : 0;
  }

  private onStopSignal(sig: NodeJS.Signals): void {
    this.signals++;
    if (this.signals === 1) {
      this.log.info({ signal: sig }, 'draining (send the signal again to exit now)');
      this.stopRequested?.(`${sig} received`);
      return;
    }
    this.log.warn({ signal: sig }, 'second signal: abandoning requests in flight');
    void this.supervisor.abandon();
  }

  private onReloadSignal(): void {
    if (this.driver) {
      this.log.warn('SIGHUP ignored: the config is not reloaded while a search drives the pipeline');
      return;
    }
    this.reloading = this.reloading.then(() => this.reload());
  }

  /** Validates first: a bad new config is logged with every problem and the old pipelines keep running. */
  private async reload(): Promise<void> {
    if (this.signals > 0) return;
    let next: ReplaydConfig;
    let capacity: Capacity;
    try {
      ({ cfg: next, capacity } = loadChecked(this.file));
    } catch (err) {
      this.supervisor.reloadRejected();
      const problems = err instanceof ConfigError ? err.problems : [{ path: '', message: (err as Error).message }];
      this.log.error({ config: this.file, problems }, 'reload rejected: keeping the running pipelines');
      return;
    }
    logCapacity(this.log, capacity);
    try {
      const r = await this.supervisor.reload(next);
      this.cfg = next;
      this.log.info(r, 'reloaded');
    } catch (err) {
      this.log.error({ err }, 'reload failed');
    }
  }

  private async finish(): Promise<void> {
    this.reporter.stop();
    this.reporter.summary();
    await this.metrics?.close();
    if (this.sink) {
      // Closed first, as the sink command does: in-flight calls finish, verification catches
      // up, and the report's rates cover the serving time only.
      await this.sink.close();
      const v = await this.sink.verification();
      const verification = v ? { ok: v.ok, checked: v.checked, problems: v.problems, skipped_requests: v.skippedRequests } : undefined;
      const received = this.sink.counts();
      this.log.info({ received, verification }, 'sink extension summary');
      warnLate(this.log, summarize(received, undefined, 0).total);
      const reportFile = this.cfg.extensions.sink?.report;
      if (reportFile) await writeReport(reportFile, await this.sink.report());
    }
  }
}
