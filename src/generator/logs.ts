import { LOG_TYPES, type LogsGenConfig } from './config.js';
import type { Rng } from './prng.js';
import type { SpanRef } from './traces.js';
import { type Block, type KeyValue, attrs } from './otlp-values.js';

/** Records are grouped into blocks of this many (one ResourceLogs per resource per block). */
const BLOCK_RECORDS = 1000;
/** Records of one file spread over this window (relative ns), in order. */
const WINDOW_NS = 1e9;

const SEVERITIES = [
  { text: 'DEBUG', number: 5, weight: 8 },
  { text: 'INFO', number: 9, weight: 74 },
  { text: 'WARN', number: 13, weight: 12 },
  { text: 'ERROR', number: 17, weight: 5.5 },
  { text: 'FATAL', number: 21, weight: 0.5 },
];
const SEVERITY_WEIGHTS = SEVERITIES.map((s) => s.weight);

const APP_MESSAGES: Record<string, string[]> = {
  DEBUG: ['Fetching {res} {id} from cache', 'SQL query on {res} took {ms} ms', 'Acquired connection from pool in {ms} ms'],
  INFO: [
    'Order {id} created for customer {cust} total={amt} EUR', 'User {cust} logged in from {ip}', 'Processed batch of {n} {res} in {ms} ms',
    'Cache refreshed: {n} entries', 'Payment {id} authorized', 'Request completed: GET /api/{res}/{id} in {ms} ms',
  ],
  WARN: ['Slow query on {res}: {ms} ms', 'Retrying request to {svc} (attempt {k}/3)', 'Connection pool at {pct}% capacity', 'Deprecated API /v1/{res} called by client {cust}'],
  ERROR: ['Failed to process order {id}: upstream {svc} returned 503', 'Timeout after {ms} ms calling {svc}', 'Could not deserialize {res} payload: unexpected end of input'],
  FATAL: ['Unrecoverable error: database connection lost, shutting down'],
};
const SYSTEM_MESSAGES: [string, string, number][] = [
  ['kernel', 'ena 0000:00:05.0 eth0: Link is Up - 25Gbps/Full', 9],
  ['systemd[1]', 'Started Session {n} of User ubuntu.', 9],
  ['sshd[{pid}]', 'Accepted publickey for ubuntu from {ip} port {port} ssh2: ED25519', 9],
  ['CRON[{pid}]', '(root) CMD (/usr/local/bin/logrotate.sh)', 9],
  ['kubelet[{pid}]', 'Successfully pulled image "registry.example.com/{res}:1.{k}.0" in {ms}ms', 9],
  ['containerd[{pid}]', 'StopPodSandbox for "{hex}" returns successfully', 9],
  ['kubelet[{pid}]', 'Liveness probe failed: HTTP probe failed with statuscode: 503', 13],
  ['kernel', 'Out of memory: Killed process {pid} (java) total-vm:{n}kB', 17],
];
const STATUS = [200, 201, 204, 304, 400, 401, 404, 500, 503];
const STATUS_WEIGHTS = [85, 3, 2, 2, 2, 1, 3, 1.5, 0.5];
const PATHS = ['/api/orders', '/api/cart', '/api/products', '/api/users/me', '/api/checkout', '/static/app.js', '/healthz', '/api/search'];
const AGENTS = ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/131.0.0.0', 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) Mobile/15E148', 'okhttp/4.12.0', 'curl/8.5.0'];
const RES = ['orders', 'users', 'products', 'carts', 'payments', 'invoices'];

export interface LogContext {
  /** Services that write application logs. */
  services: string[];
  /** Spans to point at (`correlate`); records pick one at random. */
  refs?: SpanRef[];
}

function fill(rng: Rng, template: string, services: string[]): string {
  return template.replace(/\{(\w+)\}/g, (_m, k: string) => {
    switch (k) {
      case 'id': return String(rng.range(100_000, 999_999));
      case 'cust': return `c-${rng.range(1000, 99_999)}`;
      case 'amt': return (rng.range(500, 50_000) / 100).toFixed(2);
      case 'ip': return `10.0.${rng.range(0, 31)}.${rng.range(1, 254)}`;
      case 'ms': return String(Math.round(rng.logNormal(40, 1)));
      case 'pct': return String(rng.range(80, 99));
      case 'svc': return rng.pick(services);
      case 'res': return rng.pick(RES);
      case 'pid': return String(rng.range(300, 65_000));
      case 'port': return String(rng.range(32_768, 60_999));
      case 'hex': return rng.u32().toString(16).padStart(8, '0');
      case 'k': return String(rng.range(1, 3));
      default: return String(rng.range(1, 5000));
    }
  });
}

