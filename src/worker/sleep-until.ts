/**
 * Resolves once `clock()` reaches `at` (default: the wall clock in ms since the epoch, the
 * moment replicas agree on), or when `abort` fires.
 */
export function sleepUntil(at: number, abort: AbortSignal, clock: () => number = Date.now): Promise<void> {
  return new Promise((resolve) => {
    if (abort.aborted || clock() >= at) return resolve();
    // Timers wake up to ~1 ms early or late; re-arm until the clock has really passed the moment.
    let t: NodeJS.Timeout | undefined;
    const done = (): void => {
      clearTimeout(t);
      abort.removeEventListener('abort', done);
      resolve();
    };
    const arm = (): void => {
      const left = at - clock();
      if (left <= 0) return done();
      t = setTimeout(arm, Math.min(Math.ceil(left), 2 ** 31 - 1));
    };
    abort.addEventListener('abort', done, { once: true });
    arm();
  });
}
