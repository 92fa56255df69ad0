import { join } from 'node:path';
import protobuf from 'protobufjs';
import { packageRoot } from '../package-root.js';
import { SIGNALS, type Signal } from './signals.js';

/**
 * The protobufjs root for our `proto/` files. Used off the hot path only: loading
 * templates, the sink's --verify, the generator and tests. Sends never decode or encode.
 */
let root: protobuf.Root | undefined;

export function otlpRoot(): protobuf.Root {
  if (root) return root;
  const dir = join(packageRoot(), 'proto');
  const r = new protobuf.Root();
  r.resolvePath = (_origin, target) => join(dir, target);
  r.loadSync(
    [
      'opentelemetry/proto/collector/trace/v1/trace_service.proto',
      'opentelemetry/proto/collector/metrics/v1/metrics_service.proto',
      'opentelemetry/proto/collector/logs/v1/logs_service.proto',
    ],
    { keepCase: false },
  );
  r.resolveAll();
  root = r;
  return r;
}

export function requestType(signal: Signal): protobuf.Type {
  return otlpRoot().lookupType(SIGNALS[signal].request);
}

export function responseType(signal: Signal): protobuf.Type {
  return otlpRoot().lookupType(SIGNALS[signal].response);
}
