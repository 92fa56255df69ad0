// @ts-check
/**
 * What the run view draws with: DOM and SVG helpers, number formats, line charts over time
 * with a hover read-out, and tiles. A classic script inlined before run-view.js; it adds
 * one global, ViewKit.
 */
const ViewKit = (() => {
  /** @typedef {{ label: string, color: string, dashed?: boolean, values: (number | null)[] }} Line */

  const DASH = '\u2014';
  const SVG = 'http://www.w3.org/2000/svg';

  // ---- DOM helpers -------------------------------------------------------------------

  /**
   * @param {string} tag
   * @param {Record<string, string>} [attrs]
   * @param {(Node | string)[]} children
   * @returns {HTMLElement}
   */
  function el(tag, attrs = {}, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    e.append(...children);
    return e;
  }

  /**
   * @param {string} tag
   * @param {Record<string, string | number>} [attrs]
   * @returns {SVGElement}
   */
  function svg(tag, attrs = {}) {
    const e = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
    return e;
  }

  // ---- numbers -----------------------------------------------------------------------

  /** @param {unknown} n */
  const missing = (n) => n === null || n === undefined || (typeof n === 'number' && !Number.isFinite(n));
  /** @param {number | null | undefined} n */
  const int = (n) => (missing(n) ? DASH : Math.round(/** @type {number} */ (n)).toLocaleString('en-US'));
  /** @param {number | null | undefined} n @param {number} digits */
  const fixed = (n, digits) => (missing(n) ? DASH : /** @type {number} */ (n).toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }));
  /** @param {number | null | undefined} n */
  const ms = (n) => (missing(n) ? DASH : fixed(n, /** @type {number} */ (n) < 10 ? 2 : /** @type {number} */ (n) < 100 ? 1 : 0));

  /** Short axis label: 950, 1.2k, 40k, 3.5M. @param {number} n */
  function compact(n) {
    const a = Math.abs(n);
    if (a >= 1e9) return `${+(n / 1e9).toPrecision(3)}G`;
    if (a >= 1e6) return `${+(n / 1e6).toPrecision(3)}M`;
    if (a >= 1e3) return `${+(n / 1e3).toPrecision(3)}k`;
    return `${+n.toPrecision(3)}`;
  }

  /** Seconds as m:ss or h:mm:ss. @param {number} s */
  function clock(s) {
    const t = Math.round(s);
    const h = Math.floor(t / 3600);
    const m = Math.floor((t % 3600) / 60);
    const sec = String(t % 60).padStart(2, '0');
    return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
  }

  /** Round tick values from 0 to at least `max`. @param {number} max @param {number} count */
  function ticks(max, count) {
    if (!(max > 0)) return [0, 1];
    const raw = max / count;
    const mag = 10 ** Math.floor(Math.log10(raw));
    const step = [1, 2, 2.5, 5, 10].map((f) => f * mag).find((s) => s >= raw) ?? 10 * mag;
    const out = [];
    for (let v = 0; v < max + step * 0.999; v += step) out.push(+v.toPrecision(12));
    return out;
  }

  /** Round time ticks (seconds). @param {number} max */
  function timeTicks(max) {
    const steps = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 28800];
    const step = steps.find((s) => max / s <= 6) ?? 86400;
    const out = [];
    for (let v = 0; v <= max + 1e-9; v += step) out.push(v);
    return out;
  }

  // ---- charts ------------------------------------------------------------------------

  // About the size a chart is drawn at, so its 10px labels stay readable.
  const W = 420;
  const H = 170;
  const M = { l: 44, r: 10, t: 8, b: 22 };

  /**
   * A line chart over time with a legend and a hover read-out.
   * @param {{ title: string, field: string, xs: number[], xMax: number, lines: Line[], format: (n: number | null) => string, empty?: string }} spec
   */
  function chart(spec) {
    const { xs, lines } = spec;
    const values = lines.flatMap((l) => l.values).filter((v) => !missing(v));
    const yTicks = ticks(Math.max(0, ...(/** @type {number[]} */ (values))) * 1.05, 4);
    const yMax = yTicks[yTicks.length - 1] ?? 1;
    const xMax = Math.max(spec.xMax, 1);
    const px = (/** @type {number} */ x) => M.l + (x / xMax) * (W - M.l - M.r);
    const py = (/** @type {number} */ y) => H - M.b - (y / yMax) * (H - M.t - M.b);
    const plot = /** @type {SVGSVGElement} */ (svg('svg', { class: 'plot', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': spec.title }));
    for (const v of yTicks) {
      plot.append(svg('line', { class: 'grid', x1: M.l, x2: W - M.r, y1: py(v), y2: py(v) }));
      const label = svg('text', { x: M.l - 6, y: py(v) + 3, 'text-anchor': 'end' });
      label.textContent = compact(v);
      plot.append(label);
    }
    for (const v of timeTicks(xMax)) {
      const label = svg('text', { x: px(v), y: H - 6, 'text-anchor': 'middle' });
      label.textContent = clock(v);
      plot.append(label);
    }
    plot.append(svg('line', { class: 'axis', x1: M.l, x2: W - M.r, y1: py(0), y2: py(0) }));
    if (values.length === 0) {
      const note = svg('text', { class: 'empty', x: (M.l + W - M.r) / 2, y: (M.t + H - M.b) / 2, 'text-anchor': 'middle' });
      note.textContent = spec.empty ?? 'no data yet';
      plot.append(note);
    }
    for (const line of lines) {
      // A gap (null) breaks the line rather than drawing it down to zero.
      /** @type {string[]} */
      let run = [];
      const flush = () => {
        if (run.length > 0) {
          const attrs = /** @type {Record<string, string | number>} */ ({ points: run.join(' '), stroke: line.color });
          if (line.dashed) attrs['stroke-dasharray'] = '6 4';
          plot.append(svg('polyline', attrs));
        }
        run = [];
      };
      line.values.forEach((v, i) => {
        if (missing(v)) flush();
        else run.push(`${px(xs[i] ?? 0).toFixed(1)},${py(/** @type {number} */ (v)).toFixed(1)}`);
      });
      flush();
    }
    const cursor = svg('line', { class: 'cursor', y1: M.t, y2: H - M.b, visibility: 'hidden' });
    plot.append(cursor);
    /** @param {number} clientX @param {number} clientY */
    const show = (clientX, clientY) => {
      const box = plot.getBoundingClientRect();
      const x = ((clientX - box.left) / box.width) * W;
      const t = ((x - M.l) / (W - M.l - M.r)) * xMax;
      if (xs.length === 0 || t < 0 || t > xMax) return hide();
      let i = 0;
      for (let j = 1; j < xs.length; j++) if (Math.abs((xs[j] ?? 0) - t) < Math.abs((xs[i] ?? 0) - t)) i = j;
      cursor.setAttribute('x1', String(px(xs[i] ?? 0)));
      cursor.setAttribute('x2', String(px(xs[i] ?? 0)));
      cursor.setAttribute('visibility', 'visible');
      tip.replaceChildren(el('div', { class: 'muted' }, clock(xs[i] ?? 0)), ...lines.map((l) => el('div', {}, `${l.label}: ${spec.format(l.values[i] ?? null)}`)));
      tip.hidden = false;
      tip.style.left = `${clientX + 14}px`;
      tip.style.top = `${clientY + 10}px`;
    };
    const hide = () => {
      cursor.setAttribute('visibility', 'hidden');
      tip.hidden = true;
    };
    plot.addEventListener('mousemove', (e) => show(e.clientX, e.clientY));
    plot.addEventListener('mouseleave', hide);
    /** @type {SVGSVGElement & { show?: typeof show }} */ (plot).show = show;
    const legend = el('div', { class: 'legend' }, ...lines.map((l) => {
      const swatch = el('i', { class: l.dashed ? 'dashed' : '' });
      // Through CSSOM: the page's policy allows no style attributes.
      swatch.style.color = l.color;
      if (!l.dashed) swatch.style.backgroundColor = l.color;
      return el('span', {}, swatch, l.label);
    }));
    return el('div', { class: 'chart', 'data-chart': spec.field }, el('h3', {}, spec.title), legend, plot);
  }

  /**
   * @param {string} label
   * @param {string} field
   * @param {string} value
   * @param {string} [note]
   * @param {{ bad?: boolean, text?: boolean }} [opts]
   */
  function tile(label, field, value, note, opts = {}) {
    return el('div', { class: `tile${opts.bad ? ' bad' : ''}`, 'data-field': field },
      el('div', { class: 'label' }, label),
      el('div', { class: `value${opts.text ? ' text' : ''}` }, value),
      ...(note ? [el('div', { class: 'note' }, note)] : []));
  }

  const tip = document.body.appendChild(el('div', { class: 'tip', hidden: '' }));
  /** @type {{ x: number, y: number } | undefined} */
  let mouse;
  document.addEventListener('mousemove', (e) => (mouse = { x: e.clientX, y: e.clientY }));

  /** After the page is drawn again, shows the read-out of the chart under the pointer again. */
  function reshowTip() {
    if (!mouse) return;
    const under = document.elementFromPoint(mouse.x, mouse.y)?.closest('svg.plot');
    /** @type {(SVGSVGElement & { show?: (x: number, y: number) => void }) | null | undefined} */ (under)?.show?.(mouse.x, mouse.y);
  }

  return { DASH, el, int, fixed, ms, clock, chart, tile, reshowTip };
})();
