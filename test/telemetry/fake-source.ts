import { emptyCounters, type ExporterCounters } from '../../src/worker/stats.js';
import type { HealthStatus, PipelineSnapshot, TelemetrySource } from '../../src/telemetry/source.js';

/** A TelemetrySource whose numbers the test changes between reads, as the supervisor's would. */
export class FakeSource implements TelemetrySource {
  pipelines: PipelineSnapshot[] = [];
  status: HealthStatus = 'running';
  reloadCounts = { succeeded: 0, failed: 0 };
  fail: Error | undefined;

  snapshot(): PipelineSnapshot[] {
    if (this.fail) throw this.fail;
    return structuredClone(this.pipelines);
  }

  health(): HealthStatus {
    return this.status;
  }

  reloads(): { succeeded: number; failed: number } {
    return { ...this.reloadCounts };
  }
}

export function counters(partial: Partial<ExporterCounters> = {}): ExporterCounters {
  return { ...emptyCounters(), ...partial };
}

export function pipeline(partial: Partial<PipelineSnapshot> & Pick<PipelineSnapshot, 'pipeline'>): PipelineSnapshot {
  return {
    signal: 'traces', workers: 1, state: 'running', rateTarget: null, stage: null, origin: null, cycles: 0, sendingMs: 0,
    exporters: { otlp_grpc: counters() }, latency: {}, capacity: null,
    ...partial,
  };
}
