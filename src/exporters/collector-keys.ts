/**
 * What the Collector's otlp / otlphttp exporter keys are called here. People paste
 * exporter blocks from Collector configs: a key we do not have gets a hint naming our
 * equivalent (or why none is needed) instead of a bare "unknown key".
 */
import type { KeyHints, KeyTable, Section } from '../config/schema.js';

const HTTP_ONLY = 'an OTLP/HTTP setting: use an otlp_http exporter';
const GRPC_ONLY = 'a gRPC setting: use an otlp_grpc exporter';
const NO_QUEUE = 'there is no queue: a request is stamped only when one of max_in_flight slots is free, so nothing waits in memory';
const BATCHING = 'use the batch_splitter processor (max_items, max_bytes) to size requests';
const HTTP_POOL = 'connections are a keep-alive HTTP/1.1 pool of max_in_flight connections per endpoint';

/** Both exporters' top-level keys. */
const COMMON_HINTS: KeyHints = {
  auth: 'authenticator extensions are not supported: put the credential in headers, e.g. headers: { authorization: "Bearer ${env:TOKEN}" }',
  authority: 'not supported; to verify the server certificate against another name use tls.server_name_override',
  user_agent: 'not configurable: requests carry User-Agent otel-replayd/<version>',
  middlewares: 'not supported',
  read_buffer_size: 'not needed: buffers are sized by the transport; max_in_flight bounds memory',
  write_buffer_size: 'not needed: buffers are sized by the transport; max_in_flight bounds memory',
  batcher: BATCHING,
  profiles_endpoint: 'profiles are not replayed (traces, metrics and logs only)',
};

export const EXPORTER_HINTS: Readonly<Record<'otlp_grpc' | 'otlp_http', KeyHints>> = {
  otlp_grpc: {
    ...COMMON_HINTS,
    wait_for_ready: 'not needed: a request sent while the channel connects fails UNAVAILABLE and retry_on_failure retries it',
    encoding: `${HTTP_ONLY} with encoding: json (gRPC is always protobuf)`,
    traces_endpoint: HTTP_ONLY,
    metrics_endpoint: HTTP_ONLY,
    logs_endpoint: HTTP_ONLY,
    proxy_url: HTTP_ONLY,
  },
  otlp_http: {
    ...COMMON_HINTS,
    balancer_name: GRPC_ONLY,
    keepalive: GRPC_ONLY,
    connections: `${GRPC_ONLY}; ${HTTP_POOL}`,
    wait_for_ready: GRPC_ONLY,
    proxy_url: 'not supported: requests go straight to the endpoint',
    max_idle_conns: HTTP_POOL,
    max_idle_conns_per_host: HTTP_POOL,
    max_conns_per_host: HTTP_POOL,
    idle_conn_timeout: `not supported: ${HTTP_POOL}, kept open 60 s`,
    disable_keep_alives: `not supported: ${HTTP_POOL}`,
    http2_read_idle_timeout: `not supported: ${HTTP_POOL}`,
    http2_ping_timeout: `not supported: ${HTTP_POOL}`,
    force_attempt_http2: `not supported: ${HTTP_POOL}`,
    cookies: 'not supported',
  },
};

export const TLS_HINTS: KeyHints = {
  max_version: 'not supported: the highest version both sides have (TLS 1.3) is used; min_version sets the lowest',
  cipher_suites: 'not supported: Node\'s default cipher list is used',
  curve_preferences: 'not supported: Node\'s default curves are used',
  include_system_ca_certs_pool: 'not supported: ca_file / ca_pem replace the system roots; put every CA you trust in one PEM bundle',
  reload_interval: 'not supported: certificates are read when a pipeline starts (a SIGHUP that changes the config restarts it)',
  tpm: 'not supported',
  client_ca_file: 'a server setting; for mutual TLS give cert_file and key_file',
};

/**
 * `sending_queue:` is accepted so Collector blocks load. Here a request is stamped only
 * when the exporter has a free slot, so the queue's only counterpart is its consumers:
 * `num_consumers` is used as max_in_flight (requests in flight per worker) when
 * max_in_flight is not given. The other keys have nothing to act on.
 */
export const SENDING_QUEUE_KEYS: KeyTable = {
  enabled: { doc: 'Accepted; has no effect (there is no queue).', default: true },
  num_consumers: { doc: 'Sets max_in_flight when max_in_flight is not given (the Collector\'s concurrent senders).' },
  queue_size: { doc: `Accepted; has no effect: ${NO_QUEUE}.` },
  sizer: { doc: 'Accepted; has no effect (there is no queue).' },
  block_on_overflow: { doc: 'Accepted; has no effect: the loop always waits for a free slot.' },
  wait_for_result: { doc: 'Accepted; has no effect: every request is counted when its result arrives.' },
};

const SENDING_QUEUE_HINTS: KeyHints = {
  storage: `no persistent queue: ${NO_QUEUE}`,
  batch: BATCHING,
};

/** max_in_flight as sending_queue.num_consumers gives it, or undefined; reports a conflict with max_in_flight. */
export function maxInFlightFromQueue(s: Section, maxInFlight: number | undefined): number | undefined {
  if (!s.has('sending_queue')) return undefined;
  const q = s.section('sending_queue', SENDING_QUEUE_KEYS, SENDING_QUEUE_HINTS);
  q.bool('enabled');
  q.number('queue_size', { integer: true, min: 0 });
  q.oneOf('sizer', ['requests', 'items', 'bytes'] as const);
  q.bool('block_on_overflow');
  q.bool('wait_for_result');
  const consumers = q.number('num_consumers', { integer: true, positive: true, max: 10_000 });
  if (consumers !== undefined && s.has('max_in_flight') && consumers !== maxInFlight) {
    q.problem('num_consumers', `is the same setting as max_in_flight here (requests in flight per worker); give one of them`);
  }
  return s.has('max_in_flight') ? undefined : consumers;
}
