import { setFlagsFromString } from 'node:v8';

/**
 * Turns off V8's incremental marking for a process that does little but receive: the
 * standalone sink. Every socket read brings a fresh 64 KiB ArrayBuffer, about 1 GB/s of
 * them at full speed.
 * With that churn V8 kept starting incremental marking ("allocation limit") with the old
 * generation at 13 of its 29 MB limit: a mark-compact every 100–200 ms, about a third of
 * the sink's CPU (perf and --trace-gc, 2026-12-02), which nothing in the sink needed.
 * Without incremental marking V8 collects the old generation only when it is full, or when
 * external memory really piles up. The flag is read each time V8 considers starting to
 * mark, so setting it after start-up takes effect. It is process-wide, so only the sink
 * command sets it, never a daemon that runs a sink beside its pipelines.
 */
export function tuneGcForReceiving(): void {
  setFlagsFromString('--no-incremental-marking');
}
