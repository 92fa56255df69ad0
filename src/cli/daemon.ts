import { FROM_FLAGS, STDIN, type ConfigOverrides } from '../config/load.js';
import { startAtMs } from '../config/service.js';
import type { ReplaydConfig } from '../config/types.js';
import { ConfigError, ListenError, UsageError } from '../errors.js';
import { prettyByDefault, resultLogger, type Logger } from '../log.js';
import type { Capacity } from '../service/capacity.js';
import { Supervisor } from '../service/supervisor.js';
import { snakeCased } from '../snake-case.js';
import { startSink, writeReport, type Sink, type SinkReport } from '../sink/index.js';
import { Dashboard } from '../telemetry/dashboard.js';
import { RunRecorder } from '../telemetry/run-recorder.js';
import { packageVersion } from '../package-root.js';
import { ReportFiles } from './report-files.js';
import { MetricsServer } from '../telemetry/metrics-server.js';
import { summarize, warnLate } from '../sink/report.js';
import { arrivalCounts } from '../sink/verify-arrival.js';
import { StatsReporter, type PipelineSummary } from '../telemetry/stats-reporter.js';
import { takeHeldSignals } from './early-signals.js';
import { loadChecked, logCapacity } from './checked-config.js';
import { RecorderExtension } from './recorder-extension.js';

/**
 * Resolves once the event loop has polled for I/O: a signal that came while the config
 * was read (synchronously) is dispatched only then, and must be seen before anything
 * starts. The first immediate may run before this turn's poll, the second runs after it.
 */
