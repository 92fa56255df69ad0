import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { Logger } from '../log.js';
import { ReplaydError } from '../errors.js';
import type { ExporterCounters } from '../worker/stats.js';
import { CounterTracker } from './counter-tracker.js';
import { LatencyMetric } from './latency-metric.js';
import { Dashboard } from './dashboard.js';
import { isTerminal } from './pipeline-state.js';
import { formatHostPort, listen } from '../host-port.js';
import { DEFAULT_METRICS_ADDRESS, parseListenAddress, type ListenAddress } from './listen-address.js';
import type { PipelineSnapshot, TelemetrySource } from './source.js';

export interface MetricsServerOptions {
  source: TelemetrySource;
  log: Logger;
  /** `host:port`; defaults to loopback. A container that is scraped needs `0.0.0.0:8890`. */
  address?: string;
  /** Also serve the live dashboard at `/` (and its data at `/api/run`). */
  dashboard?: Dashboard;
}

/** The config key the address comes from: errors name it so the user knows what to change. */
const SETTING = 'service.telemetry.metrics.address';
/** Worker stats arrive about once a second: a shorter window would show that sawtooth, not the rate. */
const MIN_RATE_WINDOW_MS = 1000;

const EXPORTER_COUNTERS: [name: string, help: string, field: keyof ExporterCounters][] = [
  ['otel_replayd_sent_events_total', 'Events (spans, data points, log records) accepted by the endpoint.', 'sentEvents'],
  ['otel_replayd_sent_bytes_total', 'Request body bytes of accepted export requests as sent on the wire (after compression).', 'sentBytes'],
  ['otel_replayd_sent_uncompressed_bytes_total', 'Request body bytes of accepted export requests before compression.', 'sentUncompressedBytes'],
  ['otel_replayd_sent_requests_total', 'Export requests accepted by the endpoint.', 'sentFrames'],
  ['otel_replayd_failed_events_total', 'Events in export requests that failed after all retries.', 'failedEvents'],
  ['otel_replayd_rejected_events_total', 'Events the endpoint rejected through partial_success.', 'rejectedEvents'],
  ['otel_replayd_dropped_events_total', 'Events stamped but never handed to the endpoint (forced exit).', 'droppedEvents'],
  ['otel_replayd_unparsed_responses_total', 'Accepted export requests whose response body could not be decoded (also counted as sent).', 'unparsedResponses'],
  ['otel_replayd_retries_total', 'Export retry attempts, counted as each starts.', 'retries'],
];

interface RateWindow { sent: number; durationMs: number; rate: number }

/**
 * Serves `/metrics` (Prometheus text, from its own prom-client Registry) and `/healthz`.
 * Values are read from `source.snapshot()` at scrape time; counters are fed the growth
 * since the previous scrape, so they stay monotonic across pipeline restarts.
 */
export class MetricsServer {
  readonly #source: TelemetrySource;
  readonly #log: Logger;
  readonly #listen: ListenAddress;
  readonly #registry = new Registry();
  readonly #tracker = new CounterTracker();
  readonly #windows = new Map<string, RateWindow>();
  readonly #counters: [Counter<string>, keyof ExporterCounters][];
  readonly #inFlight: Gauge<string>;
  readonly #rateTarget: Gauge<string>;
  readonly #stage: Gauge<string>;
  readonly #latency: LatencyMetric;
  readonly #rateAchieved: Gauge<string>;
  readonly #up: Gauge<string>;
  readonly #reloads: Counter<string>;
  readonly #dashboard: Dashboard | undefined;
  #server: Server | undefined;

