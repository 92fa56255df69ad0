import { mkdirSync, readdirSync, statSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CompileOptions } from '../../src/compile/compile.js';
import type { FrameFile } from '../../src/compile/frame-file.js';
import { requestType } from '../../src/otlp/proto.js';
import { templateChunks } from '../../src/receivers/template-chunks.js';
import { type FrameCacheRequest, frameCacheKey, frameCachePath, openFrameCache } from '../../src/worker/frame-cache.js';
import { memoryLogger } from '../exporters/fake-endpoint.js';
import { tempFiles } from '../helpers/files.js';
import { tracesRequest } from '../helpers/templates.js';

const files = tempFiles('otel-replayd-frame-cache-');
const OPTS: CompileOptions = { idRegen: true, timestamps: true, maxItems: 50, encodings: ['proto'] };
const LOAD = { relativeTimes: true };

const opened: FrameFile[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((f) => f.close()));
});

function template(traces: number): string {
  return files.file('traces.pb', requestType('traces').encode(tracesRequest({ traces, spansPerTrace: 3 })).finish());
}

/** A cache request for `file` as the worker makes it (the file's size and mtime read now). */
function request(file: string, cacheDir: string, over: Partial<FrameCacheRequest> = {}): FrameCacheRequest & { lines: string[] } {
  const { log, lines } = memoryLogger();
  const st = statSync(file);
  return {
    template: { file, size: st.size, mtimeMs: st.mtimeMs, cacheDir, chunkBytes: 1 << 20, chunks: () => templateChunks(file, 'traces', LOAD, 1 << 20) },
    signal: 'traces', options: OPTS, load: LOAD, rewriteKey: '', log, speaks: true, lines, ...over,
  };
}

async function openIt(r: FrameCacheRequest): Promise<FrameFile> {
  const f = await openFrameCache(r);
  opened.push(f);
  return f;
}

const said = (lines: string[], msg: string): number => lines.filter((l) => JSON.parse(l).msg === msg).length;
const cacheFiles = (dir: string): string[] => readdirSync(dir).filter((f) => f.endsWith('.frames'));

describe('frame cache', () => {
  it('compiles a template once and reuses its frame file on the next start, untouched', async () => {
    const file = template(30);
    const dir = join(files.dir, 'reuse');
    const first = request(file, dir);
    const a = await openIt(first);
    expect(said(first.lines, 'template compiled into the frame cache')).toBe(1);
    const [cached] = cacheFiles(dir);
    const mtime = statSync(join(dir, cached!)).mtimeMs;
    const second = request(file, dir);
    const b = await openIt(second);
    expect(said(second.lines, 'template compiled into the frame cache')).toBe(0);
    expect(said(second.lines, 'template frames reused from the cache')).toBe(1);
    expect(statSync(join(dir, cached!)).mtimeMs).toBe(mtime);
    expect(b.frameCount).toBe(a.frameCount);
    expect(b.meta.totalEvents).toBe(90);
  });

  it('builds a new frame file when the template changes (removing the old one) or the compile options do (keeping it)', async () => {
    const file = template(30);
    const dir = join(files.dir, 'invalidate');
    await openIt(request(file, dir));
    writeFileSync(file, requestType('traces').encode(tracesRequest({ traces: 40, spansPerTrace: 3 })).finish());
    // Same size and a later mtime would do as well: both name the file's version.
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    const changed = request(file, dir);
    const f = await openIt(changed);
    expect(said(changed.lines, 'template compiled into the frame cache')).toBe(1);
    expect(said(changed.lines, 'removed the frame file of an earlier version of the template')).toBe(1);
    expect(cacheFiles(dir)).toHaveLength(1);
    expect(f.meta.totalEvents).toBe(120);
    const split = request(file, dir, { options: { ...OPTS, maxItems: 10 } });
    const g = await openIt(split);
    expect(said(split.lines, 'template compiled into the frame cache')).toBe(1);
    expect(g.frameCount).toBeGreaterThan(f.frameCount);
    // Other options of the same template version are kept: another pipeline may use them.
    expect(said(split.lines, 'removed the frame file of an earlier version of the template')).toBe(0);
    expect(cacheFiles(dir)).toHaveLength(2);
  });

  it('rebuilds a truncated frame file, with a warning', async () => {
    const file = template(30);
    const dir = join(files.dir, 'truncated');
    await openIt(request(file, dir));
    const path = join(dir, cacheFiles(dir)[0]!);
    truncateSync(path, statSync(path).size - 10);
    const again = request(file, dir);
    const f = await openIt(again);
    const warn = again.lines.map((l) => JSON.parse(l)).find((l) => l.msg === 'frame cache file is unusable: rebuilding it');
    expect(warn).toMatchObject({ level: 40, cache: path });
    expect(said(again.lines, 'template compiled into the frame cache')).toBe(1);
    expect(f.meta.totalEvents).toBe(90);
  });

  it('rebuilds a file that is not a frame file at all, with a warning', async () => {
    const file = template(30);
    const dir = join(files.dir, 'garbage');
    await openIt(request(file, dir));
    const path = join(dir, cacheFiles(dir)[0]!);
    writeFileSync(path, Buffer.alloc(4096, 0x41));
    const again = request(file, dir);
    expect((await openIt(again)).meta.totalEvents).toBe(90);
    expect(said(again.lines, 'frame cache file is unusable: rebuilding it')).toBe(1);
  });

  it('takes over the lock and the half-written file of a build that died (its process gone, or our pid in an earlier life)', async () => {
    const file = template(30);
    for (const owner of [`${2 ** 22 + 12345}`, `${process.pid} ${Date.now() - 3_600_000}`]) {
      const dir = join(files.dir, `dead-${owner.length}`);
      const r = request(file, dir);
      const path = frameCachePath(r, frameCacheKey(r));
      mkdirSync(dir, { recursive: true });
      writeFileSync(`${path}.lock`, owner);
      writeFileSync(`${path}.1-1.partial`, 'half');
      expect((await openIt(r)).meta.totalEvents).toBe(90);
      expect(readdirSync(dir)).toEqual([basename(path)]);
    }
  });

  it('fails with ERR_TEMPLATE_CACHE naming the folder when the cache folder cannot be created', async () => {
    const file = template(3);
    const blocker = files.file('not-a-folder', 'x');
    await expect(openFrameCache(request(file, join(blocker, 'cache')))).rejects.toMatchObject({
      code: 'ERR_TEMPLATE_CACHE', message: expect.stringContaining(`cannot create the frame cache folder ${join(blocker, 'cache')}`),
    });
  });

  it('builds once when several workers start at the same time: the others wait for the file', async () => {
    const file = template(300);
    const dir = join(files.dir, 'workers');
    const reqs = [0, 1, 2].map(() => request(file, dir));
    const files3 = await Promise.all(reqs.map((r) => openIt(r)));
    expect(reqs.reduce((n, r) => n + said(r.lines, 'template compiled into the frame cache'), 0)).toBe(1);
    expect(files3.map((f) => f.meta.totalEvents)).toEqual([900, 900, 900]);
    expect(readdirSync(dir)).toEqual(cacheFiles(dir));
  });
});
