/** `validate` as a real child process running the built CLI module. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtModule } from '../../src/package-root.js';

const SECRET = 'sk-live-cli-0123456789';
const dir = mkdtempSync(join(tmpdir(), 'replayd-validate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeAll(() => {
  // The child runs JavaScript from dist/ (built by `npm test`'s pretest, or `npx tsc -p tsconfig.json`).
  if (!existsSync(builtModule('cli/validate.js'))) throw new Error('dist/src/cli/validate.js is missing: run npm run build first');
  writeFileSync(join(dir, 't.pb'), 'x');
});

function validate(args: string[], stdin = ''): { code: number | null; stdout: string; stderr: string } {
  const entry = pathToFileURL(builtModule('cli/validate.js')).href;
  const code = `const { main } = await import(${JSON.stringify(entry)}); process.exitCode = await main(process.argv.slice(1));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code, '--', ...args], {
    encoding: 'utf8',
    env: { ...process.env, API_KEY: SECRET },
    input: stdin,
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
    const r = validate(['-c', '-'], VALID);
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
