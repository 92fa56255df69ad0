import type { MetricType } from './config.js';
import { type KeyValue, attrs } from './otlp-values.js';

/**
 * Real metric names, units and shapes: the Collector's hostmetrics, k8s_cluster and
 * kubeletstats receivers, plus application metrics (HTTP/DB semconv histograms and a
 * Prometheus summary) reported from pods.
 */
export type MetricShape = 'gauge' | 'sum' | 'updown' | 'histogram' | 'exphistogram' | 'summary';

export interface MetricDef {
  name: string;
  unit: string;
  description: string;
  shape: MetricShape;
  /** Data point attribute dimensions; one series per combination and resource. */
  dims: [string, readonly string[]][];
  /** Value range of one point (for histograms: the median latency in the unit). */
  lo: number;
  hi: number;
  int: boolean;
}

const seq = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
const CPU = seq('cpu', 64);
const CPU_STATE = ['user', 'system', 'idle', 'interrupt', 'nice', 'softirq', 'steal', 'wait'];
const MEM_STATE = ['used', 'free', 'cached', 'buffered', 'slab_reclaimable', 'slab_unreclaimable'];
const DISK = [...seq('nvme', 8).map((d) => `${d}n1`), ...'abcdefgh'.split('').map((c) => `sd${c}`)];
const NIC = ['eth0', 'eth1', 'eth2', 'eth3', 'ens5', 'ens6', 'lo', 'docker0'];
const DIR_IO = ['read', 'write'];
const DIR_NET = ['transmit', 'receive'];
const MOUNTS = ['/', '/boot', '/var', '/var/lib/docker', '/data', '/tmp', '/home', '/opt'];
const FS_STATE = ['used', 'free', 'reserved'];
const TCP_STATE = ['ESTABLISHED', 'TIME_WAIT', 'CLOSE_WAIT', 'LISTEN', 'SYN_SENT', 'FIN_WAIT_1', 'FIN_WAIT_2', 'LAST_ACK'];
const ROUTES = ['/api/orders', '/api/orders/{id}', '/api/users/{id}', '/api/cart', '/api/products', '/api/products/{id}', '/healthz', '/api/checkout'];
const METHODS = ['GET', 'POST', 'PUT', 'DELETE'];
const CODES = ['200', '201', '204', '400', '404', '500', '503'];

function m(name: string, unit: string, shape: MetricShape, dims: MetricDef['dims'], lo: number, hi: number, int: boolean, description = ''): MetricDef {
  return { name, unit, shape, dims, lo, hi, int, description: description || name.replaceAll('.', ' ').replaceAll('_', ' ') };
}

