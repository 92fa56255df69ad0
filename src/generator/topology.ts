import type { TracesGenConfig } from './config.js';
import type { Rng } from './prng.js';
import { type KeyValue, attrs } from './otlp-values.js';

/** Names drawn when the config lists none: an online shop, roughly in call order. */
const SERVICE_POOL = [
  'frontend', 'api-gateway', 'checkout-service', 'cart-service', 'product-catalog', 'user-service',
  'payment-service', 'order-service', 'inventory-service', 'shipping-service', 'pricing-service',
  'recommendation-service', 'search-service', 'auth-service', 'notification-service', 'email-service',
  'currency-service', 'ad-service', 'review-service', 'fraud-detection', 'tax-service', 'loyalty-service',
];

const LANGUAGES = [
  { language: 'java', scope: 'io.opentelemetry.javaagent', version: '2.11.0' },
  { language: 'go', scope: 'go.opentelemetry.io/contrib/instrumentation', version: '1.33.0' },
  { language: 'nodejs', scope: '@opentelemetry/auto-instrumentations-node', version: '1.30.0' },
  { language: 'python', scope: 'opentelemetry.instrumentation', version: '1.29.0' },
  { language: 'dotnet', scope: 'OpenTelemetry.AutoInstrumentation', version: '1.9.0' },
];

const DATABASES = [
  { system: 'postgresql', port: 5432 },
  { system: 'mysql', port: 3306 },
  { system: 'mongodb', port: 27017 },
];

const RESOURCES = ['orders', 'users', 'products', 'carts', 'payments', 'items', 'accounts', 'sessions', 'invoices', 'shipments'];
const VERBS = ['GET', 'GET', 'GET', 'POST', 'PUT', 'DELETE'];

export interface Route {
  method: string;
  route: string;
  /** A concrete path for the route (`/api/orders/{id}` → `/api/orders/1234` is filled per span). */
  resource: string;
}

export interface Service {
  name: string;
  index: number;
  protocol: 'http' | 'grpc';
  language: (typeof LANGUAGES)[number];
  version: string;
  namespace: string;
  routes: Route[];
  grpcMethods: string[];
  internalOps: string[];
  database?: { system: string; port: number; namespace: string; host: string };
  cache?: { host: string };
  topic?: string;
  downstream: Service[];
  /** Resource attributes of each instance (pod); shared objects, never mutated. */
  instances: KeyValue[][];
}

export interface Topology {
  services: Service[];
  ingress: Service[];
}

function serviceNames(cfg: TracesGenConfig): string[] {
  const { count, names, ingress } = cfg.services;
  if (names.length > 0) return names.slice(0, count);
  const out: string[] = [];
  if (ingress.service) out.push(ingress.service);
  for (let i = 0; out.length < count; i++) {
    const base = SERVICE_POOL[i % SERVICE_POOL.length]!;
    const name = i < SERVICE_POOL.length ? base : `${base}-${Math.floor(i / SERVICE_POOL.length) + 1}`;
    if (!out.includes(name)) out.push(name);
  }
  return out;
}

/**
 * Services form a DAG: a service only calls services after it in the list, so there
 * are no cycles. Ingress services come first.
 */
export function buildTopology(cfg: TracesGenConfig, rng: Rng): Topology {
  const names = serviceNames(cfg);
  const ingressName = cfg.services.ingress.service;
  if (ingressName) {
    names.splice(names.indexOf(ingressName), 1);
    names.unshift(ingressName);
  }
  const services = names.map((name, index) => makeService(name, index, rng));
  const ingressCount = cfg.services.ingress.single ? 1 : Math.max(1, Math.min(services.length, Math.ceil(services.length / 4)));
  for (let i = 0; i < services.length; i++) {
    // Ingress services call into the first non-ingress layer; others call 1–3 later services.
    const candidates = services.slice(Math.max(i + 1, ingressCount));
    const fanout = Math.min(candidates.length, rng.range(1, 3));
    const chosen = new Set<number>();
    while (chosen.size < fanout) chosen.add(rng.int(candidates.length));
    services[i]!.downstream = [...chosen].sort((a, b) => a - b).map((j) => candidates[j]!);
  }
  // Every service must be reachable: give an orphan a caller among the services before it.
  for (let j = ingressCount; j < services.length; j++) {
    const svc = services[j]!;
    if (services.some((s) => s.downstream.includes(svc))) continue;
    const caller = services[rng.int(j)]!;
    caller.downstream = [...caller.downstream, svc].sort((a, b) => a.index - b.index);
  }
  return { services, ingress: services.slice(0, ingressCount) };
}

function makeService(name: string, index: number, rng: Rng): Service {
  const language = rng.pick(LANGUAGES);
  const version = `${rng.range(1, 4)}.${rng.range(0, 20)}.${rng.range(0, 9)}`;
  const namespace = index === 0 ? 'edge' : rng.pick(['shop', 'shop', 'payments', 'platform']);
  const resource = rng.pick(RESOURCES);
  const routes: Route[] = [];
  for (let i = 0, n = rng.range(3, 6); i < n; i++) {
    const res = i === 0 ? resource : rng.pick(RESOURCES);
    const method = rng.pick(VERBS);
    const item = method !== 'POST' && rng.chance(0.6);
    routes.push({ method, route: item ? `/api/${res}/{id}` : `/api/${res}`, resource: res });
  }
  const rpcName = name.replace(/(^|-)(\w)/g, (_m, _d: string, c: string) => c.toUpperCase());
  const grpcMethods = ['Get', 'List', 'Create', 'Update'].map((v) => `${namespace}.v1.${rpcName}/${v}${cap(resource)}`);
  const internalOps = ['validate', 'serialize', 'apply_rules', 'compute', 'render', 'authorize'].map((op) => `${resource}.${op}`);
  const svc: Service = {
    name, index, protocol: index > 0 && rng.chance(0.3) ? 'grpc' : 'http', language, version, namespace,
    routes, grpcMethods, internalOps, downstream: [], instances: [],
  };
  if (index > 0 && rng.chance(0.75)) {
    const db = rng.pick(DATABASES);
    svc.database = { ...db, namespace: resource, host: `${name}-db.${namespace}.svc.cluster.local` };
  }
  if (rng.chance(0.5)) svc.cache = { host: `redis-${namespace}.${namespace}.svc.cluster.local` };
  if (rng.chance(0.3)) svc.topic = `${resource}.events`;
  const replicas = rng.range(2, 4);
  for (let i = 0; i < replicas; i++) {
    const pod = `${name}-${hex(rng, 10)}-${hex(rng, 5)}`;
    const node = `ip-10-0-${rng.range(0, 31)}-${rng.range(1, 254)}.ec2.internal`;
    svc.instances.push(
      attrs({
        'service.name': name,
        'service.namespace': namespace,
        'service.version': version,
        'service.instance.id': pod,
        'deployment.environment.name': 'production',
        'telemetry.sdk.name': 'opentelemetry',
        'telemetry.sdk.language': language.language,
        'telemetry.sdk.version': '1.45.0',
        'host.name': node,
        'k8s.cluster.name': 'prod-eu-west-1',
        'k8s.namespace.name': namespace,
        'k8s.deployment.name': name,
        'k8s.pod.name': pod,
        'k8s.node.name': node,
        'cloud.provider': 'aws',
        'cloud.region': 'eu-west-1',
      }),
    );
  }
  return svc;
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

const HEX = '0123456789abcdef';
function hex(rng: Rng, len: number): string {
  let s = '';
  for (let i = 0; i < len; i++) s += HEX[rng.int(16)];
  return s;
}
