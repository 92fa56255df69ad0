/**
 * What every component factory (receiver, processor, exporter) has in common, as in the
 * OpenTelemetry Collector: a type, a key table (docs and defaults), a parser that
 * validates, and a one-line description. Kinds add their own hooks on top (see
 * src/receivers/receiver.ts, src/processors/processor.ts, src/exporters/exporter.ts);
 * each kind has a registry (its folder's index.ts) that the config loader, `validate`,
 * the README reference and the pipeline builder all read.
 */
import type { ConfigProblem } from '../errors.js';
import type { Signal } from '../otlp/signals.js';
import { EnvReader } from './env.js';
import { Section, type KeyHints, type KeyTable } from './schema.js';

/** A validated component config: plain data (it crosses into worker threads), tagged by type. */
export interface ComponentConfig {
  /** The canonical type, never an alias. */
  readonly type: string;
  /** `type` or `type/name`, as written in the file. */
  readonly id: string;
}

/** Where a component's block is being parsed. */
export class ParseContext {
  constructor(
    readonly id: string,
    /** Key path of the block, e.g. `processors.ratelimit/slow`. */
    readonly path: string,
    /** Relative file paths resolve against the config file's folder. */
    readonly baseDir: string,
    readonly problems: ConfigProblem[],
    /** Variables a component reads by name (OTEL_*); tests and code-built configs get none. */
    readonly env: EnvReader = new EnvReader(),
    /** The signals of the pipelines that list this component (none when unused). */
    readonly signals: readonly Signal[] = [],
  ) {}

  /** The block read against a key table (unknown keys are reported, with `hints` where given). */
  section(raw: unknown, keys: KeyTable, hints?: KeyHints): Section {
    return new Section(raw, this.path, keys, this.problems, hints);
  }

  /** The same place with its own problem list (a component that parses a block more than once). */
  withProblems(problems: ConfigProblem[]): ParseContext {
    return new ParseContext(this.id, this.path, this.baseDir, problems, this.env, this.signals);
  }
}

export interface ComponentFactory<C extends ComponentConfig> {
  readonly type: string;
  /** Other spellings users paste from Collector configs (`otlp` for otlp_grpc). */
  readonly aliases: readonly string[];
  /** One line for the top-level reference: what the component does. */
  readonly doc: string;
  /** Its keys: validation, defaults and the README reference all come from here. */
  readonly keys: KeyTable;
  /** Reads and validates one block; problems go to `ctx.problems`, never thrown. */
  parse(raw: unknown, ctx: ParseContext): C;
  /** One line for `otel-replayd validate`; never prints header values. */
  describe(cfg: C): string;
  /** Why this component cannot serve a pipeline of `signal`, or undefined when it can. */
  signalProblem(cfg: C, signal: Signal): string | undefined;
}

/** A registry: factories by every name they answer to. */
export class Registry<F extends ComponentFactory<ComponentConfig>> {
  readonly #byName = new Map<string, F>();

  constructor(
    /** `receiver`, `processor`, `exporter`: for messages. */
    readonly kind: string,
    readonly factories: readonly F[],
  ) {
    for (const f of factories) {
      for (const name of [f.type, ...f.aliases]) {
        if (this.#byName.has(name)) throw new Error(`${kind} type "${name}" is registered twice`);
        this.#byName.set(name, f);
      }
    }
  }

  /** Every type and alias a config may use. */
  get names(): string[] {
    return [...this.#byName.keys()];
  }

  find(name: string): F | undefined {
    return this.#byName.get(name);
  }

  /** The factory of a parsed config; a type it does not know is a programming error. */
  of(cfg: ComponentConfig): F {
    const f = this.#byName.get(cfg.type);
    if (!f) throw new TypeError(`no ${this.kind} factory for type "${cfg.type}"`);
    return f;
  }
}
