/**
 * Turns counter values read from snapshots into monotonic totals. A value below the
 * last one seen means its source started again from zero (a pipeline restarted by a
 * reload), so, as Prometheus treats counter resets, the whole new value counts as growth.
 * Numbers are never lost this way; at worst a restart between two reads that already
 * outgrew the old value is undercounted by the old value, which only the source can avoid
 * by keeping its counters cumulative.
 */
export class CounterTracker {
  readonly #last = new Map<string, number>();
  readonly #total = new Map<string, number>();

  /** Records the current raw value of `key` and returns how much it grew since the last call. */
  observe(key: string, value: number): number {
    const last = this.#last.get(key) ?? 0;
    const delta = value >= last ? value - last : value;
    this.#last.set(key, value);
    this.#total.set(key, (this.#total.get(key) ?? 0) + delta);
    return delta;
  }

  /** Monotonic total of `key` (0 if never observed). */
  total(key: string): number {
    return this.#total.get(key) ?? 0;
  }
}