  constructor(opts: MetricsServerOptions) {
    const s = opts?.source;
    if (typeof s?.snapshot !== 'function' || typeof s.health !== 'function' || typeof s.reloads !== 'function') {
      throw new ReplaydError('ERR_INVALID_ARG', 'MetricsServer: source must be a TelemetrySource');
    }
    if (typeof opts.log?.info !== 'function') throw new ReplaydError('ERR_INVALID_ARG', 'MetricsServer: log must be a pino logger');
    this.#source = s;
    this.#log = opts.log;
    this.#listen = parseListenAddress(opts.address ?? DEFAULT_METRICS_ADDRESS, SETTING);
    this.#dashboard = opts.dashboard;

    const registers = [this.#registry];
    const exporterLabels = ['pipeline', 'exporter', 'signal'];
    const pipelineLabels = ['pipeline', 'signal'];
    this.#counters = EXPORTER_COUNTERS.map(([name, help, field]) => [new Counter({ name, help, labelNames: exporterLabels, registers }), field]);
    this.#inFlight = new Gauge({ name: 'otel_replayd_in_flight_requests', help: 'Export requests waiting for a response.', labelNames: exporterLabels, registers });
    this.#rateTarget = new Gauge({ name: 'otel_replayd_rate_target_events_per_second', help: 'Events/s the ratelimit processor holds the pipeline to (absent without ratelimit).', labelNames: pipelineLabels, registers });
    this.#stage = new Gauge({ name: 'otel_replayd_rate_stage', help: 'The ratelimit stage in progress (index into its stages; absent without stages).', labelNames: pipelineLabels, registers });
    this.#latency = new LatencyMetric(registers);
    this.#rateAchieved = new Gauge({ name: 'otel_replayd_rate_achieved_events_per_second', help: 'Events/s accepted by the endpoints over the last scrape interval (at least 1s).', labelNames: pipelineLabels, registers });
    this.#up = new Gauge({ name: 'otel_replayd_pipeline_up', help: '1 while the pipeline is running, else 0; the state label says which state it is in.', labelNames: [...pipelineLabels, 'state'], registers });
    this.#reloads = new Counter({ name: 'otel_replayd_reloads_total', help: 'Config reloads (SIGHUP) by outcome.', labelNames: ['outcome'], registers });
    collectDefaultMetrics({ register: this.#registry });
  }

  /** Starts listening; resolves with the bound `host:port` (useful with port 0). */
  start(): Promise<string> {
    if (this.#server) return Promise.reject(new ReplaydError('ERR_INVALID_STATE', 'MetricsServer already started'));
    const server = createServer((req, res) => void this.#handle(req, res));
    this.#server = server;
    const { host, port } = this.#listen;
    return listen(server, host, port, { code: 'ERR_METRICS_LISTEN', setting: SETTING }).then(
      (boundPort) => {
        const bound = formatHostPort(host, boundPort);
        this.#log.debug({ address: bound, dashboard: this.#dashboard !== undefined }, 'serving /metrics and /healthz');
        return bound;
      },
      (err: unknown) => {
        this.#server = undefined;
        throw err;
      },
    );
  }

  close(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (!server) return Promise.resolve();
    return new Promise((resolve) => {
      server.close(() => resolve());
      // A scraper's keep-alive connection would otherwise hold close() open for seconds.
      server.closeAllConnections();
    });
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://replayd');
    const path = url.pathname;
    const page = this.#dashboard && Dashboard.PATHS.has(path);
    if (path !== '/metrics' && path !== '/healthz' && !page) return reply(req, res, 404, 'text/plain; charset=utf-8', 'not found\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return reply(req, res, 405, 'text/plain; charset=utf-8', 'method not allowed\n');
    }
    try {
      if (page) {
        const r = this.#dashboard!.reply(path, url.searchParams)!;
        return reply(req, res, 200, r.contentType, r.body, { 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
      }
      if (path === '/healthz') {
        const status = this.#source.health();
        // Waiting for service.start_at is ready: everything that can fail has loaded, and a
        // StatefulSet (OrderedReady) or `kubectl wait` must see it before the start, not after.
        return reply(req, res, status === 'running' || status === 'waiting' ? 200 : 503, 'application/json', JSON.stringify({ status }));
      }
      this.#update(this.#source.snapshot(), this.#source.reloads());
      return reply(req, res, 200, this.#registry.contentType, await this.#registry.metrics());
    } catch (err) {
      this.#log.error({ err, path }, 'telemetry request failed');
      return reply(req, res, 500, 'text/plain; charset=utf-8', 'internal error\n');
    }
  }

  #update(snapshot: PipelineSnapshot[], reloads: { succeeded: number; failed: number }): void {
    // Gauges describe only the pipelines present now; counters keep every series they ever had.
    for (const g of [this.#inFlight, this.#rateTarget, this.#stage, this.#rateAchieved, this.#up]) g.reset();
    for (const snap of snapshot) {
      const { pipeline, signal } = snap;
      let sent = 0;
      for (const [exporter, c] of Object.entries(snap.exporters)) {
        const labels = { pipeline, exporter, signal };
        for (const [counter, field] of this.#counters) {
          counter.inc(labels, this.#tracker.observe(`${pipeline}\0${exporter}\0${field}`, c[field]));
        }
        sent += this.#tracker.total(`${pipeline}\0${exporter}\0sentEvents`);
        this.#inFlight.set(labels, c.inFlight);
        const latency = snap.latency[exporter];
        if (latency) this.#latency.set(labels, latency);
      }
      this.#rateAchieved.set({ pipeline, signal }, isTerminal(snap.state) ? 0 : this.#recentRate(pipeline, sent, snap.sendingMs));
      if (snap.rateTarget !== null) this.#rateTarget.set({ pipeline, signal }, snap.rateTarget);
      if (snap.stage !== null) this.#stage.set({ pipeline, signal }, snap.stage);
      this.#up.set({ pipeline, signal, state: snap.state }, snap.state === 'running' ? 1 : 0);
    }
    this.#reloads.inc({ outcome: 'success' }, this.#tracker.observe('reloads\0success', reloads.succeeded));
    this.#reloads.inc({ outcome: 'failure' }, this.#tracker.observe('reloads\0failure', reloads.failed));
  }

  /** Events/s since the start of the current window; a window closes once it is MIN_RATE_WINDOW_MS long. */
  #recentRate(pipeline: string, sent: number, durationMs: number): number {
    const w = this.#windows.get(pipeline);
    if (!w) {
      const rate = durationMs > 0 ? sent / (durationMs / 1000) : 0;
      this.#windows.set(pipeline, { sent, durationMs, rate });
      return rate;
    }
    const dt = durationMs - w.durationMs;
    if (dt < MIN_RATE_WINDOW_MS) return w.rate;
    const rate = (sent - w.sent) / (dt / 1000);
    this.#windows.set(pipeline, { sent, durationMs, rate });
    return rate;
  }
}

function reply(req: IncomingMessage, res: ServerResponse, code: number, contentType: string, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(code, { ...headers, 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) });
  res.end(req.method === 'HEAD' ? undefined : body);
}
