/**
 * The WebSocket tunnel (docs/PROTOCOL.md §2.1): one WebSocket carries one WWATP session,
 * and many WWATP streams inside it. Each binary message is one frame:
 *
 *   stream id (varint) · flags (u8: bit 0 FIN, bit 1 RESET) · bytes
 *
 * Clients open streams with even ids 0, 2, 4, ... (a new id is the next one up); FIN
 * ends the sender's side, RESET abandons the stream both ways (its bytes: a UTF-8
 * reason). A malformed frame closes that WebSocket alone. Frames: ws-frame.ts; streams:
 * ws-mux-stream.ts. Browser-safe: no node: imports.
 */
import { WwatpError } from '../../tree/errors.js';
import type { StreamOpener } from './byte-stream.js';
import { decodeWsFrame, encodeWsFrame, WS_FLAG_RESET, WS_MAX_FRAME_BYTES, WsCloseCode, type WsFrame } from './ws-frame.js';
import { MuxStream, type MuxLink } from './ws-mux-stream.js';

export * from './ws-frame.js';
export { MuxStream } from './ws-mux-stream.js';

/** What the mux needs from a WebSocket: the browser's and `ws` both fit behind a few lines. */
export interface MuxSocket {
  send(frame: Uint8Array): void;
  /** Bytes sent but not yet on the wire: writes wait while it is above the high-water mark. */
  readonly bufferedAmount: number;
  close(code: number, reason: string): void;
  /** Stop / restart reading from the network (not available in browsers). */
  pause?(): void;
  resume?(): void;
}

