import { WwatpError } from '../../tree/errors.js';
import { ChunkReader, encodeMessageBytes } from './chunk-codec.js';
import { ChunkPacker } from './chunk-packer.js';
import { MessageAssembler } from './message-assembler.js';
import { decodePayload, errorFromWire } from './payloads.js';
import { Signal } from './signals.js';
import { SerialWrites } from '../serial-writes.js';
import type { ByteStream, StreamOpener } from './byte-stream.js';

/** A request waiting for its reply. */
export interface PendingRequest {
  readonly signal: number;
  readonly requestId: number;
  readonly payload: Uint8Array;
  resolve(value: Record<string, unknown>): void;
  reject(error: unknown): void;
}

/** Hands one reply message to the request it answers. */
export function settleReply(pending: PendingRequest, signal: number, payload: Uint8Array): void {
  try {
    const body = decodePayload(payload);
    if (signal === Signal.ERROR) pending.reject(errorFromWire(body));
    else if (signal !== pending.signal + 1) pending.reject(new WwatpError('PROTOCOL', `reply signal 0x${signal.toString(16)} does not answer 0x${pending.signal.toString(16)}`));
    else pending.resolve(body);
  } catch (error) {
    pending.reject(error);
  }
}

/** Writes a batch's messages, small ones packed together into few writes. */
export async function writeBatch(stream: ByteStream, batch: readonly PendingRequest[]): Promise<void> {
  const packer = new ChunkPacker();
  for (const p of batch) for (const part of encodeMessageBytes(p.signal, p.requestId, p.payload)) for (const bytes of packer.add(part)) await stream.write(bytes);
  for (const bytes of packer.flush()) await stream.write(bytes);
}

/**
 * One long-lived request stream per connection: batch after batch goes down it and the
 * replies come back on it, matched by request id. A fresh HTTP/3 request per batch
 * (stream setup, HEADERS, FIN and teardown on both ends) cost more than the requests
 * themselves for small batches. The server keeps pipeline order within a stream (see
 * docs/PROTOCOL.md §1), so batches sent down one pipe keep the order they were made in.
 * When the stream fails or ends, every request still waiting fails with UNAVAILABLE and
 * the pipe is dead: the batcher opens another.
 */
export class RequestPipe {
  readonly #pending = new Map<number, PendingRequest>();
  readonly #writes = new SerialWrites();
  #dead: WwatpError | undefined;

  private constructor(
    readonly opener: StreamOpener,
    private readonly stream: ByteStream,
    maxMessageBytes: number,
  ) {
    void this.#read(maxMessageBytes);
  }

  static async open(opener: StreamOpener, maxMessageBytes: number): Promise<RequestPipe> {
    return new RequestPipe(opener, await opener.openStream(), maxMessageBytes);
  }

  get alive(): boolean {
    return this.#dead === undefined;
  }

  send(batch: readonly PendingRequest[]): void {
    if (this.#dead) {
      for (const p of batch) p.reject(this.#dead);
      return;
    }
    for (const p of batch) this.#pending.set(p.requestId, p);
    // Batches are written one after another; with none being written, this one starts now.
    this.#writes.run(() => writeBatch(this.stream, batch)).catch((error: unknown) => this.#fail(error));
  }

  /** Ends our side; requests still waiting are answered first. */
  async end(): Promise<void> {
    await this.#writes.tail.catch(() => undefined);
    await this.stream.end().catch(() => undefined);
  }

  async #read(maxMessageBytes: number): Promise<void> {
    const reader = new ChunkReader();
    const assembler = new MessageAssembler(maxMessageBytes);
    try {
      for await (const bytes of this.stream.readable) {
        for (const chunk of reader.push(bytes)) {
          const message = assembler.add(chunk);
          if (!message) continue;
          const pending = this.#pending.get(message.requestId);
          if (!pending) continue;
          this.#pending.delete(message.requestId);
          settleReply(pending, message.signal, message.payload);
        }
        reader.check();
      }
      this.#fail(new WwatpError('UNAVAILABLE', 'the request stream ended'));
    } catch (error) {
      this.#fail(error);
    }
  }

  #fail(error: unknown): void {
    if (!this.#dead) {
      this.#dead = WwatpError.is(error) ? error : new WwatpError('UNAVAILABLE', `request stream failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      this.stream.abort(error);
    }
    for (const p of this.#pending.values()) p.reject(this.#dead);
    this.#pending.clear();
  }
}
