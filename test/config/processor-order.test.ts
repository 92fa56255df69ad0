import { afterAll, describe, expect, it } from 'vitest';
import { baseConfig, expectProblem, makeDir, problemsOf } from './fixture.js';

const { dir, cleanup } = makeDir();
afterAll(cleanup);
const AT = 'service.pipelines.traces/replay.processors';

function pipeline(processors: Record<string, unknown>, order: string[]): Record<string, any> {
  const cfg = baseConfig();
  cfg.processors = processors;
  cfg.service.pipelines['traces/replay'].processors = order;
  return cfg;
}

const RESOURCE = { attributes: [{ key: 'loadtest.run', value: 'r1', action: 'upsert' }] };
const ATTRIBUTES = { actions: [{ key: 'http.request.header.authorization', action: 'delete' }] };
const CARDINALITY = { attribute: 'service.instance.id', values: 10 };

describe('processor order', () => {
  it('rejects jitter without a timestamp before it, naming the position and the fix', () => {
    const procs = { timestamp: {}, jitter: { max: '10ms' } };
    expectProblem(problemsOf(dir, pipeline(procs, ['jitter', 'timestamp'])), `${AT}[0]`,
      '"jitter" needs a processor that sets times (timestamp) before it: jitter moves the times timestamp sets; put timestamp first');
    expectProblem(problemsOf(dir, pipeline({ jitter: { max: '10ms' } }, ['jitter'])), `${AT}[0]`, /needs a processor that sets times/);
    expect(problemsOf(dir, pipeline(procs, ['timestamp', 'jitter']))).toEqual([]);
  });

  it('rejects a template rewrite after batch_splitter, which packs by size', () => {
    for (const [id, body] of [['resource', RESOURCE], ['attributes', ATTRIBUTES], ['cardinality', CARDINALITY]] as const) {
      const procs = { batch_splitter: {}, [id]: body };
      expectProblem(problemsOf(dir, pipeline(procs, ['batch_splitter', id])), `${AT}[1]`, new RegExp(`^"${id}" must come before "batch_splitter": `));
      expect(problemsOf(dir, pipeline(procs, [id, 'batch_splitter']))).toEqual([]);
    }
  });

  it('rejects resource or attributes after cardinality, which would overwrite the values it varies', () => {
    const procs = { cardinality: CARDINALITY, resource: RESOURCE };
    expectProblem(problemsOf(dir, pipeline(procs, ['cardinality', 'resource'])), `${AT}[1]`,
      '"resource" must come before "cardinality": it could overwrite the values cardinality varies; put cardinality after it');
    expect(problemsOf(dir, pipeline(procs, ['resource', 'cardinality']))).toEqual([]);
  });

  it('allows several attributes and resource processors, but one of each other type', () => {
    const procs = { 'attributes/a': ATTRIBUTES, 'attributes/b': ATTRIBUTES, 'resource/a': RESOURCE, 'resource/b': RESOURCE, ratelimit: { events_per_second: 5 }, 'ratelimit/b': { events_per_second: 5 } };
    const problems = problemsOf(dir, pipeline(procs, ['attributes/a', 'attributes/b', 'resource/a', 'resource/b', 'ratelimit', 'ratelimit/b']));
    expect(problems).toEqual([{ path: `${AT}[5]`, message: '"ratelimit/b" and "ratelimit" are both ratelimit processors; use one' }]);
  });
});

describe('attributes, resource and cardinality settings', () => {
  it('take the Collector\'s action shape and report every bad action by its key path', () => {
    const procs = { attributes: { actions: [
      { key: 'a', action: 'upsert' },
      { key: 'b', action: 'hash' },
      { key: '', action: 'insert', value: 1 },
      { key: 'c', action: 'delete', value: 'x' },
      { key: 'd', action: 'upsert', value: { nested: true } },
      { key: 'e', action: 'upsrt', value: 1 },
      { key: 'f', action: 'insert', value: 2, pattern: 'x' },
    ] } };
    const problems = problemsOf(dir, pipeline(procs, ['attributes']));
    const at = 'processors.attributes.actions';
    expectProblem(problems, `${at}[0].value`, 'is required for upsert');
    expectProblem(problems, `${at}[1].action`, '"hash" is not supported; use one of insert, update, upsert, delete');
    expectProblem(problems, `${at}[2].key`, 'must not be empty');
    expectProblem(problems, `${at}[3].value`, 'is not used by delete; remove it');
    expectProblem(problems, `${at}[4].value`, 'must be a string, number or boolean, got a mapping');
    expectProblem(problems, `${at}[5].action`, /^must be one of insert, update, upsert, delete, got "upsrt" \(did you mean "upsert"\?\)/);
    expectProblem(problems, `${at}[6].pattern`, /^unknown key "pattern"/);
    expectProblem(problemsOf(dir, pipeline({ resource: {} }, ['resource'])), 'processors.resource.attributes', 'is required');
    expectProblem(problemsOf(dir, pipeline({ resource: { attributes: [] } }, ['resource'])), 'processors.resource.attributes', /^must be a non-empty list/);
  });

  it('cardinality needs an attribute and a positive whole number of values', () => {
    const problems = problemsOf(dir, pipeline({ cardinality: { values: 0, scope: 'span' } }, ['cardinality']));
    expectProblem(problems, 'processors.cardinality.attribute', 'is required');
    expectProblem(problems, 'processors.cardinality.values', /^must be a positive integer/);
    expectProblem(problems, 'processors.cardinality.scope', /^must be one of resource, item, got "span"/);
  });
});
