/** `validate` as a real child process running the built CLI module. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { availableParallelism } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtModule } from '../../src/package-root.js';
import { createTestCerts, type TestCerts } from '../helpers/certs.js';
import { ABSOLUTE_BASE, metricsRequest, tracesRequest, writeTemplate } from '../helpers/templates.js';

const SECRET = 'sk-live-cli-0123456789';
/** The daemon's limit on worker threads (see src/service/capacity.ts). */
const THREAD_LIMIT = Math.max(64, 16 * availableParallelism());
const dir = mkdtempSync(join(tmpdir(), 'replayd-validate-'));
let certs: TestCerts;
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  certs?.cleanup();
});

beforeAll(() => {
  // The child runs JavaScript from dist/ (built by `npm test`'s pretest, or `npx tsc -p tsconfig.json`).
  if (!existsSync(builtModule('cli/validate.js'))) throw new Error('dist/src/cli/validate.js is missing: run npm run build first');
  writeTemplate(dir, 'traces', tracesRequest({ traces: 2, spansPerTrace: 3, absolute: true }), { name: 't' });
  writeTemplate(dir, 'metrics', metricsRequest({ points: 3 }), { name: 'm' });
  certs = createTestCerts();
});

function validate(args: string[], opts: { env?: Record<string, string>; stdin?: string } = {}): { code: number | null; stdout: string; stderr: string } {
  const entry = pathToFileURL(builtModule('cli/validate.js')).href;
  const code = `const { main } = await import(${JSON.stringify(entry)}); process.exitCode = await main(process.argv.slice(1));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code, '--', ...args], {
    encoding: 'utf8',
    env: { ...process.env, API_KEY: SECRET, ...opts.env },
    input: opts.stdin ?? '',
    cwd: dir,
    timeout: 20_000,
    killSignal: 'SIGKILL',
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function write(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

const VALID = `
receivers: { template/checkout: { traces: t.pb } }
exporters:
  otlp_grpc/backend: { endpoint: 127.0.0.1:4317, tls: { insecure: true }, headers: { x-api-key: "\${env:API_KEY}" } }
service:
  pipelines:
    traces/replay: { receivers: [template/checkout], exporters: [otlp_grpc/backend] }
`;

describe('otel-replayd validate', () => {
  it('prints the summary and exits 0 for a valid config, redacting headers', () => {
    const file = write('ok.yaml', VALID);
    const r = validate(['--config', file]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`config ${file}`);
    expect(r.stdout).toContain('traces/replay (1 worker): template/checkout -> otlp_grpc/backend');
    expect(r.stdout).toContain('x-api-key: <redacted>');
    expect(r.stdout).not.toContain(SECRET);
  });

  it('checks a config as replica I of N with --replica, and says where the index came from', () => {
    const file = write('replica.yaml', VALID);
    const r = validate(['--config', file, '--replica', '2/3']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('replica 2 of 3 (index from --replica): every rate is split over the 3 replicas');
    const job = validate(['--config', file], { env: { JOB_COMPLETION_INDEX: '3', OTEL_REPLAYD_REPLICAS: '3' } });
    expect(job.code).toBe(2);
    expect(job.stderr).toContain('service.replicas.index: replica index 3 (from JOB_COMPLETION_INDEX) must be below the replica count 3 (from OTEL_REPLAYD_REPLICAS)');
    const bad = validate(['--config', file, '--replica', '3/3']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--replica must be I/N with 0 <= I < N <= 65536 (replica I of N, from 0), got "3/3"');
  });

  it('prints every problem on its own line, file first, and exits 2', () => {
    const file = write('bad.yaml', VALID.replace('127.0.0.1:4317', 'nohost').replace('[otlp_grpc/backend]', '[otlp_grpc/backnd]').replace('traces: t.pb', 'traces: t.pb, loop: 1'));
    const r = validate(['--config', file]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines).toEqual([
      `${file}: receivers.template/checkout.loop: unknown key "loop" (did you mean "loops"?)`,
      `${file}: exporters.otlp_grpc/backend.endpoint: must be host:port (e.g. 127.0.0.1:4317), got "nohost"`,
      `${file}: service.pipelines.traces/replay.exporters[0]: exporter "otlp_grpc/backnd" is not configured (did you mean "otlp_grpc/backend"?)`,
      '3 problems found',
    ]);
  });

  it('never prints header values in errors, even on YAML syntax errors', () => {
    const file = write('leak.yaml', `${VALID}\nexporters:\n  otlp: { headers: { k: "${SECRET}" } }: oops\n`);
    const r = validate(['--config', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/YAML syntax error at line \d+, column \d+/);
    expect(r.stderr).not.toContain(SECRET);
    const nonString = write('num.yaml', VALID.replace('"${env:API_KEY}"', '123456789987654321'));
    const r2 = validate(['--config', nonString]);
    expect(r2.stderr).toContain('value of header "x-api-key" must be a string');
    expect(r2.stderr).not.toContain('123456789987654321');
  });

  it('shows a bad value that came from the environment as written, never the value', () => {
    const file = write('envleak.yaml', VALID.replace('127.0.0.1:4317', '"${env:API_KEY}"'));
    const r = validate(['--config', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${file}: exporters.otlp_grpc/backend.endpoint: must be host:port (e.g. 127.0.0.1:4317), got "\${env:API_KEY}"`);
    expect(r.stderr).not.toContain(SECRET);
  });

  it('fails an OTLP/HTTP endpoint that already ends in /v1/traces, with the fix', () => {
    const file = write('path.yaml', `
receivers: { template/checkout: { traces: t.pb } }
exporters:
  otlp_http/backend: { endpoint: http://127.0.0.1:4318/v1/traces }
service:
  pipelines:
    traces/replay: { receivers: [template/checkout], exporters: [otlp_http/backend] }
`);
    const r = validate(['--config', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${file}: exporters.otlp_http/backend.endpoint: ends in /v1/traces, and /v1/<signal> is appended to endpoint, so requests would go to /v1/traces/v1/traces: drop /v1/traces from endpoint, or give the full URL as traces_endpoint instead`);
  });

  it('reads the config from stdin with --config -, relative paths against the current folder', () => {
    const r = validate(['-c', '-'], { stdin: VALID });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('config <stdin>');
    expect(r.stdout).toContain(`template/checkout: template traces ${join(dir, 't.pb')}`);
  });

  it('usage errors and a missing file exit 2', () => {
    const none = validate([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('--config is required');
    const unknown = validate(['--config', 'x.yaml', '--bogus']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("Unknown option '--bogus'");
    const missing = validate(['--config', join(dir, 'nope.yaml')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(`${join(dir, 'nope.yaml')}: config file ${join(dir, 'nope.yaml')} does not exist\n1 problem found\n`);
  });
});

describe('otel-replayd validate loads what a run loads', () => {
  it('loads the templates: a metrics file given as traces exits 2, naming the key and the file', () => {
    const file = write('wrong-signal.yaml', VALID.replace('traces: t.pb', 'traces: m.pb'));
    const r = validate(['--config', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`${file}: receivers.template/checkout.traces: ${join(dir, 'm.pb')}: holds a metrics request (ExportMetricsServiceRequest), not traces\n1 problem found\n`);
  });

  it('prints what each pipeline compiles to, and --skip-templates skips loading them', () => {
    const file = write('wrong-ok.yaml', VALID);
    const r = validate(['--config', file]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('templates loaded:\n  traces/replay: 6 spans in 1 request');
    const bad = write('wrong-skip.yaml', VALID.replace('traces: t.pb', 'traces: m.pb'));
    const skipped = validate(['--config', bad, '--skip-templates']);
    expect(skipped.stderr).toBe('');
    expect(skipped.code).toBe(0);
    expect(skipped.stdout).toContain('templates: not loaded (--skip-templates)');
  });

  it('prints what a run would warn about: repaired spans, copies, relative times placed at now without timestamp', () => {
    const req = tracesRequest({ traces: 1, spansPerTrace: 2, absolute: true });
    req.resourceSpans[0].scopeSpans[0].spans[1].endTimeUnixNano = String(ABSOLUTE_BASE);
    req.resourceSpans.push(...tracesRequest({ traces: 1, spansPerTrace: 2, absolute: true }).resourceSpans); // recorded twice
    writeTemplate(dir, 'traces', req, { name: 'flawed' });
    const file = write('warn.yaml', VALID.replace('traces: t.pb', 'traces: flawed.pb, metrics: m.pb') + '    metrics: { receivers: [template/checkout], exporters: [otlp_grpc/backend] }\n');
    const r = validate(['--config', file]);
    expect(r.code).toBe(0);
    expect(r.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^warning: receivers\.template\/checkout\.traces: .*flawed\.pb: 1 span ended before it started .*first: span "op-1" at resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[1\] \(byte \d+\)$/),
      expect.stringMatching(/^warning: receivers\.template\/checkout\.traces: .*flawed\.pb: 2 spans repeat a span id already used in their trace .*first: span "op-0" at resourceSpans\[1\]/),
      expect.stringMatching(/^warning: receivers\.template\/checkout\.metrics: .*m\.pb: holds relative times .* placed at now/),
    ]);
  });

  it('compiles a streamed template into its frame file in cache_dir, and reuses it the next time', () => {
    const file = write('stream.yaml', VALID.replace('traces: t.pb', 'traces: t.pb, stream: true, cache_dir: frames'));
    const framesIn = () => readdirSync(join(dir, 'frames')).filter((f) => f.endsWith('.frames')).map((f) => join(dir, 'frames', f));
    const r = validate(['--config', file]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('templates loaded:\n  traces/replay: 6 spans in 1 request');
    const [built] = framesIn();
    const mtime = statSync(built!).mtimeMs;
    expect(validate(['--config', file]).stdout).toContain('traces/replay: 6 spans in 1 request');
    expect(framesIn()).toEqual([built]);
    expect(statSync(built!).mtimeMs).toBe(mtime);
  });

  it('parses the TLS files: a malformed PEM exits 2 naming the key and the file', () => {
    const pem = readFileSync(certs.caFile, 'utf8');
    const broken = write('broken-ca.pem', pem.replace(/\n(.)(.)/, '\n$2!'));
    const notPem = write('not-a-key.pem', 'just text\n');
    const file = write('tls.yaml', VALID.replace('tls: { insecure: true }', `tls: { ca_file: ${broken}, cert_file: ${certs.clientCertFile}, key_file: ${notPem} }`));
    const r = validate(['--config', file, '--skip-templates']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([
      `${file}: exporters.otlp_grpc/backend.tls.ca_file: ${broken} holds a malformed certificate (bad base64 decode)`,
      `${file}: exporters.otlp_grpc/backend.tls.key_file: ${notPem} holds no PEM private key (no "-----BEGIN ... PRIVATE KEY-----" block)`,
      '2 problems found',
    ]);
  });

  it('refuses header values a run would refuse (control characters), without printing them', () => {
    const file = write('ctl.yaml', VALID);
    const r = validate(['--config', file, '--skip-templates'], { env: { API_KEY: `${SECRET}\u0001` } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${file}: exporters.otlp_grpc/backend.headers.x-api-key: value of header "x-api-key" must be printable ASCII`);
    expect(r.stderr).not.toContain(SECRET);
  });

  // One pipeline has at most 1024 workers: on 64 cores or more it cannot exceed the limit alone.
  it.skipIf(THREAD_LIMIT >= 1024)('refuses more worker threads than the machine runs usefully', () => {
    const workers = THREAD_LIMIT + 1;
    const many = write('threads.yaml', VALID.replace('exporters: [otlp_grpc/backend] }', `exporters: [otlp_grpc/backend], workers: ${workers} }`));
    const r = validate(['--config', many, '--skip-templates']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${many}: service.pipelines.traces/replay.workers: ${workers} worker threads in all (traces/replay: ${workers}) is more than ${THREAD_LIMIT}`);
  });

  it('refuses pipelines estimated to need more memory than service.memory_limit', () => {
    const small = write('memory.yaml', VALID.replace('service:', 'service:\n  memory_limit: 50MB'));
    const m = validate(['--config', small]);
    expect(m.code).toBe(2);
    expect(m.stderr).toMatch(/: service\.memory_limit: the pipelines would need about [\d.]+ MB \(traces\/replay: 1 worker × [\d.]+ MB\), more than the limit of 50 MB \(service\.memory_limit\)/);
  });
});
