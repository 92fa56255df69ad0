import type { PipelineState } from './source.js';

const TERMINAL: ReadonlySet<PipelineState> = new Set(['stopped', 'failed']);

export function isTerminal(state: PipelineState): boolean {
  return TERMINAL.has(state);
}