export const CATALOG: Record<MetricType, MetricDef[]> = {
  host_metrics: [
    m('system.cpu.time', 's', 'sum', [['cpu', CPU], ['state', CPU_STATE]], 1e3, 5e6, false, 'Seconds each logical CPU spent on each mode.'),
    m('system.cpu.utilization', '1', 'gauge', [['cpu', CPU], ['state', CPU_STATE]], 0, 1, false, 'CPU utilization per logical CPU and mode.'),
    m('system.cpu.load_average.1m', '{thread}', 'gauge', [], 0.05, 12, false, 'Average CPU load over 1 minute.'),
    m('system.memory.usage', 'By', 'updown', [['state', MEM_STATE]], 1e8, 6e10, true, 'Bytes of memory in use.'),
    m('system.memory.utilization', '1', 'gauge', [['state', MEM_STATE]], 0, 1, false, 'Fraction of memory in use.'),
    m('system.disk.io', 'By', 'sum', [['device', DISK], ['direction', DIR_IO]], 1e9, 5e13, true, 'Disk bytes transferred.'),
    m('system.disk.operations', '{operation}', 'sum', [['device', DISK], ['direction', DIR_IO]], 1e5, 1e10, true, 'Disk operations count.'),
    m('system.disk.operation_time', 's', 'sum', [['device', DISK], ['direction', DIR_IO]], 10, 1e6, false, 'Time spent in disk operations.'),
    m('system.network.io', 'By', 'sum', [['device', NIC], ['direction', DIR_NET]], 1e9, 1e14, true, 'Bytes transmitted and received.'),
    m('system.network.packets', '{packet}', 'sum', [['device', NIC], ['direction', DIR_NET]], 1e6, 1e11, true, 'Packets transmitted and received.'),
    m('system.network.errors', '{error}', 'sum', [['device', NIC], ['direction', DIR_NET]], 0, 500, true, 'Network errors.'),
    m('system.network.connections', '{connection}', 'updown', [['protocol', ['tcp']], ['state', TCP_STATE]], 0, 4000, true, 'Number of connections.'),
    m('system.filesystem.usage', 'By', 'updown', [['mountpoint', MOUNTS], ['state', FS_STATE]], 1e8, 2e12, true, 'Filesystem bytes used.'),
    m('system.filesystem.utilization', '1', 'gauge', [['mountpoint', MOUNTS]], 0, 1, false, 'Fraction of filesystem bytes used.'),
    m('system.paging.operations', '{operation}', 'sum', [['direction', ['page_in', 'page_out']], ['type', ['major', 'minor']]], 1e3, 1e9, true),
    m('system.processes.count', '{process}', 'updown', [['status', ['running', 'sleeping', 'blocked', 'zombies']]], 0, 800, true),
  ],
  k8s_cluster: [
    m('k8s.deployment.desired', '{pod}', 'gauge', [], 1, 12, true, 'Number of desired pods in this deployment.'),
    m('k8s.deployment.available', '{pod}', 'gauge', [], 0, 12, true, 'Total number of available pods.'),
    m('k8s.replicaset.desired', '{pod}', 'gauge', [], 1, 12, true),
    m('k8s.replicaset.available', '{pod}', 'gauge', [], 0, 12, true),
    m('k8s.pod.phase', '1', 'gauge', [], 1, 3, true, 'Current phase of the pod (1 Pending, 2 Running, 3 Succeeded).'),
    m('k8s.container.restarts', '{restart}', 'gauge', [['k8s.container.name', seq('app-', 4)]], 0, 25, true),
    m('k8s.container.ready', '1', 'gauge', [['k8s.container.name', seq('app-', 4)]], 0, 1, true),
    m('k8s.hpa.current_replicas', '{pod}', 'gauge', [], 1, 20, true),
    m('k8s.hpa.desired_replicas', '{pod}', 'gauge', [], 1, 20, true),
    m('k8s.job.active_pods', '{pod}', 'gauge', [], 0, 5, true),
    m('k8s.daemonset.ready_nodes', '{node}', 'gauge', [], 1, 60, true),
  ],
  k8s_node: [
    m('k8s.node.cpu.usage', '{cpu}', 'gauge', [], 0.1, 60, false, 'Total CPU usage of the node in cores.'),
    m('k8s.node.cpu.time', 's', 'sum', [], 1e4, 5e7, false),
    m('k8s.node.memory.usage', 'By', 'gauge', [], 1e9, 2.5e11, true),
    m('k8s.node.memory.available', 'By', 'gauge', [], 1e8, 2e11, true),
    m('k8s.node.memory.working_set', 'By', 'gauge', [], 1e9, 2e11, true),
    m('k8s.node.filesystem.usage', 'By', 'gauge', [], 1e9, 5e11, true),
    m('k8s.node.filesystem.capacity', 'By', 'gauge', [], 1e11, 1e12, true),
    m('k8s.node.network.io', 'By', 'sum', [['interface', NIC], ['direction', DIR_NET]], 1e9, 1e14, true),
    m('k8s.node.network.errors', '{error}', 'sum', [['interface', NIC], ['direction', DIR_NET]], 0, 200, true),
    m('k8s.node.condition_ready', '1', 'gauge', [], 1, 1, true),
  ],
  k8s_pod: [
    m('k8s.pod.cpu.usage', '{cpu}', 'gauge', [], 0.001, 4, false),
    m('k8s.pod.cpu.time', 's', 'sum', [], 1, 1e6, false),
    m('k8s.pod.memory.usage', 'By', 'gauge', [], 2e7, 8e9, true),
    m('k8s.pod.memory.working_set', 'By', 'gauge', [], 2e7, 8e9, true),
    m('k8s.pod.network.io', 'By', 'sum', [['interface', ['eth0']], ['direction', DIR_NET]], 1e6, 1e12, true),
    m('k8s.pod.filesystem.usage', 'By', 'gauge', [], 1e5, 1e10, true),
    m('http.server.request.duration', 's', 'histogram', [['http.request.method', METHODS], ['http.route', ROUTES], ['http.response.status_code', CODES]], 0.02, 0.02, false, 'Duration of HTTP server requests.'),
    m('db.client.operation.duration', 's', 'exphistogram', [['db.system.name', ['postgresql', 'redis']], ['db.operation.name', ['SELECT', 'INSERT', 'UPDATE', 'GET', 'SET']]], 0.002, 0.002, false, 'Duration of database client operations.'),
    m('go_gc_duration_seconds', 's', 'summary', [], 0.0002, 0.0002, false, 'A summary of the wall-time pause (stop-the-world) duration in garbage collection cycles.'),
  ],
  k8s_container: [
    m('container.cpu.usage', '{cpu}', 'gauge', [], 0.001, 4, false),
    m('container.cpu.time', 's', 'sum', [], 1, 1e6, false),
    m('container.memory.usage', 'By', 'gauge', [], 1e7, 8e9, true),
    m('container.memory.working_set', 'By', 'gauge', [], 1e7, 8e9, true),
    m('container.memory.rss', 'By', 'gauge', [], 1e7, 6e9, true),
    m('container.filesystem.usage', 'By', 'gauge', [], 1e5, 1e10, true),
    m('k8s.container.cpu_limit', '{cpu}', 'gauge', [], 0.1, 8, false),
    m('k8s.container.cpu_request', '{cpu}', 'gauge', [], 0.05, 4, false),
    m('k8s.container.memory_limit', 'By', 'gauge', [], 1.28e8, 1.6e10, true),
    m('k8s.container.memory_request', 'By', 'gauge', [], 6.4e7, 8e9, true),
  ],
};

