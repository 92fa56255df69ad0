/**
 * delivery's cost: the daemon end to end into the sink with whole traces and with
 * `as_ended` (each span when it ends, frames scheduled over overlapping cycles), same
 * template, same exporter, in alternating rounds so drift in the machine's load hits both.
 * Both are held to a rate far above what the machine reaches, so each runs as fast as it
 * can: as_ended then starts cycles as fast as its bound on cycles in flight allows.
 * Throughput is the daemon's own summary rate (spans sent over its sending window).
 */
import { spawnJsonLines, median } from './child-process.js';
import { writeDaemonConfig } from './daemon-config.js';

export interface DeliveryBench {
  rounds: number;
  whole: number[];
  asEnded: number[];
  /** median(as_ended) / median(whole). */
  ratio: number;
}


function config(dir: string, mode: 'whole' | 'as_ended', template: string, grpc: string, seconds: number): string {
  return writeDaemonConfig(dir, {
    name: `delivery-${mode}`, template, seconds,
    processors: ['id_regen: {}', 'timestamp: {}', `delivery: { mode: ${mode} }`, 'batch_splitter: { max_items: 1000000, max_bytes: 3MiB }', 'ratelimit: { events_per_second: 1000000000 }'],
    exporter: `otlp_grpc: { endpoint: ${grpc}, tls: { insecure: true }, max_in_flight: 4 }`,
  });
}

async function rate(cli: string, cfg: string): Promise<number> {
  const d = spawnJsonLines([cli, '--config', cfg], { inheritStderr: true });
  await d.exited;
  const s = d.lines.find((l) => l.msg === 'summary');
  if (!s) throw new Error(`delivery bench: no summary from ${cfg}`);
  return Number(s.rate);
}

export async function runDeliveryBench(cli: string, dir: string, template: string, grpc: string, seconds: number, rounds = 3): Promise<DeliveryBench> {
  const whole: number[] = [], asEnded: number[] = [];
  for (let r = 0; r < rounds; r++) {
    whole.push(await rate(cli, config(dir, 'whole', template, grpc, seconds)));
    asEnded.push(await rate(cli, config(dir, 'as_ended', template, grpc, seconds)));
  }
  return { rounds, whole, asEnded, ratio: median(asEnded) / median(whole) };
}

export function formatDeliveryBench(b: DeliveryBench): string {
  const m = (xs: number[]) => `${(median(xs) / 1e6).toFixed(3)}M spans/s`;
  return `delivery end to end over gRPC, same template, ${b.rounds} alternating rounds (median):\n` +
    `  whole     ${m(b.whole)}   [${b.whole.map((x) => Math.round(x)).join(', ')}]\n` +
    `  as_ended  ${m(b.asEnded)}   [${b.asEnded.map((x) => Math.round(x)).join(', ')}]   = ${(100 * b.ratio).toFixed(0)}% of whole (goal ≥ 80%)`;
}
