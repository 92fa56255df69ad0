/**
 * Whether a request's client has already given up. A client that gave up retries, so a
 * sink that counts such a request counts the same events twice ("sink > sent").
 */

const UNIT_MS: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 1e-3, n: 1e-6 };

/** The gRPC `grpc-timeout` header (1–8 digits and a unit, H M S m u n) in ms; undefined when absent or malformed. */
export function parseGrpcTimeout(value: string | string[] | undefined): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  const m = v === undefined ? null : /^(\d{1,8})([HMSmun])$/.exec(v);
  return m ? Number(m[1]) * UNIT_MS[m[2]!]! : undefined;
}

/** How often the watch ticks, and how late a tick may be before the loop counts as stalled. */
const TICK_MS = 50;
const STALL_MS = 200;
/** Longest time after a stall during which input may still be what arrived during it. */
const MAX_CATCH_UP_MS = 1000;

/**
 * Watches the sink's own event loop. A request is first seen when the loop gets to it;
 * after a stall (a busy main thread, a stopped process) it may have arrived at any time
 * during the stall, and what its client did meanwhile (reset the stream, closed the
 * connection) is still unread behind it. So for a while after a stall (as long as the
 * stall, at most MAX_CATCH_UP_MS) requests count as arrived when the stall began, and
 * answers wait until the input buffered during the stall has been read. The sink then
 * errs towards "late", and a late request is answered with an error the client retries.
 */
export class LoopWatch {
  #lastTick = performance.now();
  #stallStart = 0;
  #catchUpUntil = 0;
  readonly #timer: NodeJS.Timeout;

  constructor() {
    this.#timer = setInterval(() => this.#tick(), TICK_MS);
    this.#timer.unref();
  }

  #tick(): void {
    const now = performance.now();
    // After a stop, epoll returns EINTR and the timers run before the buffered input is read.
    if (now - this.#lastTick > STALL_MS) {
      this.#stallStart = this.#lastTick;
      this.#catchUpUntil = now + Math.min(now - this.#lastTick, MAX_CATCH_UP_MS);
    }
    this.#lastTick = now;
  }

  /** The earliest time a request first seen now can have arrived. */
  arrival(): number {
    const now = performance.now();
    if (now - this.#lastTick > STALL_MS) return this.#lastTick;
    return now < this.#catchUpUntil ? this.#stallStart : now;
  }

  /** Runs `fn` once input buffered during a stall has been read; at once when there was no stall. */
  afterCatchUp(fn: () => void): void {
    const now = performance.now();
    // A stall the watch has not ticked after yet: its (overdue) tick runs before a 0 ms timer.
    if (now - this.#lastTick > STALL_MS) setTimeout(() => this.afterCatchUp(fn), 0);
    else if (now < this.#catchUpUntil) setTimeout(fn, this.#catchUpUntil - now);
    else fn();
  }

  close(): void {
    clearInterval(this.#timer);
  }
}
