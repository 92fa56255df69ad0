import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { capacityOf, capacityProblems, defaultMemoryLimit, templateFileBytes } from '../../src/service/capacity.js';

const MB = 1e6;
const dir = mkdtempSync(join(tmpdir(), 'replayd-capacity-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const TEMPLATE = join(dir, 't.pb');
writeFileSync(TEMPLATE, Buffer.alloc(10 * MB, 0x0a));

function config(service: string, pipelines: string, extra = ''): ReturnType<typeof parseConfig> {
  return parseConfig(`
receivers:
  template/t: { traces: t.pb }
  generator/g: { pool: 1000, traces: { count: 1 } }
processors:
  batch_splitter: { max_bytes: 1MB }
exporters:
  otlp_grpc: { endpoint: 127.0.0.1:4317, tls: { insecure: true } }
  otlp_http/json: { endpoint: http://127.0.0.1:4318, encoding: json, max_in_flight: 2 }
${extra}
service:
${service}
  pipelines:
${pipelines}
`, join(dir, 'config.yaml'));
}

const RAM = { cores: 2, totalMemory: 100e9, cgroupRoot: join(dir, 'no-cgroup') };

describe('the memory estimate', () => {
  it('grows with the template, its encodings, the workers and the requests in flight', () => {
    const one = capacityOf(config('', '    traces: { receivers: [template/t], exporters: [otlp_grpc] }'), RAM);
    // thread 32 MiB + loading the template 1.3 × 10 MB + compiled 1.8 × 10 MB + 4 in flight × the whole template (no batch_splitter)
    expect(one.pipelines[0]!.perWorker).toBe(Math.round(32 * 1024 ** 2 + 13 * MB + 18 * MB + 4 * 10 * MB));
    const split = capacityOf(config('', '    traces: { receivers: [template/t], processors: [batch_splitter], exporters: [otlp_grpc], workers: 3 }'), RAM);
    expect(split.pipelines[0]!.perWorker).toBe(Math.round(32 * 1024 ** 2 + 13 * MB + 18 * MB + 4 * MB));
    expect(split.memory - split.pipelines[0]!.perWorker * 3).toBe(80 * 1024 ** 2);
    expect(split.threads).toBe(3);
    // OTLP/JSON: its own compiled frames (2.4×) and larger requests (2 in flight × 2.1 × 1 MB)
    const both = capacityOf(config('', '    traces: { receivers: [template/t], processors: [batch_splitter], exporters: [otlp_grpc, otlp_http/json] }'), RAM);
    expect(both.pipelines[0]!.perWorker - split.pipelines[0]!.perWorker).toBe(Math.round(24 * MB + 2 * 2.1 * MB));
    const generated = capacityOf(config('', '    traces: { receivers: [generator/g], exporters: [otlp_grpc] }'), RAM);
    expect(generated.pipelines[0]!.perWorker).toBeGreaterThan(32 * 1024 ** 2 + 1000 * 15 * 480);
  });

  it('reads the size of a gzipped template from its trailer', () => {
    const gz = join(dir, 'big.pb.gz');
    writeFileSync(gz, gzipSync(Buffer.alloc(5 * MB)));
    expect(templateFileBytes(gz)).toBe(5 * MB);
    expect(templateFileBytes(TEMPLATE)).toBe(10 * MB);
    expect(templateFileBytes(join(dir, 'missing.pb'))).toBe(0);
  });
});

describe('the limits', () => {
  it('refuses more than 16 threads per core (at least 64), naming the pipeline whose workers alone are too many', () => {
    const c = capacityOf(config('', '    traces: { receivers: [template/t], exporters: [otlp_grpc], workers: 65 }'), RAM);
    expect(c.threadLimit).toBe(64);
    expect(capacityProblems(c)).toEqual([{
      path: 'service.pipelines.traces.workers',
      message: '65 worker threads in all (traces: 65) is more than 64, the most this machine runs usefully (16 per core × 2 cores, at least 64); use fewer workers or pipelines',
    }]);
    expect(capacityProblems(capacityOf(config('', '    traces: { receivers: [template/t], exporters: [otlp_grpc], workers: 65 }'), { ...RAM, cores: 8 }))).toEqual([]);
    const many = Array.from({ length: 70 }, (_, i) => `    traces/p${i}: { receivers: [template/t], processors: [batch_splitter], exporters: [otlp_grpc] }`).join('\n');
    const problems = capacityProblems(capacityOf(config('', many), RAM));
    expect(problems.map((p) => p.path)).toEqual(['service.pipelines']);
    expect(problems[0]!.message).toMatch(/^70 worker threads in all \(traces\/p0: 1, traces\/p1: 1, traces\/p2: 1 and 67 more\) is more than 64/);
  });

  it('refuses an estimate above service.memory_limit, naming the key and the largest pipelines', () => {
    const c = capacityOf(config('  memory_limit: 300MB', '    traces: { receivers: [template/t], processors: [batch_splitter], exporters: [otlp_grpc], workers: 5 }'), RAM);
    expect(c.memoryLimit).toBe(300 * MB);
    expect(capacityProblems(c)).toEqual([{
      path: 'service.memory_limit',
      message: expect.stringMatching(/^the pipelines would need about [\d.]+ MB \(traces: 5 workers × [\d.]+ MB\), more than the limit of 300 MB \(service\.memory_limit\); use fewer workers/),
    }]);
    expect(capacityProblems(capacityOf(config('  memory_limit: 2GB', '    traces: { receivers: [template/t], processors: [batch_splitter], exporters: [otlp_grpc], workers: 5 }'), RAM))).toEqual([]);
  });

  it('takes service.memory_limit as a size', () => {
    expect(() => config('  memory_limit: lots', '    traces: { receivers: [template/t], exporters: [otlp_grpc] }')).toThrow(
      'service.memory_limit: must be a size like "512KiB" or "4MB", got "lots"',
    );
  });
});

describe('the default memory limit', () => {
  function cgroup(files: Record<string, string>): string {
    const root = mkdtempSync(join(dir, 'cgroup-'));
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(join(root, name, '..'), { recursive: true });
      writeFileSync(join(root, name), `${text}\n`);
    }
    return root;
  }

  it('is the cgroup limit (v2, else v1) when there is one below RAM, else 80 % of RAM', () => {
    const v2 = cgroup({ 'memory.max': '2147483648' });
    expect(defaultMemoryLimit(v2, 8e9)).toEqual({ bytes: 2147483648, source: `the cgroup memory limit, ${join(v2, 'memory.max')}` });
    const v1 = cgroup({ 'memory/memory.limit_in_bytes': '1073741824' });
    expect(defaultMemoryLimit(v1, 8e9).bytes).toBe(1073741824);
    const unlimited = cgroup({ 'memory.max': 'max', 'memory/memory.limit_in_bytes': '9223372036854771712' });
    expect(defaultMemoryLimit(unlimited, 8e9)).toEqual({ bytes: 6.4e9, source: '80 % of 8 GB RAM' });
    expect(defaultMemoryLimit(cgroup({ 'memory.max': '9000000000' }), 8e9).bytes).toBe(6.4e9);
    expect(defaultMemoryLimit(join(dir, 'none'), 8e9).bytes).toBe(6.4e9);
  });
});
