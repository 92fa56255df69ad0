import { FIXED64, LEN, LOG_RECORD, tag } from '../otlp/wire/fields.js';
import { isZeroId } from '../otlp/wire/id-table.js';
import { WireReader } from '../otlp/wire/reader.js';
import { SignalStats } from './signal-stats.js';

const TIME = tag(LOG_RECORD.time, FIXED64);
const OBSERVED = tag(LOG_RECORD.observedTime, FIXED64);
const TRACE_ID = tag(LOG_RECORD.traceId, LEN);

/** Log records: how many carry a trace context, and how many carry no time at all. */
export class LogStats extends SignalStats {
  readonly signal = 'logs';
  withTraceContext = 0;
  withoutTime = 0;

  protected item(buf: Uint8Array, s: number, e: number): void {
    this.events++;
    let timed = false, traced = false;
    const r = new WireReader(buf, s, e);
    while (!r.done()) {
      const t = r.tag();
      if (t === TIME || t === OBSERVED) {
        const at = r.advance(8);
        if (!isZeroId(buf, at, 8)) timed = true;
        this.time(buf, at);
      } else if (t === TRACE_ID) {
        const [ts, te] = r.bytes();
        traced = te - ts === 16 && !isZeroId(buf, ts, 16);
      } else r.skip(t & 7);
    }
    if (traced) this.withTraceContext++;
    if (!timed) this.withoutTime++;
  }

  details() {
    return { figures: { withTraceContext: this.withTraceContext }, problems: { withoutTime: this.withoutTime } };
  }
}