/** ResourceLogs blocks of `count` records, in time order. */
export function* logBlocks(cfg: LogsGenConfig, ctx: LogContext, rng: Rng, count = cfg.count): Generator<Block> {
  const weights = LOG_TYPES.map((t) => cfg.types[t]);
  const resources = new Map<string, KeyValue[]>();
  const resource = (key: string, make: () => KeyValue[]): KeyValue[] => {
    let r = resources.get(key);
    if (!r) resources.set(key, (r = make()));
    return r;
  };
  for (let start = 0; start < count; start += BLOCK_RECORDS) {
    const groups = new Map<KeyValue[], { scope: string; logRecords: unknown[] }>();
    for (let i = start; i < Math.min(count, start + BLOCK_RECORDS); i++) {
      const time = Math.floor(((i + rng.float()) * WINDOW_NS) / count);
      const ref = cfg.correlate && ctx.refs && ctx.refs.length > 0 ? rng.pick(ctx.refs) : undefined;
      const type = LOG_TYPES[rng.weighted(weights)]!;
      let res: KeyValue[];
      let scope: string;
      let record: Record<string, unknown>;
      if (type === 'http_access') {
        const pod = rng.int(3);
        res = resource(`nginx-${pod}`, () => attrs({ 'service.name': 'ingress-nginx', 'k8s.namespace.name': 'ingress-nginx', 'k8s.pod.name': `ingress-nginx-controller-6b9c7f${pod}d4-x${pod}k2p`, 'host.name': `ip-10-0-1-${10 + pod}.ec2.internal` }));
        scope = 'filelog';
        record = accessRecord(rng, ref);
      } else if (type === 'application') {
        const svc = ref ? ref.service.name : rng.pick(ctx.services);
        res = ref ? ref.service.instances[0]! : resource(`app-${svc}`, () => attrs({ 'service.name': svc, 'deployment.environment.name': 'production', 'k8s.namespace.name': 'shop', 'k8s.deployment.name': svc }));
        scope = 'app.logger';
        record = appRecord(rng, svc, ctx.services, ref);
      } else {
        const host = rng.int(16);
        res = resource(`host-${host}`, () => attrs({ 'host.name': `ip-10-0-${host}-${20 + host}.ec2.internal`, 'os.type': 'linux', 'service.name': 'journald' }));
        scope = 'journald';
        record = systemRecord(rng, host, ctx.services);
      }
      record.timeUnixNano = time;
      record.observedTimeUnixNano = time + Math.round(rng.logNormal(5e6, 0.8));
      let g = groups.get(res);
      if (!g) groups.set(res, (g = { scope, logRecords: [] }));
      g.logRecords.push(record);
    }
    for (const [attributes, g] of groups) {
      yield { resource: { resource: { attributes }, scopeLogs: [{ scope: { name: g.scope }, logRecords: g.logRecords }] }, events: g.logRecords.length };
    }
  }
}

function ids(ref: SpanRef | undefined): Record<string, unknown> {
  return ref ? { traceId: ref.traceId, spanId: ref.spanId, flags: 1 } : {};
}

function accessRecord(rng: Rng, ref: SpanRef | undefined): Record<string, unknown> {
  const status = STATUS[rng.weighted(STATUS_WEIGHTS)]!;
  const method = status === 201 ? 'POST' : rng.pick(['GET', 'GET', 'GET', 'POST', 'PUT']);
  const path = rng.pick(PATHS);
  const ip = `203.0.113.${rng.range(1, 254)}`;
  const ua = rng.pick(AGENTS);
  const bytes = status === 204 || status === 304 ? 0 : rng.range(120, 48_000);
  const seconds = Math.round(rng.logNormal(25, 1)) / 1000;
  const sev = status >= 500 ? SEVERITIES[3]! : status >= 400 ? SEVERITIES[2]! : SEVERITIES[1]!;
  return {
    severityNumber: sev.number, severityText: sev.text,
    body: { stringValue: `${ip} - - "${method} ${path} HTTP/1.1" ${status} ${bytes} "-" "${ua}" ${seconds.toFixed(3)}` },
    attributes: attrs({ 'http.request.method': method, 'url.path': path, 'http.response.status_code': status, 'client.address': ip, 'user_agent.original': ua, 'http.response.body.size': bytes, 'log.file.path': '/var/log/nginx/access.log' }),
    ...ids(ref),
  };
}

function appRecord(rng: Rng, svc: string, services: string[], ref: SpanRef | undefined): Record<string, unknown> {
  const sev = SEVERITIES[rng.weighted(SEVERITY_WEIGHTS)]!;
  const a: Record<string, string | number> = { 'code.function.name': `${svc.replaceAll('-', '_')}.handler.${rng.pick(['handle', 'process', 'persist', 'publish'])}`, 'thread.name': `worker-${rng.range(1, 32)}` };
  if (sev.number >= 17) {
    a['exception.type'] = rng.pick(['TimeoutException', 'IllegalStateException', 'ConnectionError']);
    a['exception.message'] = 'operation failed';
  }
  return { severityNumber: sev.number, severityText: sev.text, body: { stringValue: fill(rng, rng.pick(APP_MESSAGES[sev.text]!), services) }, attributes: attrs(a), ...ids(ref) };
}

function systemRecord(rng: Rng, host: number, services: string[]): Record<string, unknown> {
  const [ident, msg, sevNumber] = rng.pick(SYSTEM_MESSAGES);
  const sev = SEVERITIES.find((s) => s.number === sevNumber)!;
  const process = fill(rng, ident, services);
  return {
    severityNumber: sev.number, severityText: sev.text,
    body: { stringValue: `${process}: ${fill(rng, msg, services)}` },
    attributes: attrs({ 'log.file.path': '/var/log/syslog', 'syslog.hostname': `ip-10-0-${host}-${20 + host}`, 'syslog.appname': process.replace(/\[.*$/, '') }),
  };
}
