import { WwatpError } from '../../tree/errors.js';
import { ChunkReader } from './chunk-codec.js';
import { MessageAssembler } from './message-assembler.js';
import { encodePayload } from './payloads.js';
import { RequestPipe, settleReply, writeBatch, type PendingRequest } from './request-pipe.js';
import type { StreamOpener } from './byte-stream.js';

/** Batches bigger than this get a stream of their own, so they hold up nobody's small requests. */
const PIPE_BATCH_BYTES = 256 * 1024;

/**
 * Request batching, the heart of the protocol: every request made in the same turn of
 * the event loop travels together as one batch, and the replies come back on the same
 * stream. Small batches share the connection's long-lived request stream (a
 * RequestPipe); a big one gets a stream of its own. The server keeps pipeline order
 * within a stream, so calls made together behave as a pipeline.
 */
export class RequestBatcher {
  #queue: PendingRequest[] = [];
  #scheduled = false;
  #nextId = 1;
  #pipe: Promise<RequestPipe> | undefined;
  /** The pipe #pipe last resolved to, for batches that need not wait for it. */
  #ready: RequestPipe | undefined;
  /** Batches waiting for a pipe (see #drain), oldest first, with the connection each was made on. */
  #waiting: Array<{ opener: StreamOpener; batch: PendingRequest[] }> = [];

  constructor(
    readonly opener: () => StreamOpener | undefined,
    readonly maxMessageBytes: number,
  ) {}

  /** Queues a request; `body` is a payload map, or one already encoded (its CBOR bytes). */
  request(signal: number, body: Record<string, unknown> | Uint8Array): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const requestId = this.#nextId++;
      if (this.#nextId > Number.MAX_SAFE_INTEGER) this.#nextId = 1;
      this.#queue.push({ signal, requestId, payload: body instanceof Uint8Array ? body : encodePayload(body), resolve, reject });
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
    const opener = this.opener();
    if (!opener) {
      for (const p of batch) p.reject(new WwatpError('UNAVAILABLE', 'not connected'));
      return;
    }
    let bytes = 0;
    for (const p of batch) bytes += p.payload.length;
    if (bytes > PIPE_BATCH_BYTES) return this.#ownStream(opener, batch);
    // The usual case, a pipe open on this connection and no batch waiting for one: no
    // await, so the batch reaches the transport in this microtask rather than a few later.
    const ready = this.#ready;
    if (this.#waiting.length === 0 && ready !== undefined && ready.alive && ready.opener === opener) return ready.send(batch);
    this.#waiting.push({ opener, batch });
    // A drain already running takes this batch in its turn.
    if (this.#waiting.length === 1) await this.#drain();
  }

  /**
   * Sends the batches waiting for a pipe, in the order they were made, each down a pipe
   * of the connection it was made on; batches made meanwhile join the queue, so none
   * overtakes another (awaiting the pipe separately, a later batch could resume first
   * when the pipe was being replaced).
   */
  async #drain(): Promise<void> {
    for (let head = this.#waiting[0]; head !== undefined; head = this.#waiting[0]) {
      const opener = head.opener;
      let pipe: RequestPipe | undefined;
      let failure: WwatpError | undefined;
      try {
        pipe = await this.#pipeFor(opener);
        this.#ready = pipe;
      } catch (error) {
        failure = WwatpError.is(error) ? error : new WwatpError('UNAVAILABLE', `cannot open a request stream: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      }
      // Every batch at the front made on this connection: sent in order, or failed.
      let taken = 0;
      while (taken < this.#waiting.length && this.#waiting[taken]?.opener === opener) taken++;
      for (const { batch } of this.#waiting.splice(0, taken)) {
        if (pipe) pipe.send(batch);
        else for (const p of batch) p.reject(failure);
      }
    }
  }

  /**
   * The connection's request pipe, opened again when the connection or the stream
   * changed. Only #drain calls it, one batch group at a time.
   */
  async #pipeFor(opener: StreamOpener): Promise<RequestPipe> {
    for (;;) {
      const current = this.#pipe;
      if (current === undefined) break;
      const pipe = await current.catch(() => undefined);
      if (pipe && pipe.alive && pipe.opener === opener) return pipe;
      if (this.#pipe === current) break; // dead, failed or stale: replace it
    }
    const opening = RequestPipe.open(opener, this.maxMessageBytes);
    this.#pipe = opening;
    return opening;
  }

  /** A big batch on a stream of its own; the stream ends once every reply came. */
  async #ownStream(opener: StreamOpener, batch: readonly PendingRequest[]): Promise<void> {
    const byId = new Map(batch.map((p) => [p.requestId, p]));
    const fail = (error: unknown): void => {
      for (const p of byId.values()) p.reject(error);
      byId.clear();
    };
    try {
      const stream = await opener.openStream();
      const sending = writeBatch(stream, batch).then(() => stream.end());
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
          settleReply(pending, message.signal, message.payload);
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
