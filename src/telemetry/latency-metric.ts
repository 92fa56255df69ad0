import { Histogram, type Registry } from 'prom-client';
import { LATENCY_BOUNDS_MS, countOf, type LatencySnapshot } from '../worker/latency-histogram.js';

type Label = 'pipeline' | 'exporter' | 'signal';

const NAME = 'otel_replayd_export_latency_seconds';
const HELP = 'Export request latency per exporter: from the first attempt to the outcome (sent or failed), retries and their backoff included.';

interface Series {
  labels: Record<Label, string>;
  latency: LatencySnapshot;
}

/**
 * The export latency histogram of /metrics. Workers count requests into fixed buckets and
 * the main thread adds them up, so buckets arrive already counted: this prom-client
 * Histogram reports the counts it is given at scrape time instead of observing values.
 */
export class LatencyMetric extends Histogram<Label> {
  readonly #series = new Map<string, Series>();

  constructor(registers: Registry[]) {
    super({ name: NAME, help: HELP, labelNames: ['pipeline', 'exporter', 'signal'], buckets: LATENCY_BOUNDS_MS.map((ms) => ms / 1000), registers });
  }

  /** The cumulative counts of one series (they never fall: the supervisor keeps retired incarnations' counts). */
  set(labels: Record<Label, string>, latency: LatencySnapshot): void {
    this.#series.set(`${labels.pipeline}\0${labels.exporter}`, { labels, latency });
  }

  override async get(): Promise<Awaited<ReturnType<Histogram<Label>['get']>>> {
    const values: { value: number; labels: Record<string, string | number>; metricName: string }[] = [];
    for (const { labels, latency } of this.#series.values()) {
      let acc = 0;
      LATENCY_BOUNDS_MS.forEach((ms, i) => {
        acc += latency.counts[i] ?? 0;
        values.push({ metricName: `${NAME}_bucket`, labels: { le: ms / 1000, ...labels }, value: acc });
      });
      const count = countOf(latency);
      values.push({ metricName: `${NAME}_bucket`, labels: { le: '+Inf', ...labels }, value: count });
      values.push({ metricName: `${NAME}_sum`, labels, value: latency.sumMs / 1000 });
      values.push({ metricName: `${NAME}_count`, labels, value: count });
    }
    // prom-client's own shape of a metric's values (type is the 'histogram' string at run time).
    return { name: NAME, help: HELP, type: 'histogram', values, aggregator: 'sum' } as unknown as Awaited<ReturnType<Histogram<Label>['get']>>;
  }

  /** What prom-client's Registry reads for the text format. */
  getForPromString(): ReturnType<LatencyMetric['get']> {
    return this.get();
  }
}
