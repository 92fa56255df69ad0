/**
 * id_regen: fresh trace and span ids every replay cycle. The new ids are derived from the
 * original ones (src/stamp/id-derive.ts), so a trace split across requests keeps one id
 * and correlated logs keep naming their spans.
 */
import type { ComponentConfig } from '../config/component.js';
import { anySignal, type ProcessorFactory } from './processor.js';

export type IdRegenConfig = ComponentConfig;

export const idRegenProcessor: ProcessorFactory<IdRegenConfig> = {
  type: 'id_regen',
  aliases: [],
  doc: 'Fresh trace and span ids every replay cycle; parent links, links and log correlation kept.',
  keys: {},
  repeatable: false,
  traits: ['new_ids'],
  order: [],
  parse(raw, ctx) {
    ctx.section(raw, this.keys);
    return { type: this.type, id: ctx.id };
  },
  describe: () => 'fresh trace and span ids every cycle',
  signalProblem: anySignal,
  create: () => ({
    compile(plan) {
      plan.idRegen = true;
    },
    cycle(stamp) {
      stamp.newIds();
    },
    send: null,
  }),
};
