/** Stream mode (templates larger than memory) as a real child process: what it sends and what it caches. */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cliKilledAfterEach, summaries, tempDir, writeConfig, type DaemonProcess } from '../helpers/daemon.js';
import { tracesRequest, writeTemplate } from '../helpers/templates.js';
import { FakeHttpEndpoint } from '../exporters/fake-endpoint.js';

const runCli = cliKilledAfterEach();
const endpoints: FakeHttpEndpoint[] = [];
afterEach(async () => {
  await Promise.all(endpoints.splice(0).map((e) => e.close()));
});

/** One cycle of `template` into a fresh capturing endpoint, one request at a time (so in order); what it received. */
async function replay(dir: string, template: string, stream: boolean, encoding: 'proto' | 'json', workers = 1): Promise<{ bodies: Buffer[]; d: DaemonProcess }> {
  const ep = await FakeHttpEndpoint.start();
  endpoints.push(ep);
  const cfg = writeConfig(dir, `
receivers:
  template/t: { traces: ${template}, loops: 2, stream: ${stream}, cache_dir: ${join(dir, 'cache')} }
processors:
  batch_splitter: { max_items: 40 }
exporters:
  otlp_http: { endpoint: ${ep.url}, encoding: ${encoding}, max_in_flight: 1 }
service:
  telemetry: { metrics: { address: none } }
  pipelines:
    traces: { receivers: [template/t], processors: [batch_splitter], exporters: [otlp_http], workers: ${workers} }
`, `${stream}-${encoding}-${workers}.yaml`);
  const d = runCli(['--config', cfg]);
  expect(await d.exited, d.stderr()).toBe(0);
  expect(summaries(d.lines).get('traces')).toMatchObject({ failed: 0 });
  return { bodies: ep.received.map((r) => r.body), d };
}

describe('a template streamed from disk', () => {
  it('sends byte-identical requests to the same template held in memory (recorded times kept, proto and JSON)', async () => {
    const dir = tempDir();
    const template = writeTemplate(dir, 'traces', tracesRequest({ traces: 60, spansPerTrace: 4, absolute: true }));
    for (const encoding of ['proto', 'json'] as const) {
      // In memory the template never touches the frame cache: both runs go side by side.
      const [memory, streamed] = await Promise.all([replay(dir, template, false, encoding), replay(dir, template, true, encoding)]);
      expect(memory.bodies.length).toBe(12);
      expect(streamed.bodies.map((b) => b.toString('hex'))).toEqual(memory.bodies.map((b) => b.toString('hex')));
      expect(streamed.d.lines.some((l) => l.msg === 'template compiled into the frame cache')).toBe(true);
    }
  });

  it('is compiled once for a pipeline\'s workers, which all replay it from the one frame file', async () => {
    const dir = tempDir();
    const template = writeTemplate(dir, 'traces', tracesRequest({ traces: 30, spansPerTrace: 4, absolute: true }));
    const { bodies, d } = await replay(dir, template, true, 'proto', 3);
    expect(d.lines.filter((l) => l.msg === 'template compiled into the frame cache')).toHaveLength(1);
    expect(bodies.length).toBe(3 * 2 * 3);
    expect(Number(summaries(d.lines).get('traces')!.sent_spans)).toBe(3 * 2 * 120);
  });

  it('compiles once: the next start reuses the frame file, and a changed template is compiled again (its old frame file removed)', async () => {
    const dir = tempDir();
    const template = writeTemplate(dir, 'traces', tracesRequest({ traces: 20, spansPerTrace: 4, absolute: true }));
    const first = await replay(dir, template, true, 'proto');
    expect(first.d.lines.filter((l) => l.msg === 'template compiled into the frame cache')).toHaveLength(1);
    const second = await replay(dir, template, true, 'proto');
    expect(second.d.lines.filter((l) => l.msg === 'template compiled into the frame cache')).toHaveLength(0);
    expect(second.d.lines.find((l) => l.msg === 'template frames reused from the cache')).toMatchObject({ template });
    expect(second.bodies.map((b) => b.toString('hex'))).toEqual(first.bodies.map((b) => b.toString('hex')));
    writeTemplate(dir, 'traces', tracesRequest({ traces: 30, spansPerTrace: 4, absolute: true }));
    const third = await replay(dir, template, true, 'proto');
    expect(third.d.lines.filter((l) => l.msg === 'template compiled into the frame cache')).toHaveLength(1);
    expect(third.bodies.length).toBe(2 * 3);
    expect(readdirSync(join(dir, 'cache')).filter((f) => f.endsWith('.frames'))).toHaveLength(1);
  });
});
