import type { TracesGenConfig } from './config.js';
import type { Rng } from './prng.js';
import type { Service, Topology } from './topology.js';
import { type Block, type KeyValue, STATUS_ERROR, bool, dbl, int, str } from './otlp-values.js';
import { shareKeyValue } from './encode-fields.js';
import { KIND_OF, type Op, type OpKind, clientOp, exceptionAttributes, localOp, serverOp, spanAttributes } from './span-attributes.js';

/** A span of a trace being built; times are ns relative to the trace start. */
interface Node {
  svc: Service;
  op: Op;
  parent: number;
  children: number[];
  rel: number;
  start: number;
  duration: number;
  failed: boolean;
  spanId: Uint8Array;
}

/** A span that log records may point at (`logs.correlate`). */
export interface SpanRef {
  traceId: Uint8Array;
  spanId: Uint8Array;
  service: Service;
}

const EMPTY = new Uint8Array(0);
/** Most spans have no events or links: they share this empty list instead of allocating one each. */
const NONE: readonly never[] = [];
/** Traces are grouped into blocks of about this many spans (one ResourceSpans per service instance per block). */
const BLOCK_SPANS = 2000;

/** Spans per trace ~ normal(avg, std_dev), at least 1. */
function spanCount(cfg: TracesGenConfig, rng: Rng): number {
  return Math.max(1, Math.round(rng.normal(cfg.spans.avgPerTrace, cfg.spans.stdDev)));
}

/** Builds one trace of exactly `n` spans; nodes come parent-before-child. */
function buildTrace(topo: Topology, n: number, errorRate: number, rng: Rng): Node[] {
  const rootSvc = rng.pick(topo.ingress);
  const root = node(rootSvc, serverOp({ ...rootSvc, protocol: 'http' }, rng), -1, rng);
  const nodes = [root];
  // Only servers, consumers and internal spans get children; a client span has exactly its server.
  const expandable = [0];
  while (nodes.length < n) {
    const p = expandable[rng.int(expandable.length)]!;
    const svc = nodes[p]!.svc;
    if (n - nodes.length >= 2 && svc.downstream.length > 0 && rng.chance(0.7)) {
      const callee = rng.pick(svc.downstream);
      const async = svc.topic !== undefined && rng.chance(0.15);
      const inOp = async ? localOp({ ...callee, topic: svc.topic }, 'consumer', rng) : serverOp(callee, rng);
      const out = async ? localOp(svc, 'producer', rng) : clientOp(inOp, callee);
      const c = add(nodes, node(svc, out, p, rng));
      expandable.push(add(nodes, node(callee, inOp, c, rng)));
    } else {
      const kinds: ('db' | 'cache' | 'internal')[] = ['internal'];
      if (svc.database) kinds.push('db', 'db');
      if (svc.cache) kinds.push('cache');
      const k = rng.pick(kinds);
      const i = add(nodes, node(svc, localOp(svc, k, rng), p, rng));
      if (k === 'internal') expandable.push(i);
    }
  }
  layout(nodes, rng);
  if (rng.chance(errorRate)) {
    for (let f = rng.int(nodes.length); f >= 0; f = nodes[f]!.parent) nodes[f]!.failed = true;
  }
  return nodes;
}

function node(svc: Service, op: Op, parent: number, rng: Rng): Node {
  return { svc, op, parent, children: [], rel: 0, start: 0, duration: 0, failed: false, spanId: rng.id(8) };
}

function add(nodes: Node[], n: Node): number {
  nodes.push(n);
  if (n.parent >= 0) nodes[n.parent]!.children.push(nodes.length - 1);
  return nodes.length - 1;
}

const LEAF_MEDIAN_NS: Record<OpKind, number> = {
  http_server: 2e6, grpc_server: 1e6, http_client: 3e6, grpc_client: 2e6, db: 1.5e6, cache: 2e5, producer: 5e5, consumer: 8e5, internal: 3e5,
};

/**
 * Durations bottom-up (children come after their parent, so walk backwards), then
 * starts top-down. Children run in stages: usually one at a time, sometimes 2–4 in
 * parallel, with small gaps, so every child lies inside its parent.
 */
function layout(nodes: Node[], rng: Rng): void {
  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i]!;
    const kids = n.children;
    if (kids.length === 0) {
      n.duration = Math.max(1000, Math.round(rng.logNormal(LEAF_MEDIAN_NS[n.op.kind], 0.8)));
      continue;
    }
    if (n.op.kind === 'http_client' || n.op.kind === 'grpc_client' || n.op.kind === 'producer') {
      const child = nodes[kids[0]!]!;
      child.rel = Math.round(rng.logNormal(2e5, 0.5));
      n.duration = child.rel + child.duration + Math.round(rng.logNormal(1e5, 0.5));
      continue;
    }
    let t = Math.round(rng.logNormal(5e4, 0.6));
    for (let k = 0; k < kids.length; ) {
      const stage = rng.chance(0.25) ? Math.min(rng.range(2, 4), kids.length - k) : 1;
      let end = 0;
      for (let s = 0; s < stage; s++, k++) {
        const child = nodes[kids[k]!]!;
        const skew = s === 0 ? 0 : Math.round(rng.float() * 2e4);
        child.rel = t + skew;
        end = Math.max(end, skew + child.duration);
      }
      t += end + Math.round(rng.logNormal(2e4, 0.7));
    }
    n.duration = t + Math.round(rng.logNormal(3e4, 0.6));
  }
  for (let i = 1; i < nodes.length; i++) nodes[i]!.start = nodes[nodes[i]!.parent]!.start + nodes[i]!.rel;
}

