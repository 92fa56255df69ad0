import type { ResolvedPipeline } from '../config/types.js';
import { RECEIVERS } from '../receivers/index.js';
import { SentTraces } from '../stamp/sent-traces.js';
import type { SentTracesLink } from '../worker/messages.js';

/**
 * Per receiver (its config as JSON): the traces cycles sent, which that receiver's logs
 * and metrics pipelines name in their trace ids. Kept across reloads, so a restarted
 * follower names spans an earlier traces incarnation sent until the new one has sent a cycle.
 */
export class SentTracesLinks {
  private readonly buffers = new Map<string, SharedArrayBuffer>();

  /**
   * A pipeline's part in correlation: when its receiver also feeds a traces pipeline of
   * config `all`, or did and it sent a cycle (and gives every worker the same data),
   * traces pipelines publish the cycles they sent and the others name spans of those cycles.
   */
  link(r: ResolvedPipeline, all: ResolvedPipeline[]): SentTracesLink | undefined {
    const role = this.role(r, all);
    if (!role) return undefined;
    const key = JSON.stringify(r.receivers[0]);
    let buffer = this.buffers.get(key);
    if (!buffer) this.buffers.set(key, (buffer = SentTraces.buffer()));
    return { buffer, role };
  }

  role(r: ResolvedPipeline, all: ResolvedPipeline[]): SentTracesLink['role'] | undefined {
    const receiver = r.receivers[0]!;
    if (!RECEIVERS.of(receiver).sameDataInEveryWorker) return undefined;
    const key = JSON.stringify(receiver);
    if (all.some((p) => p.pipeline.signal === 'traces' && JSON.stringify(p.receivers[0]) === key)) return r.pipeline.signal === 'traces' ? 'publish' : 'follow';
    // Its traces pipeline was removed by a reload: the cycles it sent are still valid to name.
    const buffer = this.buffers.get(key);
    return buffer && new SentTraces(buffer).latest() ? 'follow' : undefined;
  }
}