/** Distinct point-attribute sets a definition offers per resource. */
export function capacity(def: MetricDef): number {
  let n = 1;
  for (const [, values] of def.dims) n *= values.length;
  return n;
}

const attributeCache = new WeakMap<MetricDef, KeyValue[][]>();

/**
 * The `variant`-th attribute combination (mixed radix over the dimensions); distinct for
 * distinct variants. Cached and shared between resources: the same set recurs on every host.
 */
export function pointAttributes(def: MetricDef, variant: number): KeyValue[] {
  let cache = attributeCache.get(def);
  if (!cache) attributeCache.set(def, (cache = []));
  const hit = cache[variant];
  if (hit) return hit;
  const rec: Record<string, string> = {};
  for (let i = def.dims.length - 1, v = variant; i >= 0; i--) {
    const [key, values] = def.dims[i]!;
    rec[key] = values[v % values.length]!;
    v = Math.floor(v / values.length);
  }
  const out = attrs(rec).reverse();
  cache[variant] = out;
  return out;
}

const NAMESPACES = ['shop', 'payments', 'platform', 'edge', 'data', 'monitoring'];
const APPS = ['checkout', 'cart', 'catalog', 'users', 'payments', 'orders', 'inventory', 'shipping', 'search', 'gateway'];
const CLUSTER = 'prod-eu-west-1';

function node(i: number): string {
  return `ip-10-${(i >> 8) & 255}-${i & 255}-${(i * 37) % 254 + 1}.ec2.internal`;
}

/** Resource attributes of the i-th entity (host, node, pod, container, or a deployment for cluster metrics). */
export function entityResource(type: MetricType, i: number): KeyValue[] {
  const ns = NAMESPACES[i % NAMESPACES.length]!;
  const app = `${APPS[i % APPS.length]!}${i >= APPS.length ? `-${Math.floor(i / APPS.length)}` : ''}`;
  const pod = `${app}-${(0x5f3a1c + i * 7919).toString(16).padStart(6, '0').slice(-6)}${'bcdfg'[i % 5]}-${((i * 2654435761) >>> 0).toString(36).slice(0, 5)}`;
  switch (type) {
    case 'host_metrics':
      return attrs({ 'host.name': node(i), 'host.id': `i-0${((i * 2246822519) >>> 0).toString(16).padStart(8, '0')}`, 'os.type': 'linux', 'host.arch': 'amd64', 'cloud.provider': 'aws', 'cloud.region': 'eu-west-1', 'service.name': 'otelcol-agent' });
    case 'k8s_cluster':
      return attrs({ 'k8s.cluster.name': CLUSTER, 'k8s.namespace.name': ns, 'k8s.deployment.name': app, 'k8s.replicaset.name': `${app}-7d9f${(i % 97).toString(16)}`, 'service.name': 'otelcol-cluster' });
    case 'k8s_node':
      return attrs({ 'k8s.cluster.name': CLUSTER, 'k8s.node.name': node(i), 'k8s.node.uid': `node-uid-${i}`, 'service.name': 'otelcol-agent' });
    case 'k8s_pod':
      return attrs({ 'k8s.cluster.name': CLUSTER, 'k8s.namespace.name': ns, 'k8s.node.name': node(i % 64), 'k8s.pod.name': pod, 'k8s.pod.uid': `pod-uid-${i}`, 'k8s.deployment.name': app, 'service.name': app });
    case 'k8s_container':
      return attrs({ 'k8s.cluster.name': CLUSTER, 'k8s.namespace.name': ns, 'k8s.node.name': node(i % 64), 'k8s.pod.name': pod, 'k8s.container.name': app, 'container.id': ((i * 2654435761) >>> 0).toString(16).padStart(12, '0'), 'container.image.name': `registry.example.com/${app}`, 'service.name': 'otelcol-agent' });
  }
}