export interface WsMuxOptions {
  role: 'client' | 'server';
  /** Server: called with each stream the client opens. */
  onStream?: (stream: MuxStream) => void;
  /** Server: streams open at once; a new one beyond it is reset (default 4096). */
  maxStreams?: number;
  /** Outbound bytes buffered before writes wait (default 1 MiB). */
  highWaterMark?: number;
  /** Inbound bytes not yet read before the socket is paused (default 4 MiB). */
  maxQueuedBytes?: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Both ends of the tunnel: frames in from `receive`, streams out. */
export class WsMux implements MuxLink {
  readonly #streams = new Map<number, MuxStream>();
  readonly #maxStreams: number;
  readonly #highWaterMark: number;
  readonly #maxQueued: number;
  #nextId = 0;
  #queued = 0;
  #paused = false;
  #error: WwatpError | undefined;
  #markClosed!: () => void;
  /** Resolves when the WebSocket is gone (closed by either side or by a protocol error). */
  readonly closed = new Promise<void>((resolve) => (this.#markClosed = resolve));

  constructor(
    readonly socket: MuxSocket,
    readonly options: WsMuxOptions,
  ) {
    this.#maxStreams = options.maxStreams ?? 4096;
    this.#highWaterMark = options.highWaterMark ?? 1024 * 1024;
    this.#maxQueued = options.maxQueuedBytes ?? 4 * 1024 * 1024;
  }

  get openStreams(): number {
    return this.#streams.size;
  }

  /** Client: opens the next stream (ids 0, 2, 4, ...). */
  openStream(): MuxStream {
    if (this.options.role !== 'client') throw new WwatpError('PROTOCOL', 'only the client opens tunnel streams');
    if (this.#error) throw this.#error;
    const stream = new MuxStream(this.#nextId, this);
    this.#nextId += 2;
    this.#streams.set(stream.id, stream);
    return stream;
  }

  /** Adapter → mux: one WebSocket message. Malformed input closes the socket. */
  receive(data: Uint8Array | string): void {
    if (this.#error) return;
    if (typeof data === 'string') return this.#protocolError(WsCloseCode.UNSUPPORTED, 'text messages are not part of the WWATP tunnel');
    if (data.length > WS_MAX_FRAME_BYTES) return this.#protocolError(WsCloseCode.TOO_BIG, `tunnel frame of ${data.length} bytes is over ${WS_MAX_FRAME_BYTES}`);
    let frame: WsFrame;
    try {
      frame = decodeWsFrame(data);
    } catch (error) {
      return this.#protocolError(WsCloseCode.PROTOCOL, error instanceof Error ? error.message : String(error));
    }
    const stream = this.#streams.get(frame.streamId) ?? this.#accept(frame);
    if (!stream) return;
    if (frame.reset) {
      const reason = decoder.decode(frame.payload);
      stream.fail(new WwatpError('UNAVAILABLE', `stream reset by the peer${reason ? `: ${reason}` : ''}`));
      return;
    }
    if (stream.remoteEnded) return this.#protocolError(WsCloseCode.PROTOCOL, `data on stream ${frame.streamId} after its FIN`);
    stream.deliver(frame);
  }

  /** A frame for a stream we do not have: a new one (server), a late one (ignored), or an error. */
  #accept(frame: WsFrame): MuxStream | undefined {
    const id = frame.streamId;
    if (id % 2 !== 0) return void this.#protocolError(WsCloseCode.PROTOCOL, `stream id ${id} is odd (clients open even ids)`);
    if (id < this.#nextId) return undefined; // a stream that already ended: its stragglers are dropped
    if (this.options.role === 'client') return void this.#protocolError(WsCloseCode.PROTOCOL, `the server sent on stream ${id}, which the client never opened`);
    if (id !== this.#nextId) return void this.#protocolError(WsCloseCode.PROTOCOL, `stream id ${id} skips ahead (expected ${this.#nextId})`);
    this.#nextId += 2;
    if (frame.reset) return undefined;
    if (this.#streams.size >= this.#maxStreams) {
      this.send(encodeWsFrame(id, WS_FLAG_RESET, encoder.encode(`more than ${this.#maxStreams} streams open`)));
      return undefined;
    }
    const stream = new MuxStream(id, this);
    this.#streams.set(id, stream);
    this.options.onStream?.(stream);
    return stream;
  }

  #protocolError(code: number, reason: string): void {
    this.close(code, reason);
  }

  /** Closes the WebSocket; open streams fail with CLOSED (normal) or PROTOCOL (anything else). */
  close(code: number = WsCloseCode.NORMAL, reason = ''): void {
    if (this.#error) return;
    const error = code === WsCloseCode.NORMAL ? new WwatpError('CLOSED', 'tunnel closed') : new WwatpError('PROTOCOL', `tunnel closed: ${reason}`);
    this.#finish(error);
    try {
      // Close reasons are at most 123 bytes (RFC 6455 §5.5).
      this.socket.close(code, truncateUtf8(reason, 123));
    } catch {
      // already closing
    }
  }

  /** Adapter → mux: the WebSocket closed (either side). */
  socketClosed(code?: number, reason?: string): void {
    this.#finish(new WwatpError('UNAVAILABLE', `WebSocket closed${code ? ` (${code}${reason ? ` ${reason}` : ''})` : ''}`));
  }

  #finish(error: WwatpError): void {
    if (this.#error) return;
    this.#error = error;
    for (const stream of [...this.#streams.values()]) stream.fail(error);
    this.#streams.clear();
    this.#markClosed();
  }

  // --- for MuxStream ---

  send(frame: Uint8Array): void {
    if (this.#error) throw this.#error;
    this.socket.send(frame);
  }

  /** Waits while the socket has more than the high-water mark buffered (browsers have no drain event: poll). */
  async drain(): Promise<void> {
    for (let delay = 1; this.socket.bufferedAmount > this.#highWaterMark; delay = Math.min(delay * 2, 50)) {
      if (this.#error) throw this.#error;
      await sleep(delay);
    }
  }

  queued(delta: number): void {
    this.#queued += delta;
    if (!this.#paused && this.#queued > this.#maxQueued && this.socket.pause) {
      this.#paused = true;
      this.socket.pause();
    } else if (this.#paused && this.#queued <= this.#maxQueued / 2) {
      this.#paused = false;
      this.socket.resume?.();
    }
  }

  settle(stream: MuxStream): void {
    if (stream.done && this.#streams.get(stream.id) === stream) this.#streams.delete(stream.id);
  }
}

function truncateUtf8(text: string, maxBytes: number): string {
  let out = text;
  while (encoder.encode(out).length > maxBytes) out = out.slice(0, -1);
  return out;
}

/** A client mux as the StreamOpener Http3ClientBackend takes. */
export function muxStreamOpener(mux: WsMux): StreamOpener {
  return {
    openStream: async () => mux.openStream(),
    closed: mux.closed,
    close: async () => mux.close(WsCloseCode.NORMAL, 'client closed'),
  };
}
