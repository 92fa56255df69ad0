import { runPage } from './run-page.js';
import type { Cursor, RunRecorder } from './run-recorder.js';

export interface DashboardReply {
  contentType: string;
  body: string;
}

/**
 * The live dashboard, served beside /metrics: `/` is the run view's page and `/api/run`
 * the recorder's data, which the page polls every second with the cursor of what it holds
 * (`?epoch=E&seq=S`), so each poll carries only the newest points.
 */
export class Dashboard {
  static readonly PATHS: ReadonlySet<string> = new Set(['/', '/api/run']);
  readonly #recorder: RunRecorder;
  #page: string | undefined;

  constructor(recorder: RunRecorder) {
    this.#recorder = recorder;
  }

  reply(path: string, query: URLSearchParams): DashboardReply | undefined {
    if (path === '/') return { contentType: 'text/html; charset=utf-8', body: (this.#page ??= runPage()) };
    if (path === '/api/run') return { contentType: 'application/json', body: JSON.stringify(this.#recorder.data(cursorOf(query))) };
    return undefined;
  }
}

/** A cursor only when both numbers are given and sane; anything else gets the whole series. */
function cursorOf(query: URLSearchParams): Cursor | undefined {
  const epoch = Number(query.get('epoch') ?? NaN);
  const seq = Number(query.get('seq') ?? NaN);
  return Number.isSafeInteger(epoch) && epoch >= 0 && Number.isSafeInteger(seq) && seq >= 0 ? { epoch, seq } : undefined;
}
