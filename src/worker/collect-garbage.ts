/**
 * One full garbage collection, run by a pipeline worker once its frames are loaded and
 * before it reports ready. Loading and compiling leave the template's bytes and the
 * compiler's scratch arrays (together about 1.4× the template) unreachable, but V8 keeps
 * them until its next full collection, which can come only after sending has begun and
 * allocated the send buffers on top of them: that was the daemon's start-up peak of RSS
 * (57 MB over its steady level with the 41 MB bench template, over the budget of
 * template × 3 + 150 MB). Collected here, the peak is the compile's own.
 *
 * Node offers gc() only behind --expose-gc; V8 reads that flag when it creates a context,
 * so setting it at run time and making a fresh context gives us the function without a
 * flag on the command line (what the expose-gc package does). Flags are process-wide:
 * this adds gc to new vm contexts only.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gc: (() => void) | undefined;

export function collectGarbage(): void {
  if (!gc) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  gc();
}
