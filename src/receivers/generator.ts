import type { GeneratorReceiverConfig } from './generator-receiver.js';
import type { GeneratorConfig } from '../generator/config.js';
import { tracesDefaults } from '../generator/config.js';
import { signalBlocks } from '../generator/dataset.js';
import { encodeRequest } from '../generator/encode.js';
import type { Block } from '../generator/otlp-values.js';
import type { SpanRef } from '../generator/traces.js';
import type { Signal } from '../otlp/signals.js';
import { parseTemplate, type LoadOptions } from './template.js';
import type { TemplateData } from './template-data.js';

/** Traces per template (chunk) of the pool; the runtime compiles each into frames. */
const TRACES_PER_CHUNK = 100;
const LOGS_PER_CHUNK = 1000;
/** Metrics: resource blocks (hosts, pods, …) per template. */
const METRIC_BLOCKS_PER_CHUNK = 50;
/** Fraction of the pool's chunks regenerated at each refresh. */
export const REFRESH_FRACTION = 0.25;

/**
 * The `generator` receiver: builds its pool in the pipeline worker and hands it over
 * as TemplateData that went through the same decode + normalize path as template
 * files (encoded, then parsed by parseTemplate), so the compiler sees no difference.
 *
 * What `pool` means:
 *  - traces: traces in the pool, in chunks of 100 traces (high-span traces, if enabled,
 *    are added to the first chunk);
 *  - logs: log records in the pool, in chunks of 1,000;
 *  - metrics: the most data points one cycle sends: every metric keeps
 *    min(its drawn series count, max(1, floor(pool / metric_count))) series.
 *
 * `refresh`: every `refresh` cycles a quarter of the chunks (at least one, round-robin)
 * is regenerated from a fresh PRNG stream and the full set is returned. Metrics never
 * refresh: a series is a stable identity, and new values for a cumulative sum would
 * read as a counter reset.
 *
 * Seeds: worker `w` uses `generator.seed + w`, so workers differ and a given seed always
 * produces the same data; the service topology comes from `generator.seed` alone.
 */
export class GeneratorSource {
  private readonly gen: GeneratorConfig;
  private readonly seed: number;
  private chunks: TemplateData[] = [];
  private generation = 0;

  constructor(
    private readonly cfg: GeneratorReceiverConfig,
    private readonly signal: Signal,
    worker: number,
    private readonly load: LoadOptions = { relativeTimes: true },
  ) {
    if (!Number.isInteger(cfg.pool) || cfg.pool < 1) throw new RangeError(`receiver "${cfg.id}": pool must be a positive integer`);
    this.gen = cfg.generator;
    this.seed = cfg.generator.seed + worker;
  }

  initial(): TemplateData[] {
    const n = this.chunkCount();
    this.chunks = [];
    for (let c = 0; c < n; c++) this.chunks.push(this.makeChunk(c, 0));
    return [...this.chunks];
  }

  refresh(cycle: number): TemplateData[] | undefined {
    const every = this.cfg.refresh;
    if (every <= 0 || cycle <= 0 || cycle % every !== 0 || this.signal === 'metrics' || this.chunks.length === 0) return undefined;
    this.generation++;
    const n = this.chunks.length;
    const k = Math.max(1, Math.round(n * REFRESH_FRACTION));
    for (let i = 0; i < k; i++) {
      const c = ((this.generation - 1) * k + i) % n;
      this.chunks[c] = this.makeChunk(c, this.generation);
    }
    return [...this.chunks];
  }

  private chunkCount(): number {
    if (this.signal === 'traces') return Math.ceil(this.cfg.pool / TRACES_PER_CHUNK);
    if (this.signal === 'logs') return Math.ceil(this.cfg.pool / LOGS_PER_CHUNK);
    return Math.max(1, Math.ceil(this.metricBlocks().length / METRIC_BLOCKS_PER_CHUNK));
  }

  private metricBlocksCache: Block[] | undefined;
  private metricBlocks(): Block[] {
    const cap = Math.max(1, Math.floor(this.cfg.pool / (this.gen.metrics?.metricCount ?? 100)));
    this.metricBlocksCache ??= [...signalBlocks('metrics', this.gen, this.seed, { seriesCap: cap })];
    return this.metricBlocksCache;
  }

  /** Chunk `c` of generation `g`: its own PRNG stream, so chunks are independent and repeatable. */
  private makeChunk(c: number, g: number): TemplateData {
    const source = `generator receiver "${this.cfg.id}" ${this.signal} chunk ${c}`;
    const stream = 1 + g * 65_536 + c;
    let blocks: Iterable<Block>;
    if (this.signal === 'metrics') {
      blocks = this.metricBlocks().slice(c * METRIC_BLOCKS_PER_CHUNK, (c + 1) * METRIC_BLOCKS_PER_CHUNK);
    } else if (this.signal === 'traces') {
      const count = Math.min(TRACES_PER_CHUNK, this.cfg.pool - c * TRACES_PER_CHUNK);
      blocks = signalBlocks('traces', c === 0 ? this.gen : this.withoutHighSpan(), this.seed, { count, stream });
    } else {
      const count = Math.min(LOGS_PER_CHUNK, this.cfg.pool - c * LOGS_PER_CHUNK);
      blocks = signalBlocks('logs', this.gen, this.seed, { count, stream, refs: this.gen.logs?.correlate ? this.refs(stream) : undefined });
    }
    return parseTemplate(encodeRequest(this.signal, blocks), source, this.signal, this.load);
  }

  private withoutHighSpan(): GeneratorConfig {
    const t = this.gen.traces ?? tracesDefaults();
    return { ...this.gen, traces: { ...t, spans: { ...t.spans, highSpanTraces: { ...t.spans.highSpanTraces, enabled: false } } } };
  }

  /**
   * Spans for correlated logs: a chunk of traces from the same stream a traces pipeline
   * would use. Different pipelines stamp ids independently, so the link only survives
   * when one replay carries both; the records still carry realistic ids.
   */
  private refs(stream: number): SpanRef[] {
    const refs: SpanRef[] = [];
    for (const _ of signalBlocks('traces', this.withoutHighSpan(), this.seed, { count: TRACES_PER_CHUNK, stream, refs })) void _;
    return refs;
  }
}
