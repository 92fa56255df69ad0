import { describe, expect, it } from 'vitest';
import { cliKilledAfterEach, summaries, tempDir, writeConfig } from '../helpers/daemon.js';
import { writeTracesTemplate } from '../helpers/templates.js';
import { sinksClosedAfterEach } from '../helpers/sink.js';

const startSink = sinksClosedAfterEach();
const runCli = cliKilledAfterEach();

const LOOPS = 2;

describe('gzip into the sink, as a child process', () => {
  it('delivers stamped and zlib gzip at levels 1, 6 and 9 over gRPC, HTTP/protobuf and HTTP/JSON: the sink decodes and counts exactly what was sent', async () => {
    const s = await startSink({ grpc: '127.0.0.1:0', http: '127.0.0.1:0', verify: true });
    const dir = tempDir();
    const template = writeTracesTemplate(dir, { traces: 150, spansPerTrace: 8 });
    // One pipeline per setting, each sending every request over all three transports.
    const exporters: string[] = [];
    const pipelines: string[] = [];
    for (const level of [1, 6, 9]) {
      for (const stamped of [true, false]) {
        const params = `compression: gzip, compression_params: { level: ${level}, stamped: ${stamped} }`;
        const tag = `${level}${stamped ? 's' : 'z'}`;
        exporters.push(
          `otlp_grpc/g${tag}: { endpoint: ${s.grpcAddress}, tls: { insecure: true }, ${params} }`,
          `otlp_http/p${tag}: { endpoint: http://${s.httpAddress}, ${params} }`,
          `otlp_http/j${tag}: { endpoint: http://${s.httpAddress}, encoding: json, ${params} }`,
        );
        pipelines.push(`traces/${tag}: { receivers: [template/t], processors: [id_regen, timestamp, jitter, batch_splitter], exporters: [otlp_grpc/g${tag}, otlp_http/p${tag}, otlp_http/j${tag}] }`);
      }
    }
    const cfg = writeConfig(dir, `
receivers:
  template/t: { traces: ${template}, loops: ${LOOPS} }
processors:
  id_regen: {}
  timestamp: {}
  jitter: { max: 20ms }
  batch_splitter: { max_items: 300 }
exporters:
${exporters.map((e) => `  ${e}`).join('\n')}
service:
  telemetry: { stats_interval: 1s, metrics: { address: none } }
  pipelines:
${pipelines.map((p) => `    ${p}`).join('\n')}
`);
    const d = runCli(['--config', cfg]);
    expect(await d.exited, d.stderr()).toBe(0);
    const sum = summaries(d.lines);
    expect(sum.size).toBe(pipelines.length);
    const templateSpans = Number(d.lines.find((l) => l.msg === 'pipeline started')!.events);
    let sent = 0;
    for (const [pipeline, l] of sum) {
      expect(Number(l.sent_spans), pipeline).toBe(3 * LOOPS * templateSpans);
      expect(Number(l.failed), pipeline).toBe(0);
      // What went on the wire was compressed: far fewer bytes than the requests.
      expect(Number(l.sent_bytes), pipeline).toBeLessThan(Number(l.sent_uncompressed_bytes) / 3);
      sent += Number(l.sent_spans);
    }
    expect(s.counts().traces.events).toBe(sent);
    const v = (await s.verification())!;
    expect(v.checked.traces).toBe(sent);
    // Each request goes to three exporters, so each span arrives exactly three times; nothing else is wrong.
    expect(v.problems, JSON.stringify(v.examples).slice(0, 2000)).toEqual({ duplicate_span_id: (sent * 2) / 3 });
  }, 120_000);
});
