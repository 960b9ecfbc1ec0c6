import { WwatpError } from '../../tree/errors.js';
import { concatBytes } from '../bytes.js';
import type { Chunk } from './chunk-codec.js';

export interface RawMessage {
  readonly signal: number;
  readonly requestId: number;
  readonly payload: Uint8Array;
}

/**
 * Joins chunks into whole messages, per request id, bounding what one message and the
 * whole stream may hold in flight so a peer cannot make us buffer without limit.
 */
export class MessageAssembler {
  readonly #partial = new Map<number, { signal: number; parts: Uint8Array[]; size: number }>();
  #inFlight = 0;

  constructor(
    readonly maxMessageBytes: number,
    readonly maxInFlightBytes: number = maxMessageBytes * 2,
  ) {}

  /** Adds a chunk; returns the message when this chunk completed it. */
  add(chunk: Chunk): RawMessage | undefined {
    let entry = this.#partial.get(chunk.requestId);
    if (entry && entry.signal !== chunk.signal) {
      throw new WwatpError('PROTOCOL', `request ${chunk.requestId} changed signal mid-message (0x${entry.signal.toString(16)} → 0x${chunk.signal.toString(16)})`);
    }
    if (!entry) {
      if (chunk.fin) return { signal: chunk.signal, requestId: chunk.requestId, payload: chunk.payload };
      entry = { signal: chunk.signal, parts: [], size: 0 };
      this.#partial.set(chunk.requestId, entry);
    }
    // A chunk that spans reads comes as parts: they are joined once, with the message.
    if (chunk.parts) entry.parts.push(...chunk.parts);
    else entry.parts.push(chunk.payload);
    entry.size += chunk.size;
    this.#inFlight += chunk.size;
    if (entry.size > this.maxMessageBytes) throw new WwatpError('TOO_LARGE', `message for request ${chunk.requestId} exceeds ${this.maxMessageBytes} bytes`);
    if (this.#inFlight > this.maxInFlightBytes) throw new WwatpError('TOO_LARGE', `more than ${this.maxInFlightBytes} bytes of unfinished messages`);
    if (!chunk.fin) return undefined;
    this.#partial.delete(chunk.requestId);
    this.#inFlight -= entry.size;
    return { signal: entry.signal, requestId: chunk.requestId, payload: concatBytes(entry.parts, entry.size) };
  }

  /** Request ids whose messages were started but never finished. */
  get unfinished(): number[] {
    return [...this.#partial.keys()];
  }
}
