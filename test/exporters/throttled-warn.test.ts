import { describe, expect, it } from 'vitest';
import { ThrottledWarn } from '../../src/exporters/throttled-warn.js';
import { memoryLogger } from './fake-endpoint.js';

describe('ThrottledWarn', () => {
  it('logs once per interval and counts what it suppressed', () => {
    const { log, lines } = memoryLogger();
    const w = new ThrottledWarn(log, 60_000);
    for (let i = 0; i < 5; i++) w.warn('rejected', { n: i }, 'rejected');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ n: 0, suppressed: 0, msg: 'rejected', level: 40 });
  });

  it('logs again after the interval with the suppressed count', async () => {
    const { log, lines } = memoryLogger();
    const w = new ThrottledWarn(log, 30);
    w.warn('a', {}, 'a');
    w.warn('a', {}, 'a');
    w.warn('a', {}, 'a');
    await new Promise((r) => setTimeout(r, 40));
    w.warn('a', {}, 'a');
    expect(lines.map((l) => JSON.parse(l).suppressed)).toEqual([0, 2]);
  });

  it('logs the first occurrence of each kind at once, whatever other kinds were logged', () => {
    const { log, lines } = memoryLogger();
    const w = new ThrottledWarn(log, 60_000);
    w.warn('rejected', {}, 'rejected');
    w.warn('rejected', {}, 'rejected');
    w.warn('failed:UNAVAILABLE', {}, 'failed');
    w.warn('failed:HTTP_503', {}, 'failed');
    w.warn('failed:UNAVAILABLE', {}, 'failed');
    expect(lines.map((l) => JSON.parse(l).msg)).toEqual(['rejected', 'failed', 'failed']);
  });
});
