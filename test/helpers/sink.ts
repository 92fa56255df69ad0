import { afterEach } from 'vitest';
import { startSink, type Sink, type SinkOptions } from '../../src/sink/index.js';

/**
 * Call once at the top of a test file: returns a `startSink` whose sinks are all closed
 * after each test, so a failing test never leaves a port bound for the next one.
 */
export function sinksClosedAfterEach(): (opts: SinkOptions) => Promise<Sink> {
  let open: Sink[] = [];
  afterEach(async () => {
    const closing = open;
    open = [];
    await Promise.all(closing.map((s) => s.close()));
  });
  return async (opts) => {
    const s = await startSink(opts);
    open.push(s);
    return s;
  };
}
