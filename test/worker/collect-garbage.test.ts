import { describe, expect, it } from 'vitest';
import { collectGarbage } from '../../src/worker/collect-garbage.js';

describe('collectGarbage', () => {
  it('frees unreachable memory at once, without --expose-gc on the command line', async () => {
    expect(process.execArgv).not.toContain('--expose-gc');
    let held: Buffer[] | undefined = Array.from({ length: 4 }, () => Buffer.alloc(8 * 1024 * 1024, 1));
    const ref = new WeakRef(held);
    // Out of the current task, so nothing on the stack still holds it.
    await new Promise((r) => setTimeout(r, 0));
    held = undefined;
    await new Promise((r) => setTimeout(r, 0));
    collectGarbage();
    expect(ref.deref()).toBeUndefined();
  });
});
