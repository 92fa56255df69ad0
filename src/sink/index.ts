import type { Logger } from '../log.js';
import { UsageError } from '../errors.js';
import type { FaultOptions } from './faults.js';
import { startGrpcServer, type GrpcSink } from './grpc-server.js';
import { startHttpServer, type HttpSink } from './http-server.js';
import { Intake, type CountsBy, type SecondCount, type SinkCounts, type Tee } from './intake.js';
import { buildReport, type SinkReport } from './report.js';
import type { SinkTlsOptions } from './server-options.js';
import type { VerificationReport } from './verifier-thread.js';
import type { VerifyOptions } from './verify.js';

export type { FailCode, FaultOptions } from './faults.js';
export type { SinkTlsOptions } from './server-options.js';
export type { CountsBy, SecondCount, SignalCounts, SinkCounts, Tee, TeeHold, TeeRefusal } from './intake.js';
export { writeReport, type SinkReport, type SignalSummary } from './report.js';
export type { ProblemKind, VerifyOptions, VerifyReport } from './verify.js';
export type { VerificationReport } from './verifier-thread.js';

export interface SinkOptions {
  /** host:port for OTLP/gRPC (port 0 picks a free one). */
  grpc?: string;
  /** host:port for OTLP/HTTP. */
  http?: string;
  /** Decode and check every request (slower); an object tunes the checks. */
  verify?: boolean | VerifyOptions;
  tls?: SinkTlsOptions;
  faults?: FaultOptions;
  /** Takes every request before it is answered with success (the recorder). */
  tee?: Tee;
  /** Also count events per value of this resource attribute (`countsBy()`), e.g. the replica of a scaled-out run. */
  countBy?: string;
  /** Accept at most this many events/s (a token bucket); above it answer RESOURCE_EXHAUSTED / 429 with a retry delay. */
  maxRate?: number;
  log?: Logger;
  /**
   * What to call the addresses when one cannot be listened on: the config keys or flags
   * they came from (default `--grpc`, `--http`, as the sink command takes them).
   */
  settings?: { grpc: string; http: string };
}

export interface Sink {
  /** Bound host:port, when serving gRPC. */
  grpcAddress?: string;
  httpAddress?: string;
  counts(): SinkCounts;
  /** Events per value of the countBy resource attribute, per signal ('' = resources without it). */
  countsBy(): CountsBy;
  /** Events received per second of arrival, for the last hour. */
  timeline(): SecondCount[];
  /** Verification findings once every request counted so far is checked; undefined without verify. */
  verification(): Promise<VerificationReport | undefined>;
  report(): Promise<SinkReport>;
  /** Stops serving (in-flight calls finish), then verification; both reports stay available. */
  close(): Promise<void>;
}

/** Starts the OTLP receiver on the requested transports; both share one set of counters and one fault PRNG. */
export async function startSink(opts: SinkOptions): Promise<Sink> {
  if (!opts.grpc && !opts.http) throw new UsageError('sink needs a gRPC or an HTTP address (or both)');
  const receiver = new Intake({ verify: opts.verify, faults: opts.faults, countBy: opts.countBy, maxRate: opts.maxRate, log: opts.log, tee: opts.tee });
  const startedAt = Date.now();
  const settings = opts.settings ?? { grpc: '--grpc', http: '--http' };
  const server = { tls: opts.tls, log: opts.log };
  let grpc: GrpcSink | undefined;
  let http: HttpSink | undefined;
  try {
    if (opts.grpc) grpc = await startGrpcServer(opts.grpc, receiver, { ...server, setting: settings.grpc });
    if (opts.http) http = await startHttpServer(opts.http, receiver, { ...server, setting: settings.http });
  } catch (err) {
    await grpc?.close();
    await receiver.close();
    throw err;
  }
  let closing: Promise<void> | undefined;
  // Rates in a report written after close() cover the time the sink was serving, not the time since.
  let stoppedAt: number | undefined;
  return {
    grpcAddress: grpc?.address,
    httpAddress: http?.address,
    counts: () => receiver.counts(),
    countsBy: () => receiver.countsBy(),
    timeline: () => receiver.timeline(),
    verification: () => receiver.verification(),
    report: async () => {
      const now = stoppedAt ?? Date.now();
      const counts = receiver.counts();
      const faults = { ...receiver.faults.describe(), maxRate: receiver.maxRate ?? null };
      return buildReport({ startedAt, now, counts, faults, timeline: receiver.timeline(), verification: await receiver.verification() });
    },
    close: () => {
      stoppedAt ??= Date.now();
      return (closing ??= Promise.all([grpc?.close(), http?.close()]).then(() => receiver.close()));
    },
  };
}
