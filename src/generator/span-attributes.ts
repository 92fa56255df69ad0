import type { Rng } from './prng.js';
import type { Service } from './topology.js';
import { type KeyValue, SPAN_KIND, attrs, int, str } from './otlp-values.js';

export type OpKind = 'http_server' | 'grpc_server' | 'http_client' | 'grpc_client' | 'db' | 'cache' | 'producer' | 'consumer' | 'internal';

export const KIND_OF: Record<OpKind, number> = {
  http_server: SPAN_KIND.SERVER, grpc_server: SPAN_KIND.SERVER, http_client: SPAN_KIND.CLIENT, grpc_client: SPAN_KIND.CLIENT,
  db: SPAN_KIND.CLIENT, cache: SPAN_KIND.CLIENT, producer: SPAN_KIND.PRODUCER, consumer: SPAN_KIND.CONSUMER, internal: SPAN_KIND.INTERNAL,
};

/** What a span does, picked when the tree is built so a CLIENT and its SERVER child agree. */
export interface Op {
  kind: OpKind;
  name: string;
  method: string;
  route: string;
  path: string;
  target?: Service;
}

const AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148',
  'okhttp/4.12.0',
  'python-requests/2.32.3',
];

const SQL: Record<string, (table: string) => [string, string]> = {
  SELECT: (t) => ['SELECT', `SELECT id, status, created_at FROM ${t} WHERE id = $1`],
  INSERT: (t) => ['INSERT', `INSERT INTO ${t} (id, payload, created_at) VALUES ($1, $2, $3)`],
  UPDATE: (t) => ['UPDATE', `UPDATE ${t} SET status = $1, updated_at = $2 WHERE id = $3`],
};

/** A server operation of `svc`, as the entry span of a request into it. */
export function serverOp(svc: Service, rng: Rng): Op {
  if (svc.protocol === 'grpc') {
    const m = rng.pick(svc.grpcMethods);
    return { kind: 'grpc_server', name: m, method: m, route: m, path: m };
  }
  const r = rng.pick(svc.routes);
  const path = r.route.replace('{id}', String(rng.range(1, 99_999)));
  return { kind: 'http_server', name: `${r.method} ${r.route}`, method: r.method, route: r.route, path };
}

/** The client side of a call into `server` (an op from serverOp of the callee). */
export function clientOp(server: Op, callee: Service): Op {
  const kind = server.kind === 'grpc_server' ? 'grpc_client' : 'http_client';
  // A literal, not a spread of `server`: this runs for every call span.
  return { kind, name: kind === 'grpc_client' ? server.name : server.method, method: server.method, route: server.route, path: server.path, target: callee };
}

export function localOp(svc: Service, kind: 'db' | 'cache' | 'internal' | 'producer' | 'consumer', rng: Rng): Op {
  switch (kind) {
    case 'db': {
      const table = svc.database!.namespace;
      const [op, text] = SQL[rng.pick(['SELECT', 'SELECT', 'SELECT', 'INSERT', 'UPDATE'])]!(table);
      return svc.database!.system === 'mongodb'
        ? { kind, name: `find ${table}`, method: 'find', route: table, path: `{"_id": "?"}` }
        : { kind, name: `${op} ${table}`, method: op, route: table, path: text };
    }
    case 'cache': {
      const op = rng.pick(['GET', 'GET', 'GET', 'SET', 'DEL']);
      return { kind, name: op, method: op, route: '', path: `${op} ${svc.routes[0]!.resource}:${rng.range(1, 99_999)}` };
    }
    case 'producer':
    case 'consumer':
      return { kind, name: `${kind === 'producer' ? 'send' : 'process'} ${svc.topic}`, method: '', route: svc.topic!, path: '' };
    default: {
      const op = rng.pick(svc.internalOps);
      return { kind, name: op, method: '', route: '', path: '' };
    }
  }
}