async function signalsDispatched(): Promise<void> {
  for (let i = 0; i < 2; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** Drives the running pipelines instead of `service.duration` (the capacity search); the daemon stops when it resolves. */
export type Driver = (supervisor: Supervisor, abort: AbortSignal) => Promise<void>;

export interface DaemonOptions {
  /** Command-line settings that a reload keeps (`--replica`). */
  overrides?: ConfigOverrides;
  /** Exit 0 although requests failed permanently. */
  allowExportFailures?: boolean;
  /** Replaces `service.duration`, and SIGHUP reloads are ignored while it runs. */
  driver?: Driver;
  /** Log to stderr, workers too (stdout carries a command's result). */
  stderr?: boolean;
  /** `--report` files (.html, .json) written at exit. */
  reports?: string[];
}

export class Daemon {
  private cfg: ReplaydConfig;
  private readonly file: string;
  private readonly overrides: ConfigOverrides;
  private readonly log: Logger;
  private readonly supervisor: Supervisor;
  private readonly reporter: StatsReporter;
  private sink: Sink | undefined;
  private recorder: RecorderExtension | undefined;
  private metrics: MetricsServer | undefined;
  private reloading: Promise<void> = Promise.resolve();
  private stopRequested: ((reason: string) => void) | undefined;
  private signals = 0;
  private badInput = false;
  private started = false;
  private crashed = false;
  private listenFailed = false;
  private exportFailed = false;
  private readonly allowExportFailures: boolean;
  private stopReason: string | undefined;

  private readonly driver: Driver | undefined;
  private readonly reports: ReportFiles;
  private runRecorder: RunRecorder | undefined;

  constructor(cfg: ReplaydConfig, file: string, log: Logger, logLevel: string, opts: DaemonOptions = {}) {
    const allowExportFailures = opts.allowExportFailures ?? false;
    this.cfg = cfg;
    this.file = file;
    this.overrides = opts.overrides ?? {};
    this.driver = opts.driver;
    this.reports = new ReportFiles(opts.reports ?? [], cfg.file);
    this.allowExportFailures = allowExportFailures;
    this.log = log;
    this.supervisor = new Supervisor({ log, logLevel, pretty: prettyByDefault(), stderr: opts.stderr });
    this.reporter = new StatsReporter({ source: this.supervisor, log, intervalMs: cfg.service.telemetry.statsIntervalMs, replica: cfg.service.replicas });
  }

  async run(): Promise<number> {
    const { service } = this.cfg;
    const stopped = new Promise<string>((resolve) => (this.stopRequested = resolve));
    const onStop = (sig: NodeJS.Signals): void => this.onStopSignal(sig);
    const onHup = (): void => this.onReloadSignal();
    process.on('SIGINT', onStop);
    process.on('SIGTERM', onStop);
    process.on('SIGHUP', onHup);
    // A stop asked for while modules and the config were loading is honoured now.
    for (const sig of takeHeldSignals()) this.onStopSignal(sig);
    this.supervisor.on('failed', (_id, code) => {
      // Bad input found while starting decides the exit code (2); after a reload it is
      // only logged, and the reload counted as failed.
      if (code === 'ERR_PIPELINE_CRASHED') this.crashed = true;
      else if (!this.started) this.badInput = true;
    });
    this.supervisor.on('idle', () => this.stopRequested?.('all pipelines finished'));
    try {
      await signalsDispatched();
      const started = await this.start();
      if (started === false) return 2;
      const drive = new AbortController();
      const driving = this.driver?.(this.supervisor, drive.signal).then(
        () => this.stopRequested?.('done'),
        (err: unknown) => {
          this.log.error({ err }, 'driver failed');
          this.crashed = true;
          this.stopRequested?.('driver failed');
        },
      );
      // The run's duration counts from the moment sending starts; a driver replaces it.
      const durationMs = this.driver ? 0 : service.durationMs + Math.max(0, (started ?? 0) - Date.now());
      const timer = durationMs > 0 ? setTimeout(() => this.stopRequested?.('duration reached'), durationMs) : undefined;
      const reason = (this.stopReason = await stopped);
      clearTimeout(timer);
      drive.abort();
      await driving;
      this.log.info({ reason }, 'stopping');
      if (this.signals < 2) await this.supervisor.shutdown();
    } catch (err) {
      if (!(err instanceof ListenError)) throw err;
      // One line naming the key to change, not a stack trace.
      this.listenFailed = true;
      process.stderr.write(`otel-replayd: ${err.message}\n`);
    } finally {
      process.off('SIGINT', onStop);
      process.off('SIGTERM', onStop);
      process.off('SIGHUP', onHup);
      await this.finish();
    }
    // After finish(): the summary decides whether failed requests make the run fail.
    return this.exitCode();
  }

  /**
   * The sink and recorder extensions, /metrics, stats and the pipelines; each step is
   * skipped once a stop was asked for. Resolves with service.start_at in ms since the
   * epoch, if any; false when the recorder extension cannot start (bad input).
   */
  private async start(): Promise<number | undefined | false> {
    const { service, extensions } = this.cfg;
    if (extensions.sink && this.signals === 0) {
      const s = extensions.sink;
      this.sink = await startSink({
        grpc: s.grpc, http: s.http, verify: s.verify && s.verifySample !== undefined ? { sample: s.verifySample } : s.verify, maxRate: s.maxRate, log: this.log.child({ component: 'sink' }),
        settings: { grpc: 'extensions.sink.grpc', http: 'extensions.sink.http' },
      });
      this.log.info({ grpc: this.sink.grpcAddress, http: this.sink.httpAddress }, 'sink extension listening');
    }
    if (extensions.recorder && this.signals === 0) {
      try {
        this.recorder = await RecorderExtension.start(extensions.recorder, this.log.child({ component: 'recorder' }));
      } catch (err) {
        if (!(err instanceof UsageError)) throw err;
        this.log.error({ err: err.message }, 'recorder extension cannot start');
        return false;
      }
    }
    const address = service.telemetry.metricsAddress;
    const dashboard = address !== undefined && (service.telemetry.dashboard ?? prettyByDefault());
    if ((dashboard || this.reports.files.length > 0) && this.signals === 0) {
      const sink = this.sink;
      this.runRecorder = new RunRecorder({
        source: this.supervisor, log: this.log, runId: service.replicas.runId, version: packageVersion(), sinkCounts: sink && (() => sink.counts()),
        replica: service.replicas.count > 1 ? `${service.replicas.index}/${service.replicas.count}` : null,
      });
      this.runRecorder.start();
    }
    if (address && this.signals === 0) {
      const view = dashboard && this.runRecorder ? new Dashboard(this.runRecorder) : undefined;
      this.metrics = new MetricsServer({ source: this.supervisor, address, log: this.log, dashboard: view });
      const bound = await this.metrics.start();
      this.log.info({ address: bound, dashboard: view ? `http://${bound}/` : undefined }, 'metrics and health endpoint listening');
    }
    if (this.signals > 0) return undefined;
    this.reporter.start();
    const { index, count, runId, from } = service.replicas;
    const startAt = startAtMs(service.startAt, Date.now());
    this.log.info({
      config: this.file === STDIN ? '<stdin>' : this.file, pipelines: Object.keys(service.pipelines),
      replica: index, replicas: count, replica_from: from, run_id: runId,
      ...(startAt !== undefined ? { start_at: new Date(startAt).toISOString() } : {}),
    }, 'otel-replayd starting');
    await this.supervisor.start(this.cfg, startAt);
    this.started = true;
    if (startAt !== undefined) this.logStartAt(startAt);
    return startAt;
  }

  /** Says whether the pipelines wait for service.start_at or missed it while loading. */
  private logStartAt(startAt: number): void {
    const left = startAt - Date.now();
    const at = new Date(startAt).toISOString();
    if (left > 0) this.log.info({ start_at: at, starts_in_s: Math.round(left / 100) / 10 }, 'loaded: waiting for service.start_at');
    else this.log.warn({ start_at: at, late_s: Math.round(-left / 100) / 10 }, 'service.start_at passed before the pipelines were loaded: sending started late');
  }

  private exitCode(): number {
    if (this.signals >= 2) return 130;
    if (this.crashed || this.listenFailed) return 1;
    if (this.badInput) return 2;
    return this.exportFailed ? 1 : 0;
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
    if (this.file === STDIN || this.file === FROM_FLAGS) {
      this.supervisor.reloadRejected();
      const from = this.file === STDIN ? 'read from stdin, which cannot be read again' : 'built from the send command\'s flags';
      this.log.warn(`reload rejected: the config was ${from}; keeping the running pipelines`);
      return;
    }
    let next: ReplaydConfig;
    let capacity: Capacity;
    try {
      ({ cfg: next, capacity } = loadChecked(this.file, this.overrides));
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
      this.reports.configLoaded(next.file);
      this.reporter.replica = next.service.replicas;
      this.log.info(r, 'reloaded');
    } catch (err) {
      this.log.error({ err }, 'reload failed');
    }
  }

  /**
   * A run in which requests failed permanently fails (exit 1), so CI notices, unless it
   * was allowed (--allow-export-failures, service.allow_export_failures). One line says
   * which exporters, how many requests, and the last error of each.
   */
  private judgeFailures(ran: PipelineSummary[]): void {
    const failures = ran.flatMap((s) => Object.entries(s.exporters).filter(([, c]) => c.failedFrames > 0).map(([exporter, c]) => ({
      pipeline: s.pipeline, exporter, failed_requests: c.failedFrames, [`failed_${s.unit}`]: c.failedEvents,
      last_code: s.lastFailures[exporter]?.code, last_error: s.lastFailures[exporter]?.message,
    })));
    if (failures.length === 0) return;
    const requests = failures.reduce((n, f) => n + f.failed_requests, 0);
    const allowed = this.allowExportFailures || this.cfg.service.allowExportFailures;
    const what = `${requests} request${requests === 1 ? '' : 's'} failed permanently (${failures.map((f) => `${f.exporter}: ${f.failed_requests}, last ${f.last_code}`).join('; ')})`;
    const result = resultLogger(this.log);
    if (allowed) {
      result.warn({ failed_requests: requests, failures }, `${what}; exit status 0 as allowed`);
      return;
    }
    this.exportFailed = true;
    result.error({ failed_requests: requests, failures },
      `${what}: exit status 1 (--allow-export-failures or service.allow_export_failures: true makes it 0)`);
  }

  private async finish(): Promise<void> {
    this.reporter.stop();
    const ran = this.reporter.summary();
    const summary = ran.map((s) => this.reporter.summaryLine(s));
    const result = resultLogger(this.log);
    if (ran.length === 0 && !this.listenFailed) {
      result.info({ reason: this.stopReason, pipelines: Object.keys(this.cfg.service.pipelines) }, 'stopped before any pipeline started: nothing was sent');
    }
    this.judgeFailures(ran);
    await this.metrics?.close();
    await this.recorder?.finish();
    let sinkSummary: SinkReport | null = null;
    if (this.sink) {
      // Closed first, as the sink command does: in-flight calls finish, verification catches
      // up, and the report's rates cover the serving time only.
      await this.sink.close();
      const v = await this.sink.verification();
      const verification = v ? { ok: v.ok, checked: v.checked, problems: v.problems, skipped_requests: v.skippedRequests, arrival: arrivalCounts(v.arrival) } : undefined;
      const received = this.sink.counts();
      result.info({ received: snakeCased(received), verification }, 'sink extension summary');
      warnLate(this.log, summarize(received, undefined, 0).total.lateRequests);
      const reportFile = this.cfg.extensions.sink?.report;
      if (reportFile || this.reports.files.length > 0) sinkSummary = await this.sink.report();
      if (reportFile && sinkSummary) await writeReport(reportFile, sinkSummary);
    }
    // After the sink closed, so the last point holds everything it received.
    this.runRecorder?.finish();
    if (this.runRecorder) {
      const run = { stopReason: this.stopReason ?? 'not started', exitCode: this.exitCode(), summary, sinkSummary };
      await this.reports.write(this.runRecorder, run, this.log);
    }
  }
}
