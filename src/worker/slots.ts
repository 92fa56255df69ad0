/**
 * A counting semaphore for one exporter's in-flight requests. The pipeline loop
 * waits here before stamping, which is how a slow endpoint slows the loop instead
 * of growing a queue.
 */
export class Slots {
  readonly size: number;
  private used = 0;
  private readonly waiters: (() => void)[] = [];

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`slots must be a positive integer, got ${size}`);
    this.size = size;
  }

  get inUse(): number {
    return this.used;
  }

  async acquire(): Promise<void> {
    if (this.used < this.size) {
      this.used++;
      return;
    }
    // The releaser hands its slot straight to the first waiter, so `used` never dips.
    await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.used--;
  }
}
