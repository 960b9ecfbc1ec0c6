import { WwatpError } from '../../tree/errors.js';
import type { ByteStream } from './byte-stream.js';
import { encodeWsFrame, WS_FLAG_FIN, WS_FLAG_RESET, WS_MAX_SEND_PAYLOAD, type WsFrame } from './ws-frame.js';

/** What a stream needs from its mux (WsMux in ws-mux.ts). */
export interface MuxLink {
  send(frame: Uint8Array): void;
  /** Resolves when the socket has room for more. */
  drain(): Promise<void>;
  /** Inbound bytes waiting to be read changed by `delta` (for pausing the socket). */
  queued(delta: number): void;
  /** The stream may be finished: forget it if so. */
  settle(stream: MuxStream): void;
}

const encoder = new TextEncoder();

/** One WWATP stream inside the tunnel. */
export class MuxStream implements ByteStream {
  readonly #queue: Uint8Array[] = [];
  #queuedBytes = 0;
  #remoteEnded = false;
  #localEnded = false;
  #error: WwatpError | undefined;
  #discard = false;
  #wake: (() => void) | undefined;
  #writing: Promise<void> = Promise.resolve();
  readonly readable: AsyncIterable<Uint8Array>;

  constructor(
    readonly id: number,
    readonly mux: MuxLink,
  ) {
    this.readable = { [Symbol.asyncIterator]: () => this.#read() };
  }

  get remoteEnded(): boolean {
    return this.#remoteEnded;
  }

  get done(): boolean {
    return this.#error !== undefined || (this.#localEnded && this.#remoteEnded);
  }

  write(bytes: Uint8Array): Promise<void> {
    return this.#chain(async () => {
      for (let at = 0; at < bytes.length; at += WS_MAX_SEND_PAYLOAD) {
        await this.mux.drain();
        this.#check();
        this.mux.send(encodeWsFrame(this.id, 0, bytes.subarray(at, at + WS_MAX_SEND_PAYLOAD)));
      }
    });
  }

  end(): Promise<void> {
    return this.#chain(async () => {
      this.mux.send(encodeWsFrame(this.id, WS_FLAG_FIN));
      this.#localEnded = true;
      this.mux.settle(this);
    });
  }

  abort(reason?: unknown): void {
    if (this.done) return;
    const text = reason instanceof Error ? reason.message : reason === undefined ? 'aborted' : String(reason);
    try {
      this.mux.send(encodeWsFrame(this.id, WS_FLAG_RESET, encoder.encode(text.slice(0, 200))));
    } catch {
      // the tunnel is gone: nothing to tell the peer
    }
    this.fail(new WwatpError('CLOSED', `stream aborted: ${text}`));
  }

  #chain(step: () => Promise<void>): Promise<void> {
    // Writes go out in call order even when callers do not await each one.
    const next = this.#writing.then(() => {
      this.#check();
      return step();
    });
    this.#writing = next.catch(() => undefined);
    return next;
  }

  #check(): void {
    if (this.#error) throw this.#error;
    if (this.#localEnded) throw new WwatpError('CLOSED', `stream ${this.id} already ended`);
  }

  /** Mux → stream: bytes from the peer (already checked to be allowed). */
  deliver(frame: WsFrame): void {
    if (frame.payload.length > 0 && !this.#discard) {
      this.#queue.push(new Uint8Array(frame.payload)); // a copy: the socket's buffer is not ours
      this.#queuedBytes += frame.payload.length;
      this.mux.queued(frame.payload.length);
    }
    if (frame.fin) this.#remoteEnded = true;
    this.#wake?.();
    this.mux.settle(this);
  }

  /** Ends the stream both ways with `error` (peer reset, socket gone). */
  fail(error: WwatpError): void {
    if (this.#error) return;
    this.#error = error;
    this.#release();
    this.#wake?.();
    this.mux.settle(this);
  }

  #release(): void {
    this.mux.queued(-this.#queuedBytes);
    this.#queue.length = 0;
    this.#queuedBytes = 0;
  }

  async *#read(): AsyncGenerator<Uint8Array> {
    try {
      for (;;) {
        const next = this.#queue.shift();
        if (next) {
          this.#queuedBytes -= next.length;
          this.mux.queued(-next.length);
          yield next;
          continue;
        }
        if (this.#error) throw this.#error;
        if (this.#remoteEnded) return;
        await new Promise<void>((resolve) => (this.#wake = resolve));
        this.#wake = undefined;
      }
    } finally {
      // The reader stopped: whatever else arrives is dropped, not buffered.
      this.#discard = true;
      this.#release();
    }
  }
}
