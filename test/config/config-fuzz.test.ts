/**
 * Deterministic mutations of valid configs: every one must either parse or throw a
 * ConfigError (never another exception, never a hang) and never leak a header value.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';
import { SECRET, makeDir } from './fixture.js';
import { mulberry32 } from '../../src/mulberry32.js';

/** CPU-bound (about 7 s alone): a machine shared with other suites can make it several times slower. */
const FUZZ_TIMEOUT_MS = 180_000;

const { dir, cleanup } = makeDir();
afterAll(cleanup);

const SEEDS = [
  `receivers:
  template/checkout: { traces: t.pb, metrics: m.pb, logs: l.json, loops: 0 }
processors:
  id_regen: {}
  timestamp: { backdate: 0s }
  jitter: { max: 100ms }
  batch_splitter: { max_items: 10000, max_bytes: 4MiB }
  ratelimit: { events_per_second: 200000, burst: 400000 }
exporters:
  otlp_grpc/backend: { endpoint: localhost:4317, tls: { insecure: true }, headers: { x-api-key: "\${env:API_KEY}" }, compression: gzip }
  otlp_http/backend: { endpoint: http://localhost:4318, encoding: proto, traces_endpoint: http://x/v1/traces }
extensions:
  sink: { grpc: 127.0.0.1:4317, http: 127.0.0.1:4318, verify: false }
service:
  duration: 5m
  shutdown_timeout: 30s
  telemetry: { stats_interval: 5s, metrics: { address: 127.0.0.1:8890 }, logs: { level: info } }
  pipelines:
    traces/replay: { receivers: [template/checkout], processors: [id_regen, timestamp, jitter, batch_splitter, ratelimit], exporters: [otlp_grpc/backend], workers: 1 }
`,
  `receivers:
  template/a:
    traces: t.pb
    logs: l.json
exporters:
  otlphttp:
    endpoint: http://127.0.0.1:4318
    headers:
      authorization: "Bearer \${env:API_KEY}"
    retry_on_failure:
      enabled: true
      initial_interval: 1s
      max_interval: 10s
  otlp:
    endpoint: 127.0.0.1:4317
    tls:
      insecure: true
processors:
  ratelimit/slow:
    events_per_second: 10
service:
  pipelines:
    traces:
      receivers: [template/a]
      processors: [ratelimit/slow]
      exporters: [otlphttp, otlp]
    logs/x:
      receivers:
        - template/a
      exporters:
        - otlp
      workers: 2
`,
];

const WRONG_VALUES = ['[]', '{}', '1e999', '-1', '0', '99999999999999999999999', 'null', 'true', '"${env:NOPE}"', '$$', '~', '"a\\u0000b"', 'x'.repeat(5000), '!!binary aGk=', '&x 1', '*x'];
const NOISE = ':{}[],&*!|>\'"%@`#-?\t\n \\$<>=~';


function mutate(text: string, r: () => number): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const lines = text.split('\n');
  const at = Math.floor(r() * lines.length);
  switch (Math.floor(r() * 9)) {
    case 0:
      lines.splice(at, 1);
      break;
    case 1:
      lines.splice(at, 0, lines[at]!);
      break;
    case 2: {
      const pos = Math.floor(r() * text.length);
      const junk = Array.from({ length: 1 + Math.floor(r() * 4) }, () => (r() < 0.8 ? pick(NOISE) : String.fromCharCode(Math.floor(r() * 0xffff)))).join('');
      return text.slice(0, pos) + junk + text.slice(pos);
    }
    case 3:
      lines[at] = lines[at]!.replace(/: [^,{}\n]+/, `: ${pick(WRONG_VALUES)}`);
      break;
    case 4: {
      if (r() < 0.5) break;
      // Mostly past our 64-level limit; rarely far past it (the yaml parser needs ~0.1 s there).
      const depth = r() < 0.03 ? 3000 : 1 + Math.floor(r() * 200);
      const nest = r() < 0.5 ? '['.repeat(depth) + ']'.repeat(depth) : '{a: '.repeat(depth) + '1' + '}'.repeat(depth);
      lines[at] = lines[at]!.replace(/: .*/, `: ${nest}`);
      break;
    }
    case 5: {
      // Each bomb costs the yaml package ~50 ms to detect: keep them to a few percent of cases.
      if (r() < 0.7) break;
      // "Billion laughs": each level references the previous one nine times.
      const bomb = ['x: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
      for (let i = 1; i < 10; i++) bomb.push(`x${i}: &a${i} [${Array(9).fill(`*a${i - 1}`).join(', ')}]`);
      lines.splice(r() < 0.5 ? 0 : lines.length, 0, ...bomb);
      break;
    }
    case 6: {
      const other = Math.floor(r() * lines.length);
      [lines[at], lines[other]] = [lines[other]!, lines[at]!];
      break;
    }
    case 7:
      lines[at] = (r() < 0.5 ? ' ' : '') + lines[at]!.replace(/^ {1,2}/, '');
      break;
    default:
      lines[at] = lines[at]!.replace(/[a-z_]+/, (w) => w.slice(0, -1) || 'x');
  }
  return lines.join('\n');
}

describe('config fuzz', () => {
  it('every mutation parses or throws ConfigError, and never leaks a header value', () => {
    const CASES = 3000;
    const r = mulberry32(0x5eed);
    const counts = { valid: 0, invalid: 0 };
    for (let i = 0; i < CASES; i++) {
      let text = SEEDS[i % SEEDS.length]!;
      const rounds = 1 + Math.floor(r() * 3);
      for (let k = 0; k < rounds; k++) text = mutate(text, r);
      try {
        parseConfig(text, `${dir}/fuzz.yaml`, { API_KEY: SECRET });
        counts.valid++;
      } catch (err) {
        if (!(err instanceof ConfigError)) throw new Error(`case ${i} threw ${String(err)} for:\n${text.slice(0, 2000)}`);
        expect(err.problems.length).toBeGreaterThan(0);
        if (err.message.includes(SECRET)) throw new Error(`case ${i} leaked the header value:\n${err.message}`);
        counts.invalid++;
      }
    }
    console.log(`config fuzz: ${CASES} cases, ${counts.valid} valid, ${counts.invalid} ConfigError`);
    expect(counts.valid + counts.invalid).toBe(CASES);
    expect(counts.valid).toBeGreaterThan(0);
    expect(counts.invalid).toBeGreaterThan(CASES / 2);
  }, FUZZ_TIMEOUT_MS);
});
