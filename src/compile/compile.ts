import { TemplateError } from '../errors.js';
import { EVENT_NAMES } from '../otlp/signals.js';
import { Packer } from './packer.js';
import { deliveryGroups, type DeliveryOptions, type DeliverySchedule, scheduled } from './delivery-schedule.js';
import { templateBytes } from '../receivers/encode-template.js';
import type { TemplateData } from '../receivers/template-data.js';
import type { Encoding } from '../otlp/signals.js';
import { type CompiledTemplate, type Frame } from './frame.js';
import { FrameWriter } from './frame-writer.js';
import { findDigitSites } from './attribute-sites.js';
import { jsonFrame } from './json-frame.js';
import { SeriesTable } from './metric-series.js';
import type { CompilePlan, DigitField, TemplateRewrite } from './plan.js';
import { TemplateIndex } from './template-index.js';

export interface CompileOptions {
  idRegen: boolean;
  timestamps: boolean;
  /** batch_splitter limits; both absent = one frame per TemplateData, or per recorded request (`requests`). */
  maxItems?: number;
  maxBytes?: number;
  /** Applied to every template, in order, before it is indexed (see CompilePlan). */
  rewrites?: readonly TemplateRewrite[];
  /** Digit fields to find in every frame (see CompilePlan). */
  digits?: readonly DigitField[];
  /** Frames by due time (delivery), for traces; absent = the order and split above. */
  delivery?: DeliveryOptions;
  /** Metrics: record value sites and series (timestamp's continuity); needs `timestamps`. */
  continuity?: boolean;
  encodings: Encoding[];
}

/**
 * What compile needs of a pipeline's plan, for the given encodings. A delivery schedule
 * spreads a cycle over events / `eventsPerSecond` (the worker's rate) and picks its late
 * spans with `seed`.
 */
export function compileOptions(plan: CompilePlan, encodings: Encoding[], schedule: { eventsPerSecond?: number; seed?: number } = {}): CompileOptions {
  return {
    idRegen: plan.idRegen, timestamps: plan.timestamps, maxItems: plan.split?.maxItems, maxBytes: plan.split?.maxBytes,
    rewrites: plan.rewrites, digits: plan.digits, continuity: plan.continuity !== null && plan.signal === 'metrics' && plan.timestamps, encodings,
    ...(plan.signal === 'traces' && scheduled(plan.delivery) ? { delivery: { plan: plan.delivery, ...schedule } } : {}),
  };
}

/**
 * Compiles templates of one signal into frames without decoding them: index every item
 * (span, log record, data point) of the encoded templates, partition them
 * (batch_splitter), then write each frame by copying wire slices, appending every time
 * field as fixed64 and recording patch sites at the offsets they are written to. JSON
 * frames are built one frame at a time from the proto frame, so only one frame's
 * objects are ever alive.
 */
