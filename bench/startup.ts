/**
 * Start-up, for `npm run bench` (called from bench/run.ts):
 *
 * 1. load and compile speed: the template read and checked (`loadTemplate`), then
 *    compiled into 3 MiB frames as the bench's daemon config does, in this process;
 *    best of three, in MB of template per second, by the clock and by this process's
 *    CPU time (which a busy machine inflates less: it leaves out time spent waiting for
 *    a core, though not a slower cache);
 * 2. time to first request: the daemon spawned as a child process with the template,
 *    sending over OTLP/HTTP to an endpoint in this process that notes when the first
 *    request arrives. Measured from just before the spawn, so it includes Node's own
 *    start, the config, the worker thread, loading and compiling.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { statSync } from 'node:fs';
import { compile } from '../src/compile/compile.js';
import { loadTemplate } from '../src/receivers/template.js';
import { spawnJsonLines } from './child-process.js';
import { writeDaemonConfig } from './daemon-config.js';

export interface StartupBench {
  templateMb: number;
  /** Best of three, MB of template per second: by the clock, and by CPU time (all of this process's threads, GC included). */
  loadMbPerSec: number;
  compileMbPerSec: number;
  loadCpuMbPerSec: number;
  compileCpuMbPerSec: number;
  /** From just before the spawn. */
  pipelineStartedSeconds: number;
  firstRequestSeconds: number;
}

/** What a load-and-compile measurement runs: this build's functions, or another build's (bench/baseline.ts). */
export interface CompileModules {
  loadTemplate: typeof loadTemplate;
  compile: typeof compile;
}

export interface CompileTimes {
  load: number;
  compile: number;
  loadCpu: number;
  compileCpu: number;
}

const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** One load and one compile of `template` as the bench's daemon config compiles it, in ms: by the clock and by CPU time. */
export async function loadAndCompile(template: string, mods: CompileModules = { loadTemplate, compile }): Promise<CompileTimes> {
  const t0 = performance.now(), c0 = cpuMs();
  const data = await mods.loadTemplate(template, 'traces');
  const t1 = performance.now(), c1 = cpuMs();
  mods.compile([data], { idRegen: true, timestamps: true, maxItems: 1_000_000, maxBytes: 3 * 1024 * 1024, encodings: ['proto'] });
  const t2 = performance.now(), c2 = cpuMs();
  return { load: t1 - t0, compile: t2 - t1, loadCpu: c1 - c0, compileCpu: c2 - c1 };
}

/** Best of `runs`, each figure on its own. */
async function compileSpeed(template: string, runs: number): Promise<CompileTimes> {
  const best: CompileTimes = { load: Infinity, compile: Infinity, loadCpu: Infinity, compileCpu: Infinity };
  for (let i = 0; i < runs; i++) {
    const t = await loadAndCompile(template);
    for (const k of Object.keys(best) as (keyof CompileTimes)[]) best[k] = Math.min(best[k], t[k]);
  }
  return best;
}

/** Spawns the daemon against an endpoint here; resolves with seconds from spawn to "pipeline started" and to the first request. */
async function firstRequest(cli: string, dir: string, template: string): Promise<{ started: number; first: number }> {
  let firstAt: number | undefined;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    firstAt ??= performance.now();
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/x-protobuf', 'content-length': 0 }).end());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const cfg = writeDaemonConfig(dir, {
    name: 'startup', template, seconds: 1, telemetry: 'metrics: { address: none }',
    processors: ['id_regen: {}', 'timestamp: {}', 'batch_splitter: { max_items: 1000000, max_bytes: 3MiB }'],
    exporter: `otlp_http: { endpoint: http://127.0.0.1:${port} }`,
  });
  try {
    const t0 = performance.now();
    const d = spawnJsonLines([cli, '--config', cfg], { inheritStderr: true });
    const startedLine = d.waitFor((l) => l.msg === 'pipeline started', 600_000).then(() => performance.now());
    const code = await d.exited;
    if (code !== 0 || firstAt === undefined) throw new Error(`the start-up daemon exited ${code} ${firstAt === undefined ? 'without sending' : ''}`);
    return { started: ((await startedLine) - t0) / 1000, first: (firstAt - t0) / 1000 };
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
}

export async function runStartupBench(cli: string, dir: string, template: string, runs = 3): Promise<StartupBench> {
  const templateMb = statSync(template).size / 1e6;
  const speed = await compileSpeed(template, runs);
  const times = await firstRequest(cli, dir, template);
  return {
    templateMb,
    loadMbPerSec: templateMb / (speed.load / 1000),
    compileMbPerSec: templateMb / (speed.compile / 1000),
    loadCpuMbPerSec: templateMb / (speed.loadCpu / 1000),
    compileCpuMbPerSec: templateMb / (speed.compileCpu / 1000),
    pipelineStartedSeconds: times.started,
    firstRequestSeconds: times.first,
  };
}

export function formatStartupBench(r: StartupBench): string {
  return `start-up, ${r.templateMb.toFixed(0)} MB template: first request ${r.firstRequestSeconds.toFixed(2)} s after spawn`
    + ` (pipeline started at ${r.pipelineStartedSeconds.toFixed(2)} s); load ${r.loadMbPerSec.toFixed(0)} MB/s, compile ${r.compileMbPerSec.toFixed(0)} MB/s (best of 3, in process;`
    + ` by CPU time: load ${r.loadCpuMbPerSec.toFixed(0)} MB/s, compile ${r.compileCpuMbPerSec.toFixed(0)} MB/s)`;
}
