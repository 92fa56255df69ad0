import { afterAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { describeConfig, parseConfig } from '../../src/config/load.js';
import { baseConfig, expectProblem, makeDir, problemsOf } from './fixture.js';

const { dir, cleanup } = makeDir();
afterAll(cleanup);
const AT = 'service.pipelines.traces/replay.processors';

function withDelivery(delivery: unknown, order = ['timestamp', 'delivery']): Record<string, any> {
  const cfg = baseConfig();
  cfg.processors = { timestamp: {}, delivery };
  cfg.service.pipelines['traces/replay'].processors = order;
  return cfg;
}

describe('delivery settings', () => {
  it('defaults to whole traces with nothing late or rootless', () => {
    const parsed = parseConfig(stringify(withDelivery({})), join(dir, 'replayd.yaml')).processors.delivery;
    expect(parsed).toEqual({ type: 'delivery', id: 'delivery', mode: 'whole', lateSpans: { share: 0, delayMs: 30_000 }, lateRoot: { share: 0, delayMs: 30_000 }, rootless: 0 });
  });

  it('reads mode, late_spans, late_root and rootless in the Collector style', () => {
    const cfg = withDelivery({ mode: 'as_ended', late_spans: { share: 0.01, delay: '30s' }, late_root: { share: 0.2, delay: '5s' }, rootless: 0.005 });
    expect(parseConfig(stringify(cfg), join(dir, 'replayd.yaml')).processors.delivery).toEqual({
      type: 'delivery', id: 'delivery', mode: 'as_ended', lateSpans: { share: 0.01, delayMs: 30_000 }, lateRoot: { share: 0.2, delayMs: 5000 }, rootless: 0.005,
    });
    expect(describeConfig(parseConfig(stringify(cfg), join(dir, 'replayd.yaml')))).toContain(
      'each span when it ends, 1% of spans 30s late, 20% of roots 5s late, 0.5% of traces rootless');
  });

  it('reports a bad mode, share or delay by its full key path', () => {
    const problems = problemsOf(dir, withDelivery({ mode: 'as-ended', late_spans: { share: 1.5, delay: 'soon' }, late_root: { shares: 0.1 }, rootless: -0.1 }));
    expectProblem(problems, 'processors.delivery.mode', 'must be one of whole, as_ended, got "as-ended" (did you mean "as_ended"?)');
    expectProblem(problems, 'processors.delivery.late_spans.share', 'must be a non-negative number of at most 1, got 1.5');
    expectProblem(problems, 'processors.delivery.late_spans.delay', 'must be a duration like "250ms", "30s" or "5m", got "soon"');
    expectProblem(problems, 'processors.delivery.late_root.shares', 'unknown key "shares" (did you mean "share"?)');
    expectProblem(problems, 'processors.delivery.rootless', 'must be a non-negative number of at most 1, got -0.1');
  });

  it('needs timestamp before it: it sends a span once its stamped end has passed', () => {
    expectProblem(problemsOf(dir, withDelivery({}, ['delivery', 'timestamp'])), `${AT}[0]`,
      '"delivery" needs a processor that sets times (timestamp) before it: delivery sends a span once its stamped end has passed; put timestamp first');
    expect(problemsOf(dir, withDelivery({ mode: 'as_ended' }))).toEqual([]);
  });

  it('serves traces pipelines only', () => {
    const cfg = withDelivery({});
    cfg.service.pipelines = { 'logs/replay': { receivers: ['template/checkout'], processors: ['timestamp', 'delivery'], exporters: ['otlp_grpc/backend'] } };
    expectProblem(problemsOf(dir, cfg), 'service.pipelines.logs/replay.processors[1]', 'processor "delivery" schedules spans: it serves traces pipelines only');
  });
});
