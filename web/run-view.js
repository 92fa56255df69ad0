// @ts-check
/**
 * The run view. The live dashboard (which polls api/run every second) and the run report
 * (which reads the data embedded in its page) draw the same page from the same data, whose
 * shape is src/telemetry/run-data.ts, with the charts of view-kit.js (inlined before this).
 * Plain DOM and SVG, no library and no build step: it must work offline, in current
 * Chromium and Firefox.
 */
(() => {
  /**
   * @typedef {{ seq: number, t: number, sending_s: number, sent: number, failed: number, retries: number, sent_bytes: number,
   *   rate: number, failed_per_s: number, retries_per_s: number, mb_per_s: number, in_flight: number, rate_target: number | null,
   *   latency_p50_ms: number | null, latency_p99_ms: number | null, stage: number | null }} PipelinePoint
   * @typedef {{ step: number, phase: string, attempt: number, target_events_per_second: number, sent_events_per_second: number,
   *   window_ms: number, requests: number, failed_requests: number, retries: number, error_ratio: number,
   *   latency_p50_ms: number | null, latency_p99_ms: number | null, held: boolean, reasons: string[] }} CapacityStep
   * @typedef {{ step: number, phase: string, target_events_per_second: number, max_sustained_events_per_second: number,
   *   steps: CapacityStep[] }} CapacityRun
   * @typedef {{ pipeline: string, signal: string, unit: string, workers: number, state: string, now: PipelinePoint,
   *   rejected: number, dropped: number, capacity: CapacityRun | null, points: PipelinePoint[] }} PipelineRun
   * @typedef {{ traces: number, metrics: number, logs: number }} PerSignal
   * @typedef {{ seq: number, t: number, events: PerSignal, per_s: PerSignal }} SinkPoint
   * @typedef {{ requests: number, events: number, bytes: number, faultedRequests: number, invalidRequests: number, lateRequests: number }} SignalCounts
   * @typedef {{ counts: Record<string, SignalCounts>, now: SinkPoint, points: SinkPoint[] }} SinkRun
   * @typedef {{ run_id: string, replica: string | null, version: string, started_at: string, updated_at: string, elapsed_s: number,
   *   live: boolean, status: string, interval_s: number, epoch: number, seq: number, pipelines: PipelineRun[], sink: SinkRun | null,
   *   ended_at?: string, exit_code?: number, stop_reason?: string, summary?: Record<string, unknown>[],
   *   config?: { file: string, content: unknown } | null, replicas?: ReplicaRow[], missing_replicas?: number[] }} RunData
   * @typedef {{ file: string, replica: string | null, started_at: string, ended_at: string, exit_code: number, stop_reason: string,
   *   summary: Record<string, unknown>[] }} ReplicaRow
   */

  const { DASH, el, int, fixed, ms, clock, chart, tile, reshowTip } = ViewKit;
  const SIGNAL_COLORS = /** @type {Record<string, string>} */ ({ traces: 'var(--c1)', metrics: 'var(--c5)', logs: 'var(--c6)' });
  const POLL_MS = 1000;

  const app = /** @type {HTMLElement} */ (document.getElementById('app'));
  const meta = /** @type {HTMLElement} */ (document.getElementById('run-meta'));
  const badge = /** @type {HTMLElement} */ (document.getElementById('status'));

  // ---- sections ----------------------------------------------------------------------

  /**
   * @param {PipelineRun} p
   * @param {number} xMax
   * @param {Record<string, unknown>} [summary] the pipeline's summary line, in a report: its rate is the whole run's
   */
  function pipelineSection(p, xMax, summary) {
    const n = p.now;
    const pts = p.points;
    const xs = pts.map((x) => x.t);
    const col = (/** @type {(x: PipelinePoint) => number | null} */ f) => pts.map(f);
    const hasTarget = pts.some((x) => x.rate_target !== null) || n.rate_target !== null;
    const hasLatency = pts.some((x) => x.latency_p99_ms !== null) || n.latency_p99_ms !== null;
    const unit = `${p.unit}/s`;
    const tiles = el('div', { class: 'tiles' },
      summary
        ? tile(`Sent rate, whole run (${unit})`, 'rate', fixed(/** @type {number} */ (summary.rate), 1), hasTarget ? `target ${int(n.rate_target)}` : 'no ratelimit')
        : tile(`Sent rate (${unit})`, 'rate', int(n.rate), hasTarget ? `target ${int(n.rate_target)}` : 'no ratelimit'),
      tile(`Target (${unit})`, 'rate_target', int(n.rate_target)),
      tile(`Sent ${p.unit}`, 'sent', int(n.sent), `${fixed(n.sending_s, 1)} s sending`),
      tile('Failed', 'failed', int(n.failed), `rejected ${int(p.rejected)} \u00b7 dropped ${int(p.dropped)}`, { bad: n.failed > 0 }),
      tile('Retries', 'retries', int(n.retries), summary ? undefined : `${fixed(n.retries_per_s, 1)} /s`),
      tile('In flight', 'in_flight', int(n.in_flight), 'requests'),
      // A finished run's tiles show the whole run where its summary line has it, not the last window.
      summary && summary.latency_p50_ms !== undefined
        ? tile('Latency p50 / p99, whole run (ms)', 'latency', `${ms(/** @type {number | null} */ (summary.latency_p50_ms))} / ${ms(/** @type {number | null} */ (summary.latency_p99_ms))}`)
        : tile('Latency p50 / p99 (ms)', 'latency', `${ms(n.latency_p50_ms)} / ${ms(n.latency_p99_ms)}`),
      summary
        ? tile('Throughput, whole run (MB/s)', 'mb_per_s', fixed(/** @type {number} */ (summary.mb_per_s), 3), 'on the wire')
        : tile('Throughput (MB/s)', 'mb_per_s', fixed(n.mb_per_s, 2), 'on the wire'),
      p.capacity
        ? tile('Capacity step', 'stage', String(p.capacity.step), `${p.capacity.phase} \u00b7 target ${int(p.capacity.target_events_per_second)}`)
        : tile('Stage', 'stage', n.stage === null ? DASH : String(n.stage + 1), n.stage === null ? 'no stages' : 'of ratelimit.stages'));
    const charts = el('div', { class: 'charts' },
      chart({ title: `Sent vs target (${unit})`, field: 'rate', xs, xMax, format: int, lines: [
        { label: 'sent', color: 'var(--c1)', values: col((x) => x.rate) },
        ...(hasTarget ? [{ label: 'target', color: 'var(--c2)', dashed: true, values: col((x) => x.rate_target) }] : []),
      ] }),
      chart({ title: 'Failures and retries (per second)', field: 'failures', xs, xMax, format: (v) => fixed(v, 1), lines: [
        { label: `failed ${p.unit}/s`, color: 'var(--c3)', values: col((x) => x.failed_per_s) },
        { label: 'retries/s', color: 'var(--c4)', values: col((x) => x.retries_per_s) },
      ] }),
      chart({ title: 'Export latency (ms)', field: 'latency', xs, xMax, format: ms, empty: hasLatency ? undefined : 'not measured', lines: [
        { label: 'p50', color: 'var(--c5)', values: col((x) => x.latency_p50_ms) },
        { label: 'p99', color: 'var(--c6)', values: col((x) => x.latency_p99_ms) },
      ] }),
      chart({ title: 'Requests in flight (peak per point)', field: 'in_flight', xs, xMax, format: int, lines: [
        { label: 'in flight', color: 'var(--c4)', values: col((x) => x.in_flight) },
      ] }),
      chart({ title: 'Throughput (MB/s on the wire)', field: 'mb_per_s', xs, xMax, format: (v) => fixed(v, 2), lines: [
        { label: 'MB/s', color: 'var(--c5)', values: col((x) => x.mb_per_s) },
      ] }));
    const head = el('h2', {}, p.pipeline,
      el('span', { class: `badge ${p.state}`, 'data-field': 'state' }, p.state),
      el('span', { class: 'sub' }, `${p.signal} \u00b7 ${p.workers} worker${p.workers === 1 ? '' : 's'}`));
    return el('section', { 'data-pipeline': p.pipeline }, head, tiles, charts, ...(p.capacity ? [capacityBlock(p.capacity, p.unit)] : []));
  }

  /** @param {SinkRun} s @param {number} xMax @param {boolean} live */
  function sinkSection(s, xMax, live) {
    // Signals nothing was sent for would only add zeros.
    const active = Object.keys(s.counts).filter((sig) => {
      const c = /** @type {SignalCounts} */ (s.counts[sig]);
      return c.requests + c.faultedRequests + c.invalidRequests + c.lateRequests > 0;
    });
    const signals = active.length > 0 ? active : Object.keys(s.counts);
    const pts = s.points;
    const tiles = el('div', { class: 'tiles' }, ...signals.flatMap((sig) => {
      const c = /** @type {SignalCounts} */ (s.counts[sig]);
      const rate = s.now.per_s[/** @type {keyof PerSignal} */ (sig)];
      // A finished run's last window is its drain, when nothing arrives: the chart has the rates.
      return [tile(`${sig} received`, `${sig}.events`, int(c.events), live ? `${int(rate)} /s \u00b7 ${int(c.requests)} requests` : `${int(c.requests)} requests`,
        { bad: c.invalidRequests > 0 })];
    }), tile('Faulted / invalid / late requests', 'problems', signals.map((sig) => {
      const c = /** @type {SignalCounts} */ (s.counts[sig]);
      return c.faultedRequests + c.invalidRequests + c.lateRequests;
    }).reduce((a, b) => a + b, 0).toLocaleString('en-US')));
    const lines = signals.map((sig) => ({
      label: sig, color: SIGNAL_COLORS[sig] ?? 'var(--c2)', values: pts.map((x) => x.per_s[/** @type {keyof PerSignal} */ (sig)]),
    }));
    const charts = el('div', { class: 'charts' }, chart({ title: 'Received (events per second)', field: 'sink', xs: pts.map((x) => x.t), xMax, format: int, lines }));
    return el('section', { 'data-sink': '' }, el('h2', {}, 'Built-in sink', el('span', { class: 'sub' }, 'what the sink extension received and answered in time')), tiles, charts);
  }

  /**
   * A scrolling table: a column per [name, cell], a row per item; cells carry `data-col`
   * (their column's name) and columns named in `text` align left.
   * @template T
   * @param {[string, (x: T) => string][]} cols @param {T[]} items
   * @param {(x: T) => Record<string, string>} rowAttrs @param {Set<string>} [text]
   */
  function dataTable(cols, items, rowAttrs, text = new Set()) {
    const cls = (/** @type {string} */ name) => /** @type {Record<string, string>} */ (text.has(name) ? { class: 'text' } : {});
    return el('div', { class: 'scroll' }, el('table', {},
      el('thead', {}, el('tr', {}, ...cols.map(([name]) => el('th', cls(name), name)))),
      el('tbody', {}, ...items.map((x) => el('tr', rowAttrs(x), ...cols.map(([name, f]) => el('td', { 'data-col': name, ...cls(name) }, f(x))))))));
  }

  /** The summary lines of a finished run, one row per pipeline. @param {Record<string, unknown>[]} rows @param {boolean} merged */
  function summarySection(rows, merged) {
    const cols = /** @type {[string, (r: Record<string, unknown>) => string][]} */ ([
      ['pipeline', (r) => String(r.pipeline)],
      ['state', (r) => String(r.state)],
      ['sent', (r) => int(/** @type {number} */ (r.sent_spans ?? r.sent_points ?? r.sent_logs))],
      ['failed', (r) => int(/** @type {number} */ (r.failed))],
      ['rejected', (r) => int(/** @type {number} */ (r.rejected))],
      ['dropped', (r) => int(/** @type {number} */ (r.dropped))],
      ['retries', (r) => int(/** @type {number} */ (r.retries))],
      ['rate /s', (r) => fixed(/** @type {number} */ (r.rate), 1)],
      ['target /s', (r) => int(/** @type {number | null} */ (r.rate_target))],
      ['MB/s', (r) => fixed(/** @type {number} */ (r.mb_per_s), 3)],
      ['p50 ms', (r) => ms(/** @type {number | null} */ (r.latency_p50_ms))],
      ['p99 ms', (r) => ms(/** @type {number | null} */ (r.latency_p99_ms))],
      ['requests', (r) => int(/** @type {number} */ (r.sent_requests))],
      ['duration s', (r) => fixed(/** @type {number} */ (r.duration_s), 3)],
    ]);
    const table = dataTable(cols, rows, (r) => ({ 'data-summary': String(r.pipeline) }));
    return el('section', { 'data-summary-table': '' }, el('h2', {}, 'Summary', el('span', { class: 'sub' }, merged ? 'every replica\u2019s summary lines summed (latency: the highest replica\u2019s)' : 'the summary line of each pipeline at exit')), table);
  }

  /**
   * A merged report's replicas: each one's own summary line per pipeline, so an uneven
   * split or one failing replica shows beside the totals.
   * @param {ReplicaRow[]} rows @param {number[]} missing
   */
  function replicaSection(rows, missing) {
    /** @typedef {{ r: ReplicaRow, s: Record<string, unknown> }} Line */
    const cols = /** @type {[string, (x: Line) => string][]} */ ([
      ['replica', ({ r }) => r.replica ?? DASH],
      ['pipeline', ({ s }) => String(s.pipeline)],
      ['sent', ({ s }) => int(/** @type {number} */ (s.sent_spans ?? s.sent_points ?? s.sent_logs))],
      ['failed', ({ s }) => int(/** @type {number} */ (s.failed))],
      ['dropped', ({ s }) => int(/** @type {number} */ (s.dropped))],
      ['rate /s', ({ s }) => fixed(/** @type {number} */ (s.rate), 1)],
      ['target /s', ({ s }) => int(/** @type {number | null} */ (s.rate_target))],
      ['duration s', ({ s }) => fixed(/** @type {number} */ (s.duration_s), 3)],
      ['exit', ({ r }) => String(r.exit_code)],
      ['file', ({ r }) => r.file],
    ]);
    const lines = rows.flatMap((r) => r.summary.map((s) => ({ r, s })));
    const table = dataTable(cols, lines, ({ r, s }) => ({ 'data-replica': r.replica ?? '', 'data-pipeline-row': String(s.pipeline) }), new Set(['file']));
    const note = missing.length > 0 ? `no report for replica ${missing.join(', ')}: totals are of the replicas shown` : 'each replica\u2019s summary line';
    return el('section', { 'data-replicas': '' }, el('h2', {}, 'Replicas', el('span', { class: 'sub' }, note)), table);
  }

  const TEXT_COLUMNS = new Set(['phase', 'result']);

  /** A capacity search: the highest rate held so far (the result once it ended), and each step as evidence. @param {CapacityRun} c @param {string} unit */
  function capacityBlock(c, unit) {
    const cols = /** @type {[string, (s: CapacityStep) => string][]} */ ([
      ['step', (s) => String(s.step)],
      ['phase', (s) => s.phase],
      ['attempt', (s) => String(s.attempt)],
      [`target ${unit}/s`, (s) => int(s.target_events_per_second)],
      [`sent ${unit}/s`, (s) => int(s.sent_events_per_second)],
      ['window s', (s) => fixed(s.window_ms / 1000, 1)],
      ['p50 ms', (s) => ms(s.latency_p50_ms)],
      ['p99 ms', (s) => ms(s.latency_p99_ms)],
      ['errors', (s) => `${fixed(100 * s.error_ratio, 1)} %`],
      ['result', (s) => (s.held ? 'held' : `failed: ${s.reasons.join('; ')}`)],
    ]);
    return el('div', { 'data-capacity': '' },
      el('h3', {}, 'Capacity search'),
      el('div', { class: 'tiles' },
        tile(`Highest rate held (${unit}/s)`, 'max_sustained_events_per_second', int(c.max_sustained_events_per_second), 'for a whole window'),
        tile('Steps measured', 'steps', String(c.steps.length), `${c.steps.filter((s) => s.held).length} held`)),
      dataTable(cols, c.steps, (s) => ({ 'data-step': String(s.step) }), TEXT_COLUMNS));
  }

  /** @param {{ file: string, content: unknown }} config */
  function configSection(config) {
    return el('section', { 'data-config': '' },
      el('h2', {}, 'Config', el('span', { class: 'sub' }, `${config.file} \u00b7 header values and \${env:\u2026} values are never shown`)),
      el('pre', {}, JSON.stringify(config.content, null, 2)));
  }

  // ---- the page ----------------------------------------------------------------------

  /** @param {RunData} d @param {string} status */
  function render(d, status) {
    // A live page starts with ten seconds of room rather than stretching its first points across.
    const xMax = Math.max(d.elapsed_s, ...d.pipelines.map((p) => p.points.at(-1)?.t ?? 0), d.live ? 10 : 1);
    const summaries = new Map((d.summary ?? []).map((r) => [String(r.pipeline), r]));
    const sections = [...d.pipelines.map((p) => pipelineSection(p, xMax, summaries.get(p.pipeline)))];
    if (d.sink) sections.push(sinkSection(d.sink, xMax, d.live));
    if (d.summary && d.summary.length > 0) sections.push(summarySection(d.summary, d.replicas !== undefined));
    if (d.replicas) sections.push(replicaSection(d.replicas, d.missing_replicas ?? []));
    if (d.config) sections.push(configSection(d.config));
    if (sections.length === 0) sections.push(el('p', { class: 'muted' }, 'No pipeline has reported yet.'));
    app.replaceChildren(...sections);
    // Which sample the page shows, so a reader (or a test) can tell an update happened.
    app.dataset.seq = String(d.seq);
    const started = new Date(d.started_at);
    const parts = [`run ${d.run_id}`, ...(d.replicas ? [`${d.replicas.length} replicas merged`] : []), `started ${started.toLocaleString()}`, `${clock(d.elapsed_s)} elapsed`, `v${d.version}`];
    if (d.stop_reason) parts.push(`stopped: ${d.stop_reason}`);
    if (d.exit_code !== undefined) parts.push(`exit ${d.exit_code}`);
    if (d.interval_s > 1) parts.push(`one point per ${d.interval_s} s`);
    meta.textContent = parts.join(' \u00b7 ');
    badge.textContent = status;
    badge.className = `badge ${status}`;
    document.title = `${d.live ? 'otel-replayd live' : 'otel-replayd run report'} \u00b7 ${d.pipelines.map((p) => p.pipeline).join(', ')}`;
    reshowTip();
  }

  /** Adds the points of an incremental answer to what the page holds. @param {RunData | undefined} held @param {RunData} next */
  function merge(held, next) {
    if (!held || held.epoch !== next.epoch) return next;
    const before = new Map(held.pipelines.map((p) => [p.pipeline, p.points]));
    for (const p of next.pipelines) p.points = [...(before.get(p.pipeline) ?? []), ...p.points];
    if (next.sink) next.sink.points = [...(held.sink?.points ?? []), ...next.sink.points];
    return next;
  }

  async function poll() {
    /** @type {RunData | undefined} */
    let held;
    for (;;) {
      const started = Date.now();
      try {
        const query = held ? `?epoch=${held.epoch}&seq=${held.seq}` : '';
        const res = await fetch(`api/run${query}`, { cache: 'no-store' });
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        const next = /** @type {RunData} */ (await res.json());
        // A daemon started again on the same address is another run: its points start over.
        if (held && next.run_id !== held.run_id) {
          held = undefined;
          continue;
        }
        held = merge(held, next);
        render(held, held.status);
      } catch {
        if (held) render(held, 'disconnected');
        else badge.textContent = 'disconnected';
      }
      await new Promise((r) => setTimeout(r, Math.max(100, POLL_MS - (Date.now() - started))));
    }
  }

  const embedded = document.getElementById('run-data');
  if (embedded) {
    const d = /** @type {RunData} */ (JSON.parse(embedded.textContent ?? '{}'));
    render(d, d.status);
  } else {
    void poll();
  }
})();
