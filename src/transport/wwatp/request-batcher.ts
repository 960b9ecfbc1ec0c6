import { WwatpError } from '../../tree/errors.js';
import { ChunkReader, encodeMessage } from './chunk-codec.js';
import { ChunkPacker } from './chunk-packer.js';
import { MessageAssembler } from './message-assembler.js';
import { decodePayload, encodePayload, errorFromWire } from './payloads.js';
import { Signal } from './signals.js';
import type { StreamOpener } from './byte-stream.js';

interface Pending {
  readonly signal: number;
  readonly requestId: number;
  readonly payload: Uint8Array;
  resolve(value: Record<string, unknown>): void;
  reject(error: unknown): void;
}

/**
 * Request batching, the heart of the protocol: every request made in the same turn of
 * the event loop travels in one stream as one batch, and the replies come back on it.
 * A batch's requests are answered in order, so calls made together behave as a pipeline.
 */
export class RequestBatcher {
  #queue: Pending[] = [];
  #scheduled = false;
  #nextId = 1;

  constructor(
    readonly opener: () => StreamOpener | undefined,
    readonly maxMessageBytes: number,
  ) {}

  request(signal: number, body: Record<string, unknown>): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const requestId = this.#nextId++;
      if (this.#nextId > Number.MAX_SAFE_INTEGER) this.#nextId = 1;
      this.#queue.push({ signal, requestId, payload: encodePayload(body), resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        queueMicrotask(() => void this.#flush());
      }
    });
  }

  async #flush(): Promise<void> {
    this.#scheduled = false;
    const batch = this.#queue;
    this.#queue = [];
    if (batch.length === 0) return;
    const byId = new Map(batch.map((p) => [p.requestId, p]));
    const fail = (error: unknown): void => {
      for (const p of byId.values()) p.reject(error);
      byId.clear();
    };
    const opener = this.opener();
    if (!opener) return fail(new WwatpError('UNAVAILABLE', 'not connected'));
    try {
      const stream = await opener.openStream();
      const sending = (async () => {
        // Small messages go out packed together: a few writes per batch, not one per message.
        const packer = new ChunkPacker();
        for (const p of batch) for (const chunk of encodeMessage(p.signal, p.requestId, p.payload)) for (const bytes of packer.add(chunk)) await stream.write(bytes);
        for (const bytes of packer.flush()) await stream.write(bytes);
        await stream.end();
      })();
      sending.catch((error: unknown) => {
        fail(error);
        stream.abort(error);
      });
      const reader = new ChunkReader();
      const assembler = new MessageAssembler(this.maxMessageBytes);
      for await (const bytes of stream.readable) {
        for (const chunk of reader.push(bytes)) {
          const message = assembler.add(chunk);
          if (!message) continue;
          const pending = byId.get(message.requestId);
          if (!pending) continue;
          byId.delete(message.requestId);
          try {
            const payload = decodePayload(message.payload);
            if (message.signal === Signal.ERROR) pending.reject(errorFromWire(payload));
            else if (message.signal !== pending.signal + 1) pending.reject(new WwatpError('PROTOCOL', `reply signal 0x${message.signal.toString(16)} does not answer 0x${pending.signal.toString(16)}`));
            else pending.resolve(payload);
          } catch (error) {
            pending.reject(error);
          }
        }
        reader.check();
        if (byId.size === 0) break;
      }
      await sending.catch(() => undefined);
      if (byId.size > 0) fail(new WwatpError('UNAVAILABLE', 'the stream ended before every request was answered'));
    } catch (error) {
      fail(WwatpError.is(error) ? error : new WwatpError('UNAVAILABLE', `request batch failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error }));
    }
  }

  /** Rejects everything queued but not yet sent (on close). */
  failQueued(error: WwatpError): void {
    const queued = this.#queue;
    this.#queue = [];
    for (const p of queued) p.reject(error);
  }
}
