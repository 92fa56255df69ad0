/**
 * A pipeline's part in its receiver's correlation (src/stamp/sent-traces.ts): a traces
 * pipeline publishes each cycle it has sent whole; a logs or metrics pipeline follows,
 * deriving its trace ids from the latest cycle published.
 */
import type { Logger } from '../log.js';
import { senderWord } from '../stamp/id-derive.js';
import { SentTraces } from '../stamp/sent-traces.js';
import type { SentTracesLink } from './messages.js';
import { sleepUntil } from './sleep-until.js';

export class TracesLink {
  private readonly shared: SentTraces | undefined;

  constructor(
    private readonly link: SentTracesLink | undefined,
    private readonly sender: { seed: [number, number]; replica: number; worker: number },
    private readonly log: Logger,
  ) {
    this.shared = link && new SentTraces(link.buffer);
  }

  /** What a follower's Stamper derives trace ids from; undefined unless following. */
  get followed(): SentTraces | undefined {
    return this.link?.role === 'follow' ? this.shared : undefined;
  }

  /** A traces pipeline tells the pipelines that follow it that `cycle` has been sent whole. */
  publish(cycle: number, idRegen: boolean): void {
    if (this.link?.role !== 'publish') return;
    const { seed, replica, worker } = this.sender;
    this.shared!.publish({ seed, sender: senderWord(replica, worker), cycle, idRegen });
  }

  /**
   * A follower whose data names traces (trace ids with id_regen) waits until its traces
   * pipeline has sent one cycle completely, so it never names a span that was not sent.
   * False when stopped while waiting.
   */
  async tracesSent(namesTraces: boolean, idRegen: boolean, stop: AbortSignal): Promise<boolean> {
    const sent = this.followed;
    if (!sent || !idRegen || !namesTraces || sent.latest()) return true;
    if (this.sender.worker === 0) this.log.info({}, 'waiting for the traces pipeline of this receiver to send its first whole cycle: trace ids here name only spans already sent');
    while (!sent.latest()) {
      await sleepUntil(performance.now() + 20, stop, () => performance.now());
      if (stop.aborted) return false;
    }
    return true;
  }
}