/** Semantic-convention attributes of one span (OpenTelemetry semconv 1.29+ names). */
export function spanAttributes(svc: Service, op: Op, failed: boolean, rng: Rng): KeyValue[] {
  switch (op.kind) {
    case 'http_server': {
      const code = failed ? rng.pick([500, 502, 503]) : op.method === 'POST' ? 201 : rng.chance(0.02) ? 404 : 200;
      return attrs({
        'http.request.method': op.method, 'url.scheme': 'https', 'url.path': op.path, 'http.route': op.route,
        'http.response.status_code': code, 'server.address': `${svc.name}.${svc.namespace}.svc.cluster.local`, 'server.port': 8080,
        'network.protocol.version': '1.1', 'client.address': `10.0.${rng.range(0, 31)}.${rng.range(1, 254)}`,
        'user_agent.original': rng.pick(AGENTS),
      });
    }
    case 'http_client': {
      const t = op.target!;
      const host = `${t.name}.${t.namespace}.svc.cluster.local`;
      return attrs({
        'http.request.method': op.method, 'url.full': `http://${host}:8080${op.path}`, 'server.address': host, 'server.port': 8080,
        'http.response.status_code': failed ? rng.pick([500, 503]) : op.method === 'POST' ? 201 : 200,
      });
    }
    case 'grpc_server':
    case 'grpc_client': {
      const [service, method] = op.route.split('/') as [string, string];
      const a = attrs({ 'rpc.system': 'grpc', 'rpc.service': service, 'rpc.method': method, 'rpc.grpc.status_code': failed ? 13 : 0 });
      if (op.kind === 'grpc_client') a.push(str('server.address', `${op.target!.name}.${op.target!.namespace}.svc.cluster.local`), int('server.port', 50051));
      return a;
    }
    case 'db': {
      const db = svc.database!;
      return attrs({
        'db.system.name': db.system, 'db.namespace': db.namespace, 'db.operation.name': op.method,
        'db.collection.name': op.route, 'db.query.text': op.path, 'server.address': db.host, 'server.port': db.port,
      });
    }
    case 'cache':
      return attrs({ 'db.system.name': 'redis', 'db.operation.name': op.method, 'db.query.text': op.path, 'server.address': svc.cache!.host, 'server.port': 6379 });
    case 'producer':
    case 'consumer':
      return attrs({
        'messaging.system': 'kafka', 'messaging.destination.name': op.route,
        'messaging.operation.type': op.kind === 'producer' ? 'send' : 'process',
        'messaging.operation.name': op.kind === 'producer' ? 'send' : 'process',
        'messaging.kafka.message.key': String(rng.range(1, 99_999)),
        'server.address': 'kafka-0.kafka.platform.svc.cluster.local',
      });
    default:
      return attrs({ 'code.function.name': op.name, 'thread.name': `worker-${rng.range(1, 16)}` });
  }
}

const FAILURES: Record<string, [string, string][]> = {
  java: [
    ['java.net.SocketTimeoutException', 'Read timed out'],
    ['java.lang.IllegalStateException', 'Connection pool exhausted'],
    ['org.postgresql.util.PSQLException', 'ERROR: deadlock detected'],
  ],
  go: [['*net.OpError', 'dial tcp 10.0.4.12:5432: connect: connection refused'], ['context.deadlineExceededError', 'context deadline exceeded']],
  nodejs: [['Error', 'ECONNRESET: socket hang up'], ['TypeError', "Cannot read properties of undefined (reading 'id')"]],
  python: [['ConnectionError', 'HTTPConnectionPool: Max retries exceeded'], ['KeyError', "'customer_id'"]],
  dotnet: [['System.TimeoutException', 'The operation has timed out.'], ['System.InvalidOperationException', 'Sequence contains no elements']],
};

/** Attributes of the `exception` event recorded on the span that failed first. */
export function exceptionAttributes(svc: Service, op: Op, rng: Rng): KeyValue[] {
  const [type, message] = rng.pick(FAILURES[svc.language.language] ?? FAILURES.java!);
  const fn = op.name.replace(/[^A-Za-z0-9_.]/g, '_');
  const stack = svc.language.language === 'java'
    ? `${type}: ${message}\n\tat com.example.${svc.namespace}.${fn}(Handler.java:${rng.range(20, 400)})\n\tat com.example.server.Dispatcher.handle(Dispatcher.java:88)`
    : `${type}: ${message}\n    at ${fn} (/app/src/handlers.${svc.language.language === 'go' ? 'go' : 'js'}:${rng.range(20, 400)})\n    at dispatch (/app/src/server:51)`;
  return attrs({ 'exception.type': type, 'exception.message': message, 'exception.stacktrace': stack });
}
