/**
 * `otel-replayd send traces|metrics|logs [flags]`: the telemetrygen habit, a run from
 * flags alone. The flags become config text that goes through the normal loader, so every
 * check a file gets applies; `--print-config` shows that text, and it runs as `--config`
 * would run it.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { EnvReader, type Env } from '../config/env.js';
import { FROM_FLAGS, parseConfig } from '../config/load.js';
import { ConfigError, UsageError, type ConfigProblem } from '../errors.js';
import { OTLP_PROTOCOLS, otlpValue, type OtlpProtocol } from '../exporters/otlp-env.js';
import { isSignal, type Signal } from '../otlp/signals.js';
import { LOG_LEVEL_ENV, logLevelOf } from './flags.js';
import { checkConfig, type Checked } from './checked-config.js';
import { runDaemon } from './run.js';

const USAGE = `otel-replayd send — replay or generate data from flags alone (no config file)

Usage: otel-replayd send traces|metrics|logs [--template FILE | --generate] [--rate N]
         [--duration D] [--workers W] [--endpoint URL] [--protocol P] [--header k=v]...
         [--insecure] [--service NAME] [--attribute k=v]... [--print-config]

  --template FILE       replay this template file (.pb or OTLP/JSON, optionally gzipped)
  --generate            generate realistic data in the worker (the default)
  --rate N              events per second in all (spans, data points or log records),
                        shared by the workers; 0 or none: as fast as the endpoint takes
  --duration D          stop after D (30s, 5m, 1h); none: until SIGINT/SIGTERM
  --workers W           worker threads (default 1)
  --endpoint URL        gRPC: host:port, dns:///host:port, or http(s)://host:port (http://
                        means plaintext); HTTP: a base URL (/v1/<signal> is appended) or
                        host:port. Default: OTEL_EXPORTER_OTLP_<SIGNAL>_ENDPOINT, else
                        OTEL_EXPORTER_OTLP_ENDPOINT, else localhost:4317 (gRPC) or
                        localhost:4318 (HTTP)
  --protocol P          grpc, http/protobuf or http/json; default
                        OTEL_EXPORTER_OTLP_<SIGNAL>_PROTOCOL, else
                        OTEL_EXPORTER_OTLP_PROTOCOL, else grpc (as telemetrygen)
  --header k=v          a request header (repeatable); value quotes are dropped
                        (k="v" as telemetrygen takes it); never printed
  --insecure            gRPC: plaintext; HTTP: a host:port endpoint gets http://, not https://
  --service NAME        set service.name on every resource
  --attribute k=v       set a resource attribute (repeatable; values are strings)
  --allow-export-failures
                        exit 0 even if requests failed permanently
  --log-level LEVEL     as for run (default \$${LOG_LEVEL_ENV}, else info)
  --print-config        check the config these flags make, print it and exit
  -h, --help            this help

Without --endpoint, the other OTEL_EXPORTER_OTLP_* variables apply too (headers, timeout,
compression, certificates), under what the flags say. /metrics is not served.
Exit codes as for run: 0 done, 1 runtime failure or requests that failed permanently,
2 bad flags or config, 130 forced stop.
`;

/** Where a problem in the built config came from: its flag, so the message names what to change. */
const FLAG_OF: readonly [path: RegExp, flag: string][] = [
  [/^service\.duration$/, '--duration'],
  [/^processors\.ratelimit\b/, '--rate'],
  [/^service\.pipelines\.\w+\.workers$/, '--workers'],
  [/^receivers\.template\b/, '--template'],
  [/^processors\.resource\b/, '--service / --attribute'],
  [/^exporters\.otlp_\w+\.headers\b/, '--header'],
  [/^exporters\.otlp_\w+\.(endpoint|tls)\b/, '--endpoint'],
];

/** --header values reach the loader as these variables: the config text never holds them. */
const HEADER_VARIABLE = 'OTEL_REPLAYD_SEND_HEADER_';

export interface SendFlags {
  signal: Signal;
  template?: string;
  rate?: string;
  duration?: string;
  workers?: string;
  endpoint?: string;
  protocol?: OtlpProtocol;
  headers: [string, string][];
  insecure: boolean;
  service?: string;
  attributes: [string, string][];
  allowExportFailures: boolean;
}

