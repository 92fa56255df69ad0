import { decodeOtlpJson } from '../otlp/json-decode.js';
import { requestType } from '../otlp/proto.js';
import type { Encoding, Signal } from '../otlp/signals.js';
import { RESOURCES } from '../otlp/wire/fields.js';
import { eachField } from '../otlp/wire/reader.js';
import { resourceServiceName } from '../otlp/wire/resource-service.js';
import type { Tee, TeeHold, TeeRefusal } from '../sink/intake.js';
import { countResource } from '../sink/counter.js';
import type { DiskBudget } from './disk-budget.js';
import { RecordFile, recordReservation } from './record-file.js';
import type { Redactor } from './redact.js';
import { YAML_BYTES_PER_REQUEST, yamlBytesPerService } from './recording-yaml.js';

/** Uncompressed bytes the recorder may hold in memory before it asks clients to come back later. */
const MAX_BUFFERED = 64 * 1024 * 1024;
/** Records waiting for compression are flushed at least this often, so the files and the budget stay current. */
const FLUSH_MS = 250;

/** Why a recording ended. */
export type StopReason = 'duration' | 'max_size' | 'write_error' | 'SIGINT' | 'SIGTERM' | 'stopped';

/**
 * What the recorder's OTLP receiver hands each request to before answering: converts
 * OTLP/JSON to protobuf, blanks sensitive values, reserves disk space for it (or refuses
 * it, as a full or busy endpoint would), and appends it to its signal's file once the
 * client has its answer. Requests whose client gave up are not recorded: it sends them again.
 */
export class RecordingTee implements Tee {
  readonly files = new Map<Signal, RecordFile>();
  /** Events per service name and signal. */
  readonly services = new Map<string, Partial<Record<Signal, number>>>();
  readonly startedAt = Date.now();
  readonly #started = performance.now();
  readonly #budget: DiskBudget;
  readonly #redactor: Redactor;
  readonly #onEnd: (reason: StopReason) => void;
  readonly #timer: NodeJS.Timeout;
  /** Service names reserved for (in the metadata) by holds not yet settled or committed. */
  readonly #reservedServices = new Set<string>();
  #lastArrival = 0;
  #ended: StopReason | undefined;
  refused = 0;

  /** `onEnd` is told once when the recording ends by itself (size, write error). */
  constructor(dir: string, signals: readonly Signal[], budget: DiskBudget, redactor: Redactor, onEnd: (reason: StopReason) => void) {
    for (const s of signals) this.files.set(s, new RecordFile(dir, s, budget));
    this.#budget = budget;
    this.#redactor = redactor;
    this.#onEnd = onEnd;
    this.#timer = setInterval(() => this.#flush(), FLUSH_MS);
    this.#timer.unref();
  }

  get ended(): StopReason | undefined {
    return this.#ended;
  }

  hold(signal: Signal, encoding: Encoding, body: Uint8Array, events: number): TeeHold | TeeRefusal {
    const refuse = (refused: TeeRefusal['refused'], message: string): TeeRefusal => {
      this.refused++;
      return { refused, message };
    };
    if (this.#ended) return refuse('unavailable', 'the recording has ended');
    const file = this.files.get(signal);
    if (!file) return refuse('unimplemented', `this recorder does not record ${signal}; it records ${[...this.files.keys()].join(', ')}`);
    const failed = [...this.files.values()].find((f) => f.failure);
    if (failed) {
      this.end('write_error');
      return refuse('unavailable', `the recording stopped: writing ${failed.name} failed`);
    }
    if (this.#buffered() > MAX_BUFFERED) return refuse('unavailable', 'the recorder is busy writing; try again later');
    let wire: Uint8Array;
    try {
      wire = encoding === 'json' ? requestType(signal).encode(decodeOtlpJson(signal, Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'))).finish() : body;
    } catch (err) {
      return refuse('invalid', `malformed OTLP/JSON: ${(err as Error).message}`);
    }
    const redacted = this.#redactor.redact(signal, wire);
    // The body goes on to counting (and may be a pooled buffer): the record needs its own bytes.
    const record = redacted === body ? new Uint8Array(body) : redacted;
    const perService = servicesOf(signal, record);
    let reservation = recordReservation(record.length) + YAML_BYTES_PER_REQUEST;
    const newServices: string[] = [];
    for (const name of perService.keys()) {
      if (this.services.has(name) || this.#reservedServices.has(name)) continue;
      newServices.push(name);
      reservation += yamlBytesPerService(name);
    }
    if (!this.#budget.reserve(reservation)) {
      // Bounds held for data not yet compressed shrink once it is; only then is the recording full.
      if ([...this.files.values()].some((f) => f.pending || f.buffered > 0)) {
        this.#flush();
        return refuse('unavailable', 'the recorder is compressing to stay under its size limit; try again shortly');
      }
      this.end('max_size');
      return refuse('unavailable', 'the recording reached its size limit');
    }
    for (const name of newServices) this.#reservedServices.add(name);
    const arrivalMs = Math.max(this.#lastArrival, Math.round((performance.now() - this.#started) * 1000) / 1000);
    let settled = false;
    return {
      commit: () => {
        if (settled) return;
        settled = true;
        this.#lastArrival = arrivalMs;
        file.append(record, events, arrivalMs, reservation - YAML_BYTES_PER_REQUEST - newServices.reduce((n, s) => n + yamlBytesPerService(s), 0));
        for (const [name, n] of perService) {
          const counts = this.services.get(name) ?? {};
          counts[signal] = (counts[signal] ?? 0) + n;
          this.services.set(name, counts);
        }
      },
      release: () => {
        if (settled) return;
        settled = true;
        this.#budget.release(reservation);
        for (const name of newServices) this.#reservedServices.delete(name);
      },
    };
  }

  /** Ends the recording: later requests are refused. The first reason is kept. */
  end(reason: StopReason): void {
    if (this.#ended) return;
    this.#ended = reason;
    clearInterval(this.#timer);
    if (reason === 'max_size' || reason === 'write_error') this.#onEnd(reason);
  }

  /** Writes everything committed and closes the files (renaming them into place). */
  async finish(): Promise<void> {
    clearInterval(this.#timer);
    const results = await Promise.allSettled([...this.files.values()].map((f) => f.finish()));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  #flush(): void {
    for (const f of this.files.values()) f.flush();
  }

  #buffered(): number {
    let n = 0;
    for (const f of this.files.values()) n += f.buffered;
    return n;
  }
}

/** Events per service name in a request (resources without service.name count as "unknown_service"). */
function servicesOf(signal: Signal, buf: Uint8Array): Map<string, number> {
  const out = new Map<string, number>();
  eachField(buf, 0, buf.length, RESOURCES, (rs, re) => {
    const name = resourceServiceName(buf, rs, re) ?? 'unknown_service';
    out.set(name, (out.get(name) ?? 0) + countResource(signal, buf, rs, re));
  });
  return out;
}
