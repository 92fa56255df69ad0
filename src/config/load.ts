/**
 * YAML text → validated, normalized `ReplaydConfig`. Every problem in the file is
 * collected and thrown at once as one ConfigError, so a user fixes a config in one pass.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { ConfigError, type ConfigProblem } from '../errors.js';
import type { PipelineConfig, ReplaydConfig } from './types.js';
import type { Signal } from '../otlp/signals.js';
import { EnvReader, EnvValues, expandEnv, type Env } from './env.js';
import { EXPORTERS } from '../exporters/index.js';
import { PROCESSORS } from '../processors/index.js';
import { RECEIVERS } from '../receivers/index.js';
import { ParseContext, type ComponentConfig, type ComponentFactory, type Registry } from './component.js';
import { EXTENSION_TYPES, parseRecorder, parseSink } from './extensions.js';
import { checkPipelines } from './pipelines.js';
import { Section, asMapping, didYouMean, joinPath, parseComponentId, type KeyTable } from './schema.js';
import type { ReplicaFlag } from './replicas.js';
import { parseService } from './service.js';

export { describeConfig } from './describe.js';
export { resolvePipelines } from './resolve.js';

const typeList = (r: Registry<ComponentFactory<ComponentConfig>>): string =>
  r.factories.map((f) => [f.type, ...f.aliases.map((a) => `alias ${a}`)].join(', ')).join('; ');

export const TOP_LEVEL_KEYS: KeyTable = {
  receivers: { doc: `Where events come from, as type/name: ${typeList(RECEIVERS)}.` },
  processors: { doc: `What happens to them, in the order a pipeline lists them: ${typeList(PROCESSORS)}.` },
  exporters: { doc: `Where they go: ${typeList(EXPORTERS)}.` },
  extensions: { doc: 'sink: a built-in OTLP receiver that counts what arrives; recorder: one that records it into templates.' },
  service: { doc: 'Pipelines, run length and the daemon\'s own telemetry.', required: true },
};

/** Aliases are a resource-exhaustion vector ("billion laughs"); real configs use a handful. */
const MAX_ALIASES = 100;

/** `--config -`: the config comes from standard input; relative paths in it resolve against the current folder. */
export const STDIN = '-';
const STDIN_NAME = '<stdin>';
/** The name of a config that `send` built from its flags; relative paths in it resolve against the current folder. */
export const FROM_FLAGS = '<send flags>';

/** What the command line overrides in a config. */
export interface ConfigOverrides {
  /** --replica I/N: replaces service.replicas. */
  replica?: ReplicaFlag;
}

/** Parses and validates config text; `file` resolves relative paths and names the file in errors. */
export function parseConfig(text: string, file: string, env: Env = process.env, overrides: ConfigOverrides = {}): ReplaydConfig {
  const inMemory = file === STDIN || file === FROM_FLAGS;
  const abs = file === STDIN ? STDIN_NAME : inMemory ? file : resolve(file);
  const problems: ConfigProblem[] = [];
  const tree = parseYaml(text, problems);
  if (problems.length > 0) throw new ConfigError(problems, abs);

  const fromEnv = new EnvValues();
  const vars = new EnvReader(env, fromEnv);
  const top = new Section(expandEnv(tree, env, problems, fromEnv), '', TOP_LEVEL_KEYS, problems);
  const baseDir = inMemory ? process.cwd() : dirname(abs);
  // Read first, so each component knows the signals it serves (exporters take per-signal
  // OTEL_* variables); its problems are reported last, where the section usually is.
  const serviceProblems: ConfigProblem[] = [];
  const service = parseService(top.value('service'), serviceProblems, env, overrides.replica);
  const context = (kind: 'receivers' | 'processors' | 'exporters', id: string, path: string): ParseContext =>
    new ParseContext(id, path, baseDir, problems, vars, signalsOf(service.pipelines, kind, id));
  const receivers: ReplaydConfig['receivers'] = {};
  const processors: ReplaydConfig['processors'] = {};
  const exporters: ReplaydConfig['exporters'] = {};
  const extensions: ReplaydConfig['extensions'] = {};
  for (const [id, factory, raw, path] of components(top, 'receivers', RECEIVERS, problems)) {
    receivers[id] = factory.parse(raw, context('receivers', id, path));
  }
  for (const [id, factory, raw, path] of components(top, 'processors', PROCESSORS, problems)) {
    processors[id] = factory.parse(raw, context('processors', id, path));
  }
  for (const [id, factory, raw, path] of components(top, 'exporters', EXPORTERS, problems)) {
    exporters[id] = factory.parse(raw, context('exporters', id, path));
  }
  const sections = asMapping(top.raw.extensions, 'extensions', problems) ?? {};
  for (const [id, raw] of Object.entries(sections)) {
    const path = joinPath('extensions', id);
    const type = parseComponentId(id)?.type;
    if (type === undefined) problems.push({ path, message: `invalid extension id "${id}": use type or type/name` });
    else if (!(EXTENSION_TYPES as readonly string[]).includes(type)) {
      problems.push({ path, message: `unknown extension type "${type}"${didYouMean(type, EXTENSION_TYPES)}; known: ${EXTENSION_TYPES.join(', ')}` });
    } else if (id !== type) {
      // The daemon runs one of each; a second sink would only fight over the same counters.
      problems.push({ path, message: `only one ${type} is supported: name it "${type}"` });
    } else if (type === 'sink') {
      extensions.sink = parseSink(raw, baseDir, path, problems);
    } else {
      extensions.recorder = parseRecorder(raw, baseDir, path, problems);
    }
  }
  problems.push(...serviceProblems);
  const cfg: ReplaydConfig = { file: abs, receivers, processors, exporters, extensions, service, fromEnv };
  checkPipelines(cfg, problems);
  // Values from ${env:...} may be secrets: messages show them as written.
  if (problems.length > 0) throw new ConfigError(fromEnv.hide(problems), abs);
  return cfg;
}

