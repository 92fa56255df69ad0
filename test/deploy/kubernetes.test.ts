/**
 * The Kubernetes manifests, checked offline: against the Kubernetes schema (the
 * kubernetes-models validators: types, formats, required fields), for unknown fields
 * (kubectl's strict field validation rejects them; the schema allows them, so the
 * manifests are type-checked against the same models' TypeScript types), against the
 * restricted Pod Security profile, and their embedded configs with `validate`, run with
 * the environment Kubernetes gives the first pod.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { packageRoot } from '../../src/package-root.js';
import { cliKilledAfterEach, tempDir, writeConfig } from '../helpers/daemon.js';

const runCli = cliKilledAfterEach();
const DIR = join(packageRoot(), 'deploy', 'kubernetes');
const FILES = readdirSync(DIR).filter((f) => f.endsWith('.yaml')).sort();

type Obj = Record<string, any>;

function manifests(file: string): Obj[] {
  return parseAllDocuments(readFileSync(join(DIR, file), 'utf8')).map((d) => {
    expect(d.errors).toEqual([]);
    return d.toJS() as Obj;
  });
}

const ALL = FILES.flatMap((file) => manifests(file).map((m) => ({ file, m })));
const workloads = ALL.filter(({ m }) => m.kind === 'Job' || m.kind === 'StatefulSet');

/** The pod template's containers, sidecars (native, in initContainers) included. */
function containers(w: Obj): Obj[] {
  const spec = w.spec.template.spec;
  return [...(spec.initContainers ?? []), ...spec.containers];
}

/** The ConfigMap mounted at /etc/otel-replayd in `w`, from the same file. */
function configMapOf(file: string, w: Obj): Obj {
  const volume = w.spec.template.spec.volumes.find((v: Obj) => v.configMap);
  return ALL.find(({ file: f, m }) => f === file && m.kind === 'ConfigMap' && m.metadata.name === volume.configMap.name)!.m;
}

