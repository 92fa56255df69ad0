import { statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { requestType } from '../../src/otlp/proto.js';
import { type TemplateReceiverConfig, templateReceiver } from '../../src/receivers/template-receiver.js';
import { tempFiles } from '../helpers/files.js';
import { tracesRequest, writeTemplate } from '../helpers/templates.js';

const files = tempFiles('otel-replayd-template-receiver-');

function cfg(traces: string, over: Partial<TemplateReceiverConfig>): TemplateReceiverConfig {
  return { type: 'template', id: 'template/t', loops: 0, traces, stream: 'auto', streamThreshold: 1 << 20, streamChunk: 1 << 20, cacheDir: files.dir, ...over };
}

const streams = (c: TemplateReceiverConfig): boolean => templateReceiver.open(c, 'traces', 0, { relativeTimes: true }).streamed !== undefined;

describe('template receiver: stream mode', () => {
  it('streams with stream: auto from stream_threshold on, by the size the template takes loaded (a gzip file by its uncompressed size)', () => {
    const plain = files.file('t.pb', requestType('traces').encode(tracesRequest({ traces: 100, spansPerTrace: 5 })).finish());
    const size = statSync(plain).size;
    expect(streams(cfg(plain, { streamThreshold: size }))).toBe(true);
    expect(streams(cfg(plain, { streamThreshold: size + 1 }))).toBe(false);
    const gz = writeTemplate(files.dir, 'traces', tracesRequest({ traces: 100, spansPerTrace: 5 }), { gzip: true, name: 'gz' });
    expect(statSync(gz).size).toBeLessThan(size / 4);
    expect(streams(cfg(gz, { streamThreshold: size }))).toBe(true);
  });

  it('always streams with stream: true and never with stream: false, whatever the size', () => {
    const small = files.file('s.pb', requestType('traces').encode(tracesRequest({ traces: 1, spansPerTrace: 1 })).finish());
    expect(streams(cfg(small, { stream: true }))).toBe(true);
    expect(streams(cfg(small, { stream: false, streamThreshold: 1 }))).toBe(false);
  });

  it('counts a streamed template as one chunk in the memory estimate', () => {
    const c = cfg('/x/t.pb', { streamChunk: 5000 });
    expect(templateReceiver.templateBytes(c, 'traces', () => 10 << 20)).toBe(5000);
    expect(templateReceiver.templateBytes(c, 'traces', () => 1000)).toBe(1000);
  });
});