export function compile(data: TemplateData[], opts: CompileOptions): CompiledTemplate {
  if (data.length === 0) throw new TemplateError('nothing to compile: no templates', { code: 'ERR_TEMPLATE_EMPTY' });
  const signal = data[0]!.signal;
  for (const d of data) {
    if (d.signal !== signal) throw new TemplateError(`holds ${d.signal}, but this pipeline compiles ${signal}`, { file: d.source });
  }
  const encodings = [...new Set(opts.encodings)];
  if (encodings.length === 0) throw new RangeError('compile: encodings must not be empty');

  const rewrites = opts.rewrites ?? [];
  const digits = opts.digits ?? [];
  const inputs = data.map((d) => ({ bytes: rewrites.reduce<Uint8Array>((b, rewrite) => rewrite(b), d.bytes ?? templateBytes(d)), source: d.source, requests: d.requests, pace: d.pace }));
  const continuity = opts.continuity === true && signal === 'metrics' && opts.timestamps;
  const index = new TemplateIndex(signal, inputs, opts.timestamps, continuity);
  if (index.count === 0) {
    throw new TemplateError(`holds no ${EVENT_NAMES[signal]}`, { file: data.length === 1 ? data[0]!.source : undefined, code: 'ERR_TEMPLATE_EMPTY' });
  }
  const paced = inputs.some((i) => i.pace);
  const split = opts.maxItems !== undefined || opts.maxBytes !== undefined;
  let groups: ArrayLike<number>[];
  /** With a paced template: the due time of every group. */
  const due: number[] = [];
  let schedule: DeliverySchedule | undefined;
  const packer = split ? new Packer(index, { maxItems: limit(opts.maxItems), maxBytes: limit(opts.maxBytes) }) : null;
  if (opts.delivery && signal === 'traces') {
    if (paced) throw new TemplateError('a template with pace: recorded cannot go through the delivery processor: both decide when frames are sent; drop one', { file: inputs.find((i) => i.pace)!.source });
    ({ groups, schedule } = deliveryGroups(index, opts.delivery, packer));
    if (groups.length === 0) throw new TemplateError('delivery leaves no span to send (every trace is rootless and has only its root)', { code: 'ERR_TEMPLATE_EMPTY' });
  } else if (packer && !paced) {
    for (const chunk of index.packChunks()) packer.add(chunk);
    groups = packer.finish();
  } else {
    // A paced template keeps its requests apart, so each keeps its due time (split or not).
    groups = [];
    index.inputItems.forEach((range, input) => {
      const { requests, pace } = inputs[input]!;
      requestGroups(index, input, range, requests).forEach((items, r) => {
        const before = groups.length;
        if (packer) {
          for (const i of items) packer.add([i]);
          groups.push(...packer.cut());
        } else if (items.length > 0) groups.push(items);
        for (let g = before; g < groups.length; g++) due.push(pace?.dueMs[r] ?? 0);
      });
    });
  }

  const writer = new FrameWriter(index, opts, continuity ? new SeriesTable(index) : undefined);
  const frames: Frame[] = [];
  let maxFrameEvents = 0, maxFrameBytes = 0, totalEvents = 0;
  for (const [g, items] of groups.entries()) {
    const { proto, units } = writer.write(items);
    proto.digits = digits.map((f) => findDigitSites(signal, proto.bytes, f.scope, f.key, f.width));
    const frame: Frame = { events: items.length, units, byteLength: {} };
    if (paced) frame.dueMs = due[g]!;
    for (const enc of encodings) {
      const encoded = enc === 'proto' ? proto : jsonFrame(signal, proto, { ...opts, digits });
      frame[enc] = encoded;
      frame.byteLength[enc] = encoded.bytes.length;
      maxFrameBytes = Math.max(maxFrameBytes, encoded.bytes.length);
    }
    maxFrameEvents = Math.max(maxFrameEvents, items.length);
    totalEvents += items.length;
    frames.push(frame);
  }
  return {
    signal, encodings, frames, totalEvents, maxFrameEvents, maxFrameBytes, idRegen: opts.idRegen, timestamps: opts.timestamps,
    traceGroups: writer.traceGroups.freeze(), spanGroups: writer.spanGroups.freeze(), unitCount: opts.timestamps ? writer.unitCount : 0,
    digitWidths: digits.map((f) => f.width),
    ...(paced ? { cycleMs: Math.max(...inputs.map((i) => i.pace?.cycleMs ?? 0)) } : {}),
    unitEnds: opts.timestamps ? writer.unitEnds() : new Float64Array(0),
    ...(schedule ? { schedule } : {}),
    continuity: writer.series?.finish() ?? null,
  };
}

/**
 * An input's items as the requests it was recorded in (one group without `requests`).
 * Items come in resource order, so each request is a run of them.
 */
function requestGroups(index: TemplateIndex, input: number, [a, b]: [number, number], requests: number[] | undefined): number[][] {
  const all = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => from + k);
  if (!requests) return [all(a, b)];
  const [r0, r1] = index.inputResources[input]!;
  if (requests.reduce((x, y) => x + y, 0) !== r1 - r0) {
    throw new Error(`compile: ${index.inputs[input]!.source} has ${r1 - r0} resources but its requests hold ${requests.reduce((x, y) => x + y, 0)}`);
  }
  const groups: number[][] = [];
  let i = a;
  let end = r0;
  for (const n of requests) {
    end += n;
    const from = i;
    while (i < b && index.resource(i) < end) i++;
    groups.push(all(from, i));
  }
  return groups;
}

function limit(n: number | undefined): number {
  if (n === undefined || n === 0) return Infinity;
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`compile: batch limits must be non-negative integers, got ${n}`);
  return n;
}
