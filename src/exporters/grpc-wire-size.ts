import { experimental, type Client, type Metadata } from '@grpc/grpc-js';

type WriteObject = Awaited<ReturnType<experimental.Filter['sendMessage']>>;
type RecordSize = (wireBytes: number) => void;

/** grpc-js frames every message with a 1-byte compressed flag and a 4-byte length. */
const PREFIX = 5;
/** Names the call to the filter, which removes it: it never reaches the wire. */
const CALL_KEY = 'otel-replayd-wire-size';

/**
 * With `compression: gzip`, grpc-js compresses inside its own call stack, so the exporter
 * never sees the bytes it sends. A filter placed after grpc-js's compression filter sees
 * each framed message as it goes to the transport and reports its size to the call that
 * sent it, named by a metadata entry that the filter removes before the transport sees it.
 *
 * grpc-js has no public way to add a channel filter, so this reaches into the channel's
 * filter stack; `install` says whether that worked (test/exporters/otlp-grpc.test.ts
 * fails if a grpc-js upgrade moves it).
 */
export class GrpcWireSizes {
  readonly #calls = new Map<string, RecordSize>();
  #next = 0;

  /** Adds the filter to `client`'s channel; false when this grpc-js has no filter stack to add to. */
  install(client: Client): boolean {
    const channel = client.getChannel() as unknown as { internalChannel?: { filterStackFactory?: { factories?: unknown } } };
    const factories = channel.internalChannel?.filterStackFactory?.factories;
    if (!Array.isArray(factories)) return false;
    const calls = this.#calls;
    // Last in the stack: after the compression filter has framed (and maybe compressed) the message.
    factories.push({ createFilter: () => new WireSizeFilter(calls) });
    return true;
  }

  /**
   * Calls `record` with the message bytes on the wire (after compression, without the
   * frame prefix) when the call made with `metadata` sends its message. Returns the
   * function that forgets the call; call it when the call has ended.
   */
  watch(metadata: Metadata, record: RecordSize): () => void {
    const id = String(this.#next++);
    metadata.set(CALL_KEY, id);
    this.#calls.set(id, record);
    return () => this.#calls.delete(id);
  }
}

class WireSizeFilter extends experimental.BaseFilter {
  readonly #calls: Map<string, RecordSize>;
  #record: RecordSize | undefined;

  constructor(calls: Map<string, RecordSize>) {
    super();
    this.#calls = calls;
  }

  override async sendMetadata(metadata: Promise<Metadata>): Promise<Metadata> {
    const md = await metadata;
    const id = md.get(CALL_KEY)[0];
    md.remove(CALL_KEY);
    if (typeof id === 'string') this.#record = this.#calls.get(id);
    return md;
  }

  override async sendMessage(message: Promise<WriteObject>): Promise<WriteObject> {
    const m = await message;
    this.#record?.(m.message.length - PREFIX);
    return m;
  }
}