describe('deploy/kubernetes', () => {
  it('has an Indexed Job and a StatefulSet', () => {
    expect(FILES).toEqual(['job.yaml', 'statefulset.yaml']);
    expect(workloads.map(({ m }) => m.kind).sort()).toEqual(['Job', 'StatefulSet']);
    expect(workloads.find(({ m }) => m.kind === 'Job')!.m.spec.completionMode).toBe('Indexed');
  });

  it.each(ALL.map(({ file, m }) => [`${file}: ${m.kind} ${m.metadata.name}`, m] as const))('%s is valid against the Kubernetes schema', async (_name, m) => {
    const models = (await import(`kubernetes-models/${m.apiVersion}`)) as Record<string, new (data: Obj) => { validate(): void }>;
    const Model = models[m.kind];
    expect(Model, `${m.apiVersion} ${m.kind}`).toBeDefined();
    expect(() => new Model!(m).validate()).not.toThrow();
  });

  it('has no unknown or misplaced fields (type-checked against the models)', () => {
    const file = join(packageRoot(), 'test', 'deploy', '__manifests__.ts');
    const source = ALL.map(({ m }, i) =>
      `import type { I${m.kind} as T${i} } from 'kubernetes-models/${m.apiVersion}/${m.kind}';\nexport const m${i}: T${i} = ${JSON.stringify(m)};`).join('\n');
    const options: ts.CompilerOptions = { strict: true, noEmit: true, module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler, target: ts.ScriptTarget.ES2022, types: [], skipLibCheck: true };
    const host = ts.createCompilerHost(options);
    const read = host.getSourceFile.bind(host);
    host.getSourceFile = (name, lang, ...rest) => (name === file ? ts.createSourceFile(name, source, lang) : read(name, lang, ...rest));
    const fileExists = host.fileExists.bind(host);
    host.fileExists = (name) => name === file || fileExists(name);
    const program = ts.createProgram([file], options, host);
    const problems = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    expect(problems).toEqual([]);
  }, 60_000);

  it.each(workloads.map(({ file, m }) => [`${file}: ${m.kind}`, m] as const))('%s meets the restricted Pod Security profile', (_name, w) => {
    const pod = w.spec.template.spec;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
    for (const v of pod.volumes) expect(Object.keys(v).filter((k) => k !== 'name'), v.name).toEqual([expect.stringMatching(/^(configMap|emptyDir)$/)]);
    for (const c of containers(w)) {
      expect(c.securityContext, c.name).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] } });
      expect(c.resources.requests, c.name).toMatchObject({ cpu: expect.anything(), memory: expect.anything() });
      expect(c.resources.limits, c.name).toMatchObject({ cpu: expect.anything(), memory: expect.anything() });
      for (const mount of c.volumeMounts ?? []) expect(mount.subPath, `${c.name}: subPath mounts get no ConfigMap updates`).toBeUndefined();
    }
  });

  it.each(workloads.map(({ file, m }) => [`${file}: ${m.kind}`, m] as const))('%s reloads on a ConfigMap change: a sidecar that signals the daemon, in a shared process namespace', (_name, w) => {
    const pod = w.spec.template.spec;
    expect(pod.shareProcessNamespace).toBe(true);
    const reloader = pod.initContainers.find((c: Obj) => c.name === 'config-reloader');
    // A native sidecar: it must not keep a Job's pod from completing.
    expect(reloader.restartPolicy).toBe('Always');
    expect(reloader.args.join('\n')).toMatch(/kill -HUP/);
    const replayd = pod.containers.find((c: Obj) => c.name === 'replayd');
    for (const c of [reloader, replayd]) expect(c.volumeMounts).toContainEqual({ name: 'config', mountPath: '/etc/otel-replayd', readOnly: true });
  });

  it('keeps the replica count in one agreement per workload: Job completions = parallelism = OTEL_REPLAYD_REPLICAS; StatefulSet replicas = service.replicas.count', () => {
    const job = workloads.find(({ m }) => m.kind === 'Job')!.m;
    const env = job.spec.template.spec.containers[0].env as Obj[];
    expect(job.spec.parallelism).toBe(job.spec.completions);
    expect(env.find((e) => e.name === 'OTEL_REPLAYD_REPLICAS')!.value).toBe(String(job.spec.completions));
    const { file, m: sts } = workloads.find(({ m }) => m.kind === 'StatefulSet')!;
    const cfg = parseAllDocuments(configMapOf(file, sts).data['config.yaml'])[0]!.toJS() as Obj;
    expect(cfg.service.replicas.count).toBe(sts.spec.replicas);
  });

  it.each(workloads.map(({ file, m }) => [file, m] as const))('%s: the embedded config passes validate as the first pod would run it', async (file, w) => {
    const pod = w.spec.template.spec;
    const replayd = pod.containers.find((c: Obj) => c.name === 'replayd');
    // The environment Kubernetes gives pod 0: the container's variables, the Job index, the pod's name.
    const env: Record<string, string> = { HOSTNAME: `${w.metadata.name}-0`, START_AT: '' };
    if (w.kind === 'Job') env.JOB_COMPLETION_INDEX = '0';
    for (const e of replayd.env as Obj[]) env[e.name] = e.value ?? 'from-downward-api';
    // The image keeps the package at /app: point that at this checkout, templates included.
    const yaml = (configMapOf(file, w).data['config.yaml'] as string).replaceAll('/app/', `${packageRoot()}/`);
    const d = runCli(['validate', '--config', writeConfig(tempDir(), yaml)], { env });
    expect(await d.exited, d.stderr()).toBe(0);
    const out = d.lines.map((l) => l.msg).join('\n');
    expect(out).toMatch(/config is valid/);
    expect(out).toMatch(/replica 0 of 4/);
    expect(out).toMatch(/templates loaded:\n  traces: \d+ spans/);
  }, 60_000);
});