/**
 * Custom attribute objects, shared: attribute i with value v is the same object
 * everywhere (its bytes are encoded once). One map per attribute, so any cardinality
 * works; at most CUSTOM_CACHE_MAX objects are kept.
 */
const customCache: Map<number, KeyValue>[] = [];
let customCached = 0;
const CUSTOM_CACHE_MAX = 1_000_000;

function customAttributes(cfg: TracesGenConfig, rng: Rng, into: KeyValue[]): void {
  const { count, cardinality } = cfg.customAttributes;
  for (let i = 1; i <= count; i++) {
    const v = rng.int(cardinality);
    const byValue = (customCache[i] ??= new Map());
    let kv = byValue.get(v);
    if (!kv) {
      const key = `custom.attr.${i}`;
      const t = i % 4;
      kv = shareKeyValue(t === 1 ? str(key, `value-${v}`) : t === 2 ? int(key, v) : t === 3 ? bool(key, v % 2 === 0) : dbl(key, v / 4));
      if (customCached < CUSTOM_CACHE_MAX) {
        byValue.set(v, kv);
        customCached++;
      }
    }
    into.push(kv);
  }
}

interface OutSpan {
  svc: Service;
  instance: KeyValue[];
  span: { traceId: Uint8Array; spanId: Uint8Array; [field: string]: unknown };
}

function toSpans(cfg: TracesGenConfig, nodes: Node[], rng: Rng): OutSpan[] {
  const traceId = rng.id(16);
  const instance = new Map<Service, KeyValue[]>();
  const out: OutSpan[] = [];
  let firstFailure = true;
  for (let i = nodes.length - 1; i >= 0; i--) {
    // Walking backwards finds the deepest failed span first: that is where the exception happened.
    const n = nodes[i]!;
    let res = instance.get(n.svc);
    if (!res) instance.set(n.svc, (res = rng.pick(n.svc.instances)));
    const attributes = spanAttributes(n.svc, n.op, n.failed, rng);
    if (n.failed) attributes.push(str('error.type', n.op.kind.endsWith('server') || n.op.kind.endsWith('client') ? (n.op.kind.startsWith('grpc') ? 'INTERNAL' : '500') : 'Error'));
    customAttributes(cfg, rng, attributes);
    let events: readonly unknown[] = NONE;
    if (n.failed && firstFailure) {
      firstFailure = false;
      events = [{ timeUnixNano: n.start + Math.round(n.duration * 0.8), name: 'exception', attributes: exceptionAttributes(n.svc, n.op, rng) }];
    } else if (n.op.kind === 'internal' && rng.chance(0.1)) {
      events = [{ timeUnixNano: n.start + Math.round(n.duration / 2), name: 'cache.miss', attributes: [str('cache.key', `${n.svc.routes[0]!.resource}:${rng.range(1, 99_999)}`)] }];
    }
    const links: readonly unknown[] = n.op.kind === 'consumer' ? [{ traceId, spanId: nodes[n.parent]!.spanId, attributes: [str('messaging.operation.type', 'send')] }] : NONE;
    out.push({
      svc: n.svc,
      instance: res,
      span: {
        traceId,
        spanId: n.spanId,
        parentSpanId: n.parent >= 0 ? nodes[n.parent]!.spanId : EMPTY,
        name: n.op.name,
        kind: KIND_OF[n.op.kind],
        startTimeUnixNano: n.start,
        endTimeUnixNano: n.start + n.duration,
        attributes,
        events,
        links,
        status: n.failed ? { code: STATUS_ERROR, message: n.op.kind === 'http_server' ? 'Internal Server Error' : 'request failed' } : undefined,
      },
    });
  }
  return out.reverse();
}

/**
 * ResourceSpans blocks for `count` regular traces plus the high-span traces. `refs`,
 * when given, collects a few span references per trace for correlated logs.
 */
export function* traceBlocks(cfg: TracesGenConfig, topo: Topology, rng: Rng, count = cfg.count, refs?: SpanRef[]): Generator<Block> {
  const high = cfg.spans.highSpanTraces;
  const sizes: number[] = [];
  let pending: OutSpan[] = [];
  for (let t = 0; t < count; t++) sizes.push(spanCount(cfg, rng));
  if (high.enabled) for (let t = 0; t < high.count; t++) sizes.push(high.spanCount);
  for (const n of sizes) {
    const spans = toSpans(cfg, buildTrace(topo, n, cfg.errorRate, rng), rng);
    if (refs) {
      // Fixed positions, not the PRNG: collecting refs must not change the traces.
      for (const k of new Set([0, spans.length >> 1, spans.length - 1])) {
        const s = spans[k]!;
        refs.push({ traceId: s.span.traceId, spanId: s.span.spanId, service: s.svc });
      }
    }
    for (const s of spans) pending.push(s);
    if (pending.length >= BLOCK_SPANS) {
      yield* group(pending);
      pending = [];
    }
  }
  if (pending.length > 0) yield* group(pending);
}

/** One ResourceSpans per service instance, in first-seen order (deterministic). */
function* group(spans: OutSpan[]): Generator<Block> {
  const by = new Map<KeyValue[], { svc: Service; spans: unknown[] }>();
  for (const s of spans) {
    let g = by.get(s.instance);
    if (!g) by.set(s.instance, (g = { svc: s.svc, spans: [] }));
    g.spans.push(s.span);
  }
  for (const [attributes, g] of by) {
    yield {
      resource: { resource: { attributes }, scopeSpans: [{ scope: { name: g.svc.language.scope, version: g.svc.language.version }, spans: g.spans }] },
      events: g.spans.length,
    };
  }
}
