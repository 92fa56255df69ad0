/**
 * batch_splitter: partitions a template set into requests of at most `maxItems` events
 * and `maxBytes` encoded (protobuf) bytes. Events are spans, data points (all five
 * kinds) or log records. Whole traces stay together when they fit; a larger trace is
 * split across requests span by span (its ids are shared through the compiler's id
 * groups). A metric with many points becomes several Metric messages with the same name
 * and metadata. Resource and scope are repeated in every request that needs them.
 *
 * It packs sizes, not messages: the compiler measures every item as it will be written
 * (exactly) and every container header, and this counts a worst-case 5-byte length
 * prefix per container, so an estimate never undercounts: the written request is at
 * most `maxBytes`.
 */
import { TemplateError } from '../errors.js';
import { fieldLen } from '../otlp/wire/write.js';

export interface SplitLimits {
  /** Events per request; Infinity = no limit. */
  maxItems: number;
  /** Encoded bytes per request; Infinity = no limit. */
  maxBytes: number;
}

/** What the packer needs to know about the items: sizes and the containers they live in. */
export interface PackItems {
  /** Encoded size of item i as written (payload only). */
  size(i: number): number;
  /** Resource, scope and metric (-1 for spans and logs) container of item i. */
  resource(i: number): number;
  scope(i: number): number;
  metric(i: number): number;
  /** Header bytes (everything but the children) of each container, including its tag and worst-case length prefix. */
  headerBytes: [resources: ArrayLike<number>, scopes: ArrayLike<number>, metrics: ArrayLike<number>];
  /** Names the input of item i, for errors. */
  source(i: number): string;
}

/** Tag plus a worst-case 5-byte length varint: what a container adds around its header. */
export const CONTAINER_PREFIX = 6;

/**
 * Greedy packing in input order; a request's cost counts each container header once.
 * Chunks are added with `add` (one trace, or one log record or data point); `finish`
 * returns the requests as lists of item indexes.
 */
export class Packer {
  private readonly done: number[][] = [];
  private cur: number[] = [];
  private bytes = 0;
  /** Numbers the request being filled (from 1): containers are marked with it once counted. */
  private request = 1;
  /** Per container kind: the request or chunk mark it was last counted in. */
  private readonly inRequest: Int32Array[];
  private readonly inChunk: Int32Array[];
  private chunkMark = 0;

  constructor(private readonly items: PackItems, private readonly limits: SplitLimits) {
    if (!(limits.maxItems >= 1) || !(limits.maxBytes >= 1)) throw new RangeError('batch_splitter: limits must be ≥ 1');
    this.inRequest = items.headerBytes.map((h) => new Int32Array(h.length));
    this.inChunk = items.headerBytes.map((h) => new Int32Array(h.length));
  }

  /** Cost of item i on top of the current request; with `chunk`, containers already counted in this chunk are free too. */
  private cost(i: number, chunk: boolean): number {
    const it = this.items;
    return fieldLen(it.size(i)) + this.header(0, it.resource(i), chunk) + this.header(1, it.scope(i), chunk) + this.header(2, it.metric(i), chunk);
  }

  /** Header bytes of container `x` of kind `k` (-1: none) unless already counted. */
  private header(k: number, x: number, chunk: boolean): number {
    if (x < 0 || this.inRequest[k]![x] === this.request || (chunk && this.inChunk[k]![x] === this.chunkMark)) return 0;
    if (chunk) this.inChunk[k]![x] = this.chunkMark;
    return this.items.headerBytes[k][x]!;
  }

  private put(i: number): void {
    this.bytes += this.cost(i, false);
    const it = this.items;
    const req = this.request;
    this.inRequest[0]![it.resource(i)] = req;
    this.inRequest[1]![it.scope(i)] = req;
    if (it.metric(i) >= 0) this.inRequest[2]![it.metric(i)] = req;
    this.cur.push(i);
  }

  private flush(): void {
    if (this.cur.length === 0) return;
    this.done.push(this.cur);
    this.request++;
    this.cur = [];
    this.bytes = 0;
  }

  private chunkCost(chunk: ArrayLike<number>): number {
    this.chunkMark++;
    let c = 0;
    for (let j = 0; j < chunk.length; j++) c += this.cost(chunk[j]!, true);
    return c;
  }

  private fits(items: number, bytes: number): boolean {
    return this.cur.length + items <= this.limits.maxItems && this.bytes + bytes <= this.limits.maxBytes;
  }

  add(chunk: ArrayLike<number>): void {
    for (let j = 0; j < chunk.length; j++) {
      const n = this.items.size(chunk[j]!);
      if (n + CONTAINER_PREFIX >= this.limits.maxBytes) {
        throw new TemplateError(`one ${this.items.metric(chunk[j]!) < 0 ? 'item' : 'data point'} encodes to ${n} bytes, more than batch_splitter max_bytes ${this.limits.maxBytes}`, {
          file: this.items.source(chunk[j]!), code: 'ERR_TEMPLATE_ITEM_TOO_LARGE',
        });
      }
    }
    if (this.fits(chunk.length, this.chunkCost(chunk))) {
      for (let j = 0; j < chunk.length; j++) this.put(chunk[j]!);
      return;
    }
    this.flush();
    if (this.fits(chunk.length, this.chunkCost(chunk))) {
      for (let j = 0; j < chunk.length; j++) this.put(chunk[j]!);
      return;
    }
    // A trace larger than one request: split it, keeping input order.
    for (let j = 0; j < chunk.length; j++) {
      const i = chunk[j]!;
      if (!this.fits(1, this.cost(i, false))) this.flush();
      if (!this.fits(1, this.cost(i, false))) {
        throw new TemplateError(`an item with its resource and scope does not fit batch_splitter max_bytes ${this.limits.maxBytes}`, {
          file: this.items.source(i), code: 'ERR_TEMPLATE_ITEM_TOO_LARGE',
        });
      }
      this.put(i);
    }
  }

  /** Ends the current request and hands over the requests completed since the last cut (a paced template's request, a delivery due bucket). */
  cut(): number[][] {
    this.flush();
    return this.done.splice(0);
  }

  finish(): number[][] {
    this.flush();
    return this.done;
  }
}