/** Reads and parses a config file (or stdin for `-`); a missing or unreadable file is a ConfigError too. */
export function loadConfig(file: string, env: Env = process.env, overrides: ConfigOverrides = {}): ReplaydConfig {
  if (file === STDIN) return parseConfig(readStdin(), STDIN, env, overrides);
  const abs = resolve(file);
  let text: string;
  try {
    text = readFileSync(abs, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : code === 'EISDIR' ? 'is a folder' : `cannot be read (${code ?? String(err)})`;
    throw new ConfigError([{ path: '', message: `config file ${abs} ${why}` }], abs, 'ERR_CONFIG_NOT_FOUND');
  }
  return parseConfig(text, abs, env, overrides);
}

function readStdin(): string {
  try {
    try {
      return readFileSync(0, 'utf8');
    } catch (err) {
      // fd 0 may be a non-blocking pipe inherited from the parent; a fresh open of it blocks.
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
      return readFileSync('/dev/stdin', 'utf8');
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new ConfigError([{ path: '', message: `standard input cannot be read (${code})` }], STDIN_NAME, 'ERR_CONFIG_NOT_FOUND');
  }
}

/** The signals of the pipelines that list component `id`, in file order, each once. */
function signalsOf(pipelines: Record<string, PipelineConfig>, kind: 'receivers' | 'processors' | 'exporters', id: string): Signal[] {
  const out = new Set<Signal>();
  for (const p of Object.values(pipelines)) if (p[kind].includes(id)) out.add(p.signal);
  return [...out];
}

function parseYaml(text: string, problems: ConfigProblem[]): unknown {
  const doc = parseDocument(text, { merge: true, uniqueKeys: true, prettyErrors: true });
  for (const e of doc.errors) {
    const at = e.linePos ? `line ${e.linePos[0].line}, column ${e.linePos[0].col}: ` : '';
    // The yaml package appends the offending source line; it may hold a secret, so drop it.
    const what = e.code === 'MULTIPLE_DOCS' ? 'the file must hold a single YAML document' : e.message.replace(/ at line \d+, column \d+:[\s\S]*$/, '');
    problems.push({ path: '', message: `YAML syntax error at ${at}${what}` });
  }
  if (problems.length > 0) return undefined;
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (err) {
    // toJS throws ReferenceError on an alias bomb and RangeError on pathological nesting.
    problems.push({ path: '', message: `YAML cannot be expanded: ${err instanceof ReferenceError ? `more than ${MAX_ALIASES} alias expansions` : (err as Error).message}` });
    return undefined;
  }
}

/** Each `type[/name]` entry of one top-level section with its factory; unknown types are reported. */
function* components<F extends ComponentFactory<ComponentConfig>>(
  top: Section,
  key: string,
  registry: Registry<F>,
  problems: ConfigProblem[],
): Generator<[id: string, factory: F, raw: unknown, path: string]> {
  const section = asMapping(top.raw[key], key, problems);
  if (!section) return;
  for (const [id, raw] of Object.entries(section)) {
    const path = joinPath(key, id);
    const parsed = parseComponentId(id);
    const factory = parsed && registry.find(parsed.type);
    if (!parsed) {
      problems.push({ path, message: `invalid ${registry.kind} id "${id}": use type or type/name` });
    } else if (!factory) {
      const names = registry.names;
      problems.push({ path, message: `unknown ${registry.kind} type "${parsed.type}"${didYouMean(parsed.type, names)}; known: ${names.join(', ')}` });
    } else {
      yield [id, factory, raw, path];
    }
  }
}