export async function main(args: string[]): Promise<number> {
  let flags: SendFlags;
  let printConfig = false;
  let flagLevel: string | undefined;
  try {
    const { values, positionals } = parseArgs({
      args,
      options: {
        template: { type: 'string' }, generate: { type: 'boolean' }, rate: { type: 'string' }, duration: { type: 'string' },
        workers: { type: 'string' }, endpoint: { type: 'string' }, protocol: { type: 'string' }, header: { type: 'string', multiple: true },
        insecure: { type: 'boolean' }, service: { type: 'string' }, attribute: { type: 'string', multiple: true },
        'allow-export-failures': { type: 'boolean' }, 'log-level': { type: 'string' }, 'print-config': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: true,
    });
    if (values.help) {
      process.stdout.write(USAGE);
      return 0;
    }
    const [signal, ...extra] = positionals;
    if (signal === undefined) throw new UsageError('which signal? send traces, send metrics or send logs');
    if (!isSignal(signal)) throw new UsageError(`"${signal}" is not a signal: send traces, send metrics or send logs`);
    if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
    if (values.template !== undefined && values.generate) throw new UsageError('give --template FILE or --generate, not both');
    if (values.protocol !== undefined && !(OTLP_PROTOCOLS as readonly string[]).includes(values.protocol)) {
      throw new UsageError(`--protocol must be one of ${OTLP_PROTOCOLS.join(', ')}, got "${values.protocol}"`);
    }
    flags = {
      signal,
      template: values.template,
      rate: values.rate,
      duration: values.duration,
      workers: values.workers,
      endpoint: values.endpoint,
      protocol: values.protocol as OtlpProtocol | undefined,
      headers: (values.header ?? []).map((h) => keyValue('--header', h)),
      insecure: values.insecure === true,
      service: values.service,
      attributes: (values.attribute ?? []).map((a) => keyValue('--attribute', a)),
      allowExportFailures: values['allow-export-failures'] === true,
    };
    printConfig = values['print-config'] === true;
    flagLevel = values['log-level'];
    logLevelOf(flagLevel, process.env, 'info');
  } catch (err) {
    process.stderr.write(`otel-replayd: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  let built: BuiltConfig;
  let checked: Checked;
  try {
    built = buildConfig(flags, process.env);
    checked = checkConfig(parseConfig(built.text, FROM_FLAGS, { ...process.env, ...built.env }));
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`otel-replayd: ${err.message}\n`);
      return 2;
    }
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`the send flags make an invalid config:\n${namedByFlag(err.problems).map((p) => `  ${p}\n`).join('')}`);
    return 2;
  }
  if (printConfig) {
    process.stdout.write(built.text);
    return 0;
  }
  return runDaemon(checked, { file: FROM_FLAGS, flagLevel, allowExportFailures: false });
}

/** `k=v`; a value in double quotes loses them (telemetrygen takes `k="v"`). */
function keyValue(flag: string, text: string): [string, string] {
  const eq = text.indexOf('=');
  // A header without "=" may still be a credential: it is not echoed.
  if (eq <= 0) throw new UsageError(`${flag} takes key=value, got ${flag === '--header' ? 'something else (not shown)' : `"${text}"`}`);
  const value = text.slice(eq + 1);
  return [text.slice(0, eq).trim(), /^".*"$/s.test(value) ? value.slice(1, -1) : value];
}

export interface BuiltConfig {
  /** The config text the loader reads (and --print-config prints). */
  text: string;
  /** Variables the text refers to (header values), added to the environment it is read with. */
  env: Env;
}

/** Flag text goes into the config as it is: `$` is doubled so the loader never expands it. */
const literal = (s: string): string => s.replaceAll('$', '$$$$');
/** A number as a number (so the printed config reads naturally); anything else as text for the loader to judge. */
const numeric = (s: string): string | number => (/^\d+(\.\d+)?$/.test(s) ? Number(s) : literal(s));

/** The config the flags describe; `env` decides the protocol and whether the endpoint is left to the variables. */
export function buildConfig(f: SendFlags, env: Env): BuiltConfig {
  const vars = new EnvReader(env);
  const protocol = f.protocol ?? protocolFromEnv(vars, f.signal) ?? 'grpc';
  const grpc = protocol === 'grpc';
  const exporter = grpc ? 'otlp_grpc' : 'otlp_http';
  const block: Record<string, unknown> = {};
  const tls: Record<string, unknown> = {};
  if (f.endpoint !== undefined) {
    block.endpoint = literal(grpc || f.endpoint.includes('://') ? f.endpoint : `${f.insecure ? 'http' : 'https'}://${f.endpoint}`);
    // As the OTLP specification says of gRPC endpoints: an http:// scheme means plaintext.
    if (grpc && /^http:\/\//i.test(f.endpoint)) tls.insecure = true;
  } else if (otlpValue(vars, 'ENDPOINT', f.signal) === undefined) {
    block.endpoint = grpc ? 'localhost:4317' : `${f.insecure ? 'http' : 'https'}://localhost:4318`;
  }
  if (f.insecure && grpc) tls.insecure = true;
  if (Object.keys(tls).length > 0) block.tls = tls;
  if (!grpc) block.encoding = protocol === 'http/json' ? 'json' : 'proto';
  const headerEnv: Env = {};
  if (f.headers.length > 0) {
    block.headers = Object.fromEntries(f.headers.map(([k, v], i) => {
      headerEnv[`${HEADER_VARIABLE}${i + 1}`] = v;
      return [k, `\${env:${HEADER_VARIABLE}${i + 1}}`];
    }));
  }
  const processors: Record<string, unknown> = {};
  const resource = [
    ...f.attributes.map(([key, value]) => ({ key, action: 'upsert', value: literal(value) })),
    ...(f.service === undefined ? [] : [{ key: 'service.name', action: 'upsert', value: literal(f.service) }]),
  ];
  if (resource.length > 0) processors.resource = { attributes: resource.map((a) => ({ ...a, key: literal(a.key) })) };
  processors.id_regen = {};
  processors.timestamp = {};
  // 512 per request: the OpenTelemetry SDKs' batch size, as telemetrygen sends.
  processors.batch_splitter = { max_items: 512 };
  if (f.rate !== undefined && Number(f.rate) !== 0) processors.ratelimit = { events_per_second: numeric(f.rate) };
  const receiver = f.template === undefined ? 'generator' : 'template';
  const config = {
    receivers: { [receiver]: f.template === undefined ? {} : { [f.signal]: literal(resolve(f.template)) } },
    processors,
    exporters: { [exporter]: block },
    service: {
      ...(f.duration === undefined ? {} : { duration: literal(f.duration) }),
      ...(f.allowExportFailures ? { allow_export_failures: true } : {}),
      telemetry: { metrics: { address: 'none' } },
      pipelines: {
        [f.signal]: {
          receivers: [receiver],
          processors: Object.keys(processors),
          exporters: [exporter],
          ...(f.workers === undefined ? {} : { workers: numeric(f.workers) }),
        },
      },
    },
  };
  const head = [
    '# Built by `otel-replayd send` from its flags.',
    ...(f.headers.length > 0 ? [`# --header values are read from ${f.headers.map((_, i) => `${HEADER_VARIABLE}${i + 1}`).join(', ')}; they are never printed.`] : []),
    ...(block.endpoint === undefined ? ['# No endpoint here: it comes from OTEL_EXPORTER_OTLP_* (with every setting not given here).'] : []),
  ];
  return { text: `${head.join('\n')}\n${stringify(config)}`, env: headerEnv };
}

function protocolFromEnv(vars: EnvReader, signal: Signal): OtlpProtocol | undefined {
  const v = otlpValue(vars, 'PROTOCOL', signal);
  if (v === undefined) return undefined;
  if (!(OTLP_PROTOCOLS as readonly string[]).includes(v.value)) throw new UsageError(`${v.name} must be one of ${OTLP_PROTOCOLS.join(', ')} (value not shown)`);
  return v.value as OtlpProtocol;
}

/** Each problem as a line naming the flag it came from, then the key path in the built config. */
function namedByFlag(problems: ConfigProblem[]): string[] {
  return problems.map((p) => {
    const flag = FLAG_OF.find(([path]) => path.test(p.path))?.[1];
    return `${flag ? `${flag} (${p.path})` : p.path}: ${p.message}`;
  });
}
