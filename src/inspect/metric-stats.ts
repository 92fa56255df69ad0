import { FIXED64, LEN, METRIC, METRIC_DATA_BY_FIELD, POINT, RESOURCE, tag } from '../otlp/wire/fields.js';
import { eachField, WireReader } from '../otlp/wire/reader.js';
import { SignalStats } from './signal-stats.js';

const NAME = tag(METRIC.name, LEN);
const START = tag(POINT.start, FIXED64);
const TIME = tag(POINT.time, FIXED64);

interface MetricFigures {
  kind: string;
  points: number;
  /** Distinct (resource, point attributes) pairs. */
  series: Set<string>;
}

/**
 * Metric names, data points and series. A series is a metric name with one resource and
 * one set of point attributes, compared as their encoded bytes (attributes in the same
 * order, as an SDK writes them).
 */
export class MetricStats extends SignalStats {
  readonly signal = 'metrics';
  readonly #metrics = new Map<string, MetricFigures>();
  /** Encoded Resource → a short id, so series keys do not repeat whole resources. */
  readonly #resourceIds = new Map<string, number>();
  #resourceAt: [Uint8Array, number] | undefined;
  #resourceId = 0;
  timeBeforeStart = 0;

  protected item(buf: Uint8Array, s: number, e: number, rs: number, re: number): void {
    const rid = this.#resource(buf, rs, re);
    let name = '';
    const data: [number, number, number][] = [];
    const r = new WireReader(buf, s, e);
    while (!r.done()) {
      const t = r.tag();
      if (t === NAME) {
        const [ns, ne] = r.bytes();
        name = Buffer.from(buf.buffer, buf.byteOffset + ns, ne - ns).toString('utf8');
      } else if ((t & 7) === LEN && METRIC_DATA_BY_FIELD.has(t >>> 3)) data.push([t >>> 3, ...r.bytes()]);
      else r.skip(t & 7);
    }
    for (const [field, ds, de] of data) {
      const kind = METRIC_DATA_BY_FIELD.get(field)!;
      let m = this.#metrics.get(name);
      if (!m) this.#metrics.set(name, (m = { kind: kind.key, points: 0, series: new Set() }));
      const attrTag = tag(kind.attributes, LEN);
      eachField(buf, ds, de, 1, (ps, pe) => {
        this.events++;
        m.points++;
        let attrs = '', start = -1, time = -1;
        const p = new WireReader(buf, ps, pe);
        while (!p.done()) {
          const at = p.pos;
          const t = p.tag();
          if (t === START) start = p.advance(8);
          else if (t === TIME) this.time(buf, (time = p.advance(8)));
          else if (t === attrTag) {
            p.skip(LEN);
            attrs += Buffer.from(buf.buffer, buf.byteOffset + at, p.pos - at).toString('latin1');
          } else p.skip(t & 7);
        }
        if (start >= 0 && time >= 0 && before(buf, time, start)) this.timeBeforeStart++;
        m.series.add(`${rid}\0${attrs}`);
      });
    }
  }

  #resource(buf: Uint8Array, rs: number, re: number): number {
    if (this.#resourceAt?.[0] === buf && this.#resourceAt[1] === rs) return this.#resourceId;
    let key = '';
    eachField(buf, rs, re, RESOURCE, (s, e) => {
      key = Buffer.from(buf.buffer, buf.byteOffset + s, e - s).toString('latin1');
    });
    let id = this.#resourceIds.get(key);
    if (id === undefined) this.#resourceIds.set(key, (id = this.#resourceIds.size));
    this.#resourceAt = [buf, rs];
    this.#resourceId = id;
    return id;
  }

  details() {
    const metrics = [...this.#metrics].sort((a, b) => b[1].points - a[1].points)
      .map(([name, m]) => ({ name, kind: m.kind, points: m.points, series: m.series.size }));
    return {
      figures: { metricNames: metrics.length, series: metrics.reduce((n, m) => n + m.series, 0), metrics },
      problems: { timeBeforeStart: this.timeBeforeStart },
    };
  }
}

/** Whether the fixed64 at buf[a] is below the one at buf[b]. */
function before(buf: Uint8Array, a: number, b: number): boolean {
  for (let i = 7; i >= 0; i--) if (buf[a + i] !== buf[b + i]) return buf[a + i]! < buf[b + i]!;
  return false;
}
