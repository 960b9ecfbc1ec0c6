/**
 * Incremental HTTP/3 frame parser: fed chunks with arbitrary boundaries, it yields DATA
 * payload pieces as they arrive (bodies are never buffered whole), buffers the other
 * known frames up to a per-type limit, and skips unknown and reserved frame types
 * without buffering them (RFC 9114 §9: unknown types MUST be ignored).
 */
import { decodeVarint, decodeVarintLoose, varintLengthFromFirstByte } from '../varint.js';
import { ByteQueue } from './byte-queue.js';
import { connectionError, H3_ERROR, streamError } from './errors.js';
import { FRAME, HTTP2_ONLY_FRAME_TYPES, isKnownFrameType } from './frames.js';

export type FrameEvent =
  /** A piece of a DATA payload; `last` marks the final piece of that frame. */
  | { readonly kind: 'data'; readonly bytes: Uint8Array; readonly last: boolean }
  /** A complete non-DATA frame of a type this layer knows. */
  | { readonly kind: 'frame'; readonly type: number; readonly payload: Uint8Array }
  /** The header of an unknown or reserved frame, whose payload is then skipped unread. */
  | { readonly kind: 'unknown'; readonly type: number; readonly length: number };

export interface FrameLimits {
  /** Largest HEADERS (and PUSH_PROMISE) payload accepted; larger is H3_EXCESSIVE_LOAD. */
  readonly maxHeadersPayload: number;
  /** Largest payload of SETTINGS, GOAWAY, MAX_PUSH_ID, CANCEL_PUSH. */
  readonly maxControlPayload: number;
}

export const DEFAULT_FRAME_LIMITS: FrameLimits = {
  maxHeadersPayload: 64 * 1024,
  maxControlPayload: 16 * 1024,
};

type State =
  | { readonly at: 'header' }
  | { readonly at: 'data'; left: number }
  | { readonly at: 'buffered'; readonly type: number; readonly length: number }
  | { readonly at: 'skip'; left: number };

export class FrameReader {
  private readonly queue = new ByteQueue();
  private state: State = { at: 'header' };
  private ended = false;
  private readonly limits: FrameLimits;

  constructor(limits: Partial<FrameLimits> = {}) {
    this.limits = { ...DEFAULT_FRAME_LIMITS, ...limits };
  }

  push(chunk: Uint8Array): void {
    if (this.ended) throw new Error('FrameReader.push after end()');
    this.queue.push(chunk);
  }

  /** Bytes queued but not yet returned (extensions take over a stream with them). */
  takeRemaining(): Uint8Array[] {
    return this.queue.drain();
  }

  /** True between frames, i.e. where a stream may cleanly end. */
  get atFrameBoundary(): boolean {
    return this.state.at === 'header' && this.queue.length === 0;
  }

  /**
   * The stream ended cleanly (FIN). A truncated frame is H3_FRAME_ERROR (RFC 9114 §7.1);
   * call after next() returned undefined.
   */
  end(): void {
    this.ended = true;
    if (!this.atFrameBoundary) {
      throw connectionError(H3_ERROR.H3_FRAME_ERROR, 'stream ended inside a frame');
    }
  }

  /** The next event, or undefined until more bytes are pushed. Throws H3Error. */
  next(): FrameEvent | undefined {
    for (;;) {
      const state = this.state;
      switch (state.at) {
        case 'header': {
          const header = this.readHeader();
          if (header === undefined) return undefined;
          if (this.state.at === 'skip') return { kind: 'unknown', type: header.type, length: header.length };
          continue;
        }
        case 'data': {
          if (state.left === 0) {
            this.state = { at: 'header' };
            return { kind: 'data', bytes: new Uint8Array(0), last: true };
          }
          const bytes = this.queue.takeSome(state.left);
          if (bytes.length === 0) return undefined;
          state.left -= bytes.length;
          const last = state.left === 0;
          if (last) this.state = { at: 'header' };
          return { kind: 'data', bytes, last };
        }
        case 'buffered': {
          if (this.queue.length < state.length) return undefined;
          const payload = this.queue.take(state.length);
          this.state = { at: 'header' };
          return { kind: 'frame', type: state.type, payload };
        }
        case 'skip': {
          state.left -= this.queue.skip(state.left);
          if (state.left > 0) return undefined;
          this.state = { at: 'header' };
          continue;
        }
      }
    }
  }

  /** Parses type and length once both are queued; undefined if more bytes are needed. */
  private readHeader(): { type: number; length: number } | undefined {
    const head = this.queue.peek(16);
    if (head.length === 0) return undefined;
    const typeLength = varintLengthFromFirstByte(head[0] as number);
    if (head.length < typeLength + 1) return undefined;
    const lengthLength = varintLengthFromFirstByte(head[typeLength] as number);
    if (head.length < typeLength + lengthLength) return undefined;
    // Unknown types may be huge GREASE values: approximate is fine, they are only skipped.
    const type = (decodeVarintLoose(head, 0) as { value: number }).value;
    let length: number;
    try {
      length = (decodeVarint(head, typeLength) as { value: number }).value;
    } catch (cause) {
      throw connectionError(H3_ERROR.H3_EXCESSIVE_LOAD, 'frame length beyond 2^53', cause);
    }
    this.queue.skip(typeLength + lengthLength);
    this.state = this.stateFor(type, length);
    return { type, length };
  }

  private stateFor(type: number, length: number): State {
    if (type === FRAME.DATA) return { at: 'data', left: length };
    if (HTTP2_ONLY_FRAME_TYPES.has(type)) {
      throw connectionError(H3_ERROR.H3_FRAME_UNEXPECTED, `HTTP/2 frame type 0x${type.toString(16)}`);
    }
    if (!isKnownFrameType(type)) return { at: 'skip', left: length };
    const headers = type === FRAME.HEADERS || type === FRAME.PUSH_PROMISE;
    const limit = headers ? this.limits.maxHeadersPayload : this.limits.maxControlPayload;
    if (length > limit) {
      // QPACK without a dynamic table keeps no shared state, so an oversized field section
      // only costs its own request; control frames that large mean a misbehaving peer.
      const make = headers ? streamError : connectionError;
      throw make(H3_ERROR.H3_EXCESSIVE_LOAD, `frame 0x${type.toString(16)} of ${length} bytes exceeds the ${limit}-byte limit`);
    }
    return { at: 'buffered', type, length };
  }
}
