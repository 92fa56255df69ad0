/** `pace: recorded`: a recording replays at its own timing, measured by when a real sink receives it. */
import { describe, expect, it } from 'vitest';
import type { Sink } from '../../src/sink/index.js';
import { cliKilledAfterEach, summaries, tempDir, writeConfig } from '../helpers/daemon.js';
import { sinksClosedAfterEach } from '../helpers/sink.js';
import { writeRecordedTraces } from '../helpers/templates.js';

const startSink = sinksClosedAfterEach();
const runCli = cliKilledAfterEach();

/** Requests (one trace of 2 spans each) recorded 1 s apart: 3 s from the first to the last. */
const REQUESTS = 4;

function recording(arrivalsMs?: number[]): string {
  const dir = tempDir();
  writeRecordedTraces(dir, { requests: REQUESTS, arrivalsMs });
  return dir;
}

/** Arrival time (performance.now()) of every traces request the sink accepts. */
async function timedSink(): Promise<{ sink: Sink; arrivals: number[] }> {
  const arrivals: number[] = [];
  const sink = await startSink({
    grpc: '127.0.0.1:0',
    tee: { hold: () => (arrivals.push(performance.now()), { commit: () => {}, release: () => {} }) },
  });
  return { sink, arrivals };
}

/**
 * Replays two cycles and gives the arrivals of the second: the first request of a run also
 * waits for the connection to be set up, which would shorten the first cycle's span.
 */
async function replay(dir: string, speed: number): Promise<number[]> {
  const { sink, arrivals } = await timedSink();
  const cfg = writeConfig(dir, `
receivers:
  template/rec: { traces: traces.pb, loops: 2, pace: recorded, speed: ${speed} }
processors:
  id_regen: {}
  timestamp: {}
exporters:
  otlp_grpc: { endpoint: ${sink.grpcAddress}, tls: { insecure: true } }
service:
  telemetry: { metrics: { address: none } }
  pipelines:
    traces: { receivers: [template/rec], processors: [id_regen, timestamp], exporters: [otlp_grpc] }
`, `speed-${speed}.yaml`);
  const d = runCli(['--config', cfg]);
  expect(await d.exited, d.stderr()).toBe(0);
  expect(summaries(d.lines).get('traces')).toMatchObject({ sent_spans: 2 * REQUESTS * 2 });
  expect(arrivals).toHaveLength(2 * REQUESTS);
  return arrivals.slice(REQUESTS);
}

const span = (arrivals: number[]): number => arrivals[arrivals.length - 1]! - arrivals[0]!;

describe('paced replay (template receiver pace: recorded)', () => {
  it('sends a recording spaced over 3 s in 3 s ± 5 % at speed 1 and in 1.5 s at speed 2, from recording.yaml\'s arrivals', async () => {
    const dir = recording([0, 1000, 2000, 3000]);
    const normal = await replay(dir, 1);
    expect(span(normal)).toBeGreaterThanOrEqual(3000 * 0.95);
    expect(span(normal)).toBeLessThanOrEqual(3000 * 1.05);
    // Each request on its own time, not only the last.
    for (let i = 1; i < REQUESTS; i++) expect(normal[i]! - normal[0]!).toBeGreaterThanOrEqual(i * 1000 * 0.95);
    const fast = await replay(dir, 2);
    expect(span(fast)).toBeGreaterThanOrEqual(1500 * 0.95);
    expect(span(fast)).toBeLessThanOrEqual(1500 * 1.05);
  }, 60_000);

  it('keeps the spacing of a file\'s own recorded times when it has no recording.yaml', async () => {
    const arrivals = await replay(recording(), 2);
    expect(span(arrivals)).toBeGreaterThanOrEqual(1500 * 0.95);
    expect(span(arrivals)).toBeLessThanOrEqual(1500 * 1.05);
  }, 60_000);
});
