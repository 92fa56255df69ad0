import type { Logger } from '../log.js';
import { UsageError } from '../errors.js';
import type { FaultOptions } from './faults.js';
import { startGrpcServer, type GrpcSink } from './grpc-server.js';
import { startHttpServer, type HttpSink } from './http-server.js';
import { Intake, type SecondCount, type SinkCounts } from './intake.js';
import { buildReport, type SinkReport } from './report.js';
import type { SinkTlsOptions } from './server-options.js';
import type { VerificationReport } from './verifier-thread.js';
import type { VerifyOptions } from './verify.js';

export type { FailCode, FaultOptions } from './faults.js';
export type { SinkTlsOptions } from './server-options.js';
export type { SecondCount, SignalCounts, SinkCounts } from './intake.js';
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
  /** Accept at most this many events/s (a token bucket); above it answer RESOURCE_EXHAUSTED / 429 with a retry delay. */
  maxRate?: number;
  log?: Logger;
}

export interface Sink {
  /** Bound host:port, when serving gRPC. */
  grpcAddress?: string;
  httpAddress?: string;
  counts(): SinkCounts;
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
  const receiver = new Intake({ verify: opts.verify, faults: opts.faults, maxRate: opts.maxRate, log: opts.log });
  const startedAt = Date.now();
  const server = { tls: opts.tls, log: opts.log };
  let grpc: GrpcSink | undefined;
  let http: HttpSink | undefined;
  try {
    if (opts.grpc) grpc = await startGrpcServer(opts.grpc, receiver, server);
    if (opts.http) http = await startHttpServer(opts.http, receiver, server);
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
