/**
 * balancer_name reaches grpc-js: with a name that resolves to two sinks, round_robin spreads
 * requests over both and pick_first keeps to one. This machine's resolver gives one address
 * per name, so the DNS resolver is the one thing replaced here: a stand-in that answers
 * `dns:///balanced.test:<any>` with the two sinks' loopback addresses (this file only;
 * test files run isolated).
 */
import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { createExporter } from '../../src/exporters/index.js';
import type { Sink } from '../../src/sink/index.js';
import { sinksClosedAfterEach } from '../helpers/sink.js';
import { memoryLogger, testExporterConfig, traceRequest } from './fake-endpoint.js';

const startSink = sinksClosedAfterEach();
let addresses: { host: string; port: number }[] = [];

type Listener = (endpoints: { ok: true; value: { addresses: { host: string; port: number }[] }[] }, attributes: object, serviceConfig: null, note: string) => boolean;

class TwoSinksResolver {
  constructor(_target: unknown, private readonly listener: Listener) {}
  updateResolution(): void {
    process.nextTick(() => this.listener({ ok: true, value: addresses.map((a) => ({ addresses: [a] })) }, {}, null, ''));
  }
  destroy(): void {}
  static getDefaultAuthority(target: { path: string }): string {
    return target.path;
  }
}
grpc.experimental.registerResolver('dns', TwoSinksResolver as unknown as Parameters<typeof grpc.experimental.registerResolver>[1]);

async function twoSinks(): Promise<[Sink, Sink]> {
  const sinks: [Sink, Sink] = [await startSink({ grpc: '127.0.0.1:0' }), await startSink({ grpc: '127.0.0.1:0' })];
  addresses = sinks.map((s) => ({ host: '127.0.0.1', port: Number(s.grpcAddress!.split(':')[1]) }));
  return sinks;
}

async function send(balancerName: 'pick_first' | 'round_robin', requests: number): Promise<void> {
  const exp = createExporter(testExporterConfig({ type: 'otlp_grpc', endpoint: 'dns:///balanced.test:4317', balancerName }), memoryLogger().log);
  try {
    for (let i = 0; i < requests; i++) expect(await exp.export('traces', traceRequest(1))).toMatchObject({ status: 'sent' });
  } finally {
    await exp.close();
  }
}

describe('balancer_name', () => {
  it('round_robin spreads requests over every address the name resolves to', async () => {
    const [a, b] = await twoSinks();
    await send('round_robin', 40);
    expect(a.counts().traces.requests + b.counts().traces.requests).toBe(40);
    expect(a.counts().traces.requests).toBeGreaterThan(0);
    expect(b.counts().traces.requests).toBeGreaterThan(0);
  });

  it('pick_first (the default) sends every request to one of them', async () => {
    const [a, b] = await twoSinks();
    await send('pick_first', 40);
    expect([a.counts().traces.requests, b.counts().traces.requests].sort()).toEqual([0, 40]);
  });
});
