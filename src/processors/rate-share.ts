/**
 * How a pipeline-wide rate is split over the senders of a scaled-out run: `replicas`
 * processes (service.replicas) × `workers` threads each. The split is exact: replica
 * shares sum to the configured rate, and the worker shares of a replica sum to the
 * replica's, with integer remainders spread over the first ones (10/s over 3 → 4, 3, 3),
 * never dropped. Any fraction is divided evenly.
 */
import type { Signal } from '../otlp/signals.js';
import type { ProcessorContext } from './processor.js';

/** Where one sender sits in the run. */
export interface SenderPlace {
  replica: number;
  replicas: number;
  worker: number;
  workers: number;
}

/** The context processors of one worker of one replica are created with. */
export function processorContext(signal: Signal, p: SenderPlace): ProcessorContext {
  return { signal, worker: p.worker, workers: p.workers, replica: p.replica, replicas: p.replicas, share: (total) => shareOf(total, p), phase: phaseOf(p) };
}

/** Part `index` of `parts` of `total`: the whole units spread, the fraction divided evenly. */
export function splitExactly(total: number, parts: number, index: number): number {
  const whole = Math.floor(total);
  const base = Math.floor(whole / parts);
  const extra = whole - base * parts;
  return base + (index < extra ? 1 : 0) + (total - whole) / parts;
}

/** This sender's share of `total`: first over the replicas, then over this replica's workers. */
export function shareOf(total: number, p: SenderPlace): number {
  return splitExactly(splitExactly(total, p.replicas, p.replica), p.workers, p.worker);
}

/**
 * Where this sender's requests fall within one request interval, in [0, 1): the workers
 * of a replica are spread evenly, and the replicas interleave between them, so
 * replicas × workers senders started together never fire in lockstep.
 */
export function phaseOf(p: SenderPlace): number {
  return (p.worker * p.replicas + p.replica) / (p.workers * p.replicas);
}
