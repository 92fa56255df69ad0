import { afterAll, describe, expect, it } from 'vitest';
import { describeConfig, parseConfig } from '../../src/config/load.js';
import { SECRET, baseConfig, makeDir } from './fixture.js';

const { dir, cleanup } = makeDir();
afterAll(cleanup);

describe('describeConfig', () => {
  it('summarizes pipelines and components and redacts every header value', () => {
    const raw = baseConfig();
    raw.exporters['otlp_grpc/backend'].headers = { 'X-Api-Key': '${env:API_KEY}', authorization: `Bearer ${SECRET}` };
    raw.exporters['otlp_http/h'] = { endpoint: 'http://127.0.0.1:4318', headers: { 'x-tenant': 'tenant-secret-42' } };
    raw.processors.ratelimit = { events_per_second: 1000 };
    raw.service.pipelines['traces/replay'].processors = ['id_regen', 'ratelimit'];
    raw.service.pipelines['traces/replay'].exporters = ['otlp_grpc/backend', 'otlp_http/h'];
    raw.service.pipelines['traces/replay'].workers = 2;
    const text = describeConfig(parseConfig(JSON.stringify(raw), `${dir}/c.yaml`, { API_KEY: SECRET }));
    expect(text).toContain('traces/replay (2 workers): template/checkout -> id_regen -> ratelimit -> otlp_grpc/backend, otlp_http/h');
    expect(text).toContain('grpc 127.0.0.1:4317 (plaintext)');
    expect(text).toContain('x-api-key: <redacted>');
    expect(text).toContain('authorization: <redacted>');
    expect(text).toContain('x-tenant: <redacted>');
    expect(text).toContain('1000 events/s');
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain('tenant-secret-42');
  });

  it('shows a value that came from the environment as written, never the value (an endpoint can hold a key)', () => {
    const raw = baseConfig();
    raw.exporters['otlp_http/h'] = { endpoint: '${env:ENDPOINT}' };
    raw.service.pipelines['traces/replay'].exporters = ['otlp_http/h'];
    const text = describeConfig(parseConfig(JSON.stringify(raw), `${dir}/c.yaml`, { ENDPOINT: `https://ingest.example/${SECRET}` }));
    expect(text).toContain('http ${env:ENDPOINT}');
    expect(text).not.toContain(SECRET);
  });
});
