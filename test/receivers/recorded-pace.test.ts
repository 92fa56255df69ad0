import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile } from '../../src/compile/compile.js';
import { paceOf } from '../../src/receivers/recorded-pace.js';
import { RECEIVERS } from '../../src/receivers/index.js';
import type { TemplateReceiverConfig } from '../../src/receivers/template-receiver.js';
import { writeRecordedTraces } from '../helpers/templates.js';
import { baseConfig, expectProblem, makeDir, problemsOf } from '../config/fixture.js';

function open(file: string, speed: number): Promise<any[]> {
  const cfg: TemplateReceiverConfig = { type: 'template', id: 'template/rec', loops: 0, traces: file, pace: 'recorded', speed };
  return RECEIVERS.of(cfg).open(cfg, 'traces', 0, { relativeTimes: true }).initial();
}

const dir = () => mkdtempSync(join(tmpdir(), 'replayd-pace-'));

describe('paced templates (template receiver pace: recorded)', () => {
  it('are due at recording.yaml\'s arrivals divided by speed; a cycle lasts the recording', async () => {
    const [data] = await open(writeRecordedTraces(dir(), { requests: 3, arrivalsMs: [100, 600, 2100] }), 2);
    // The arrivals count from the first; the recording lasted 2.3 s.
    expect(data.pace).toEqual({ dueMs: [0, 250, 1000], cycleMs: 1150 });
  });

  it('are due at the earliest time of each request without recording.yaml (traces are rebased afterwards)', async () => {
    const [data] = await open(writeRecordedTraces(dir(), { requests: 4 }), 1);
    expect(data.pace.dueMs.map(Math.round)).toEqual([0, 1000, 2000, 3000]);
    // Last request + the mean gap: the next cycle's first request does not follow the last at once.
    expect(Math.round(data.pace.cycleMs)).toBe(4000);
  });

  it('uses the file\'s own times when recording.yaml lists another number of requests', async () => {
    const d = dir();
    writeRecordedTraces(d, { requests: 2, arrivalsMs: [0, 5000] });
    const [data] = await open(writeRecordedTraces(d, { requests: 3 }), 1);
    expect(data.pace.dueMs.map(Math.round)).toEqual([0, 1000, 2000]);
  });

  it('give every frame its request\'s due time, also when batch_splitter splits a request', async () => {
    const [data] = await open(writeRecordedTraces(dir(), { requests: 3, arrivalsMs: [0, 1000, 2000] }), 1);
    const whole = compile([data], { idRegen: true, timestamps: true, encodings: ['proto'] });
    expect(whole.frames.map((f) => [f.events, f.dueMs])).toEqual([[2, 0], [2, 1000], [2, 2000]]);
    expect(whole.cycleMs).toBe(2200);
    const split = compile([data], { idRegen: true, timestamps: true, encodings: ['proto'], maxItems: 1 });
    expect(split.frames.map((f) => [f.events, f.dueMs])).toEqual([[1, 0], [1, 0], [1, 1000], [1, 1000], [1, 2000], [1, 2000]]);
    // A template that is not paced has no due times.
    expect(compile([{ ...data, pace: undefined }], { idRegen: true, timestamps: true, encodings: ['proto'], maxItems: 4 }).frames.map((f) => f.dueMs)).toEqual([undefined, undefined]);
  });

  it('last one second per cycle for a single request, and scale with speed', () => {
    expect(paceOf([5], 1)).toEqual({ dueMs: [0], cycleMs: 1000 });
    expect(paceOf([0, 400], 0.5)).toEqual({ dueMs: [0, 800], cycleMs: 1600 });
  });

  it('take recordings of more requests than a function call has arguments', () => {
    const arrivals = Array.from({ length: 300_000 }, (_, i) => 50 + i);
    const pace = paceOf(arrivals, 1, 400_000);
    expect(pace.dueMs[299_999]).toBe(299_999);
    expect(pace.cycleMs).toBe(400_000);
  });

  it('are configured with pace: recorded and a positive speed, which needs pace: recorded', () => {
    const { dir, cleanup } = makeDir();
    try {
      const cfg = baseConfig();
      cfg.receivers['template/checkout'] = { traces: 't.pb', pace: 'as_recorded', speed: 0 };
      const problems = problemsOf(dir, cfg);
      expectProblem(problems, 'receivers.template/checkout.pace', /must be one of/);
      expectProblem(problems, 'receivers.template/checkout.speed', 'must be a positive number, got 0');
      cfg.receivers['template/checkout'] = { traces: 't.pb', speed: 2 };
      expectProblem(problemsOf(dir, cfg), 'receivers.template/checkout.speed', 'only applies with pace: recorded');
      cfg.receivers['template/checkout'] = { traces: 't.pb', pace: 'recorded', speed: 0.5 };
      expect(problemsOf(dir, cfg)).toEqual([]);
    } finally {
      cleanup();
    }
  });
});
