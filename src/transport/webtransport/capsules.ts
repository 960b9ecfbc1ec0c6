/**
 * The Capsule Protocol (RFC 9297 §3.2) on a WebTransport CONNECT stream: a sequence of
 * { Type (i), Length (i), Value } carried in the DATA frames of the CONNECT stream, with
 * boundaries unrelated to the frames. Known capsules are collected whole (bounded);
 * unknown ones (Chromium sends a GREASE capsule first) are skipped without buffering.
 */
import { concatBytes } from '../bytes.js';
import { H3_ERROR, streamError } from '../h3/errors.js';
import { decodeVarint, decodeVarintLoose, encodeVarint } from '../varint.js';
import { CAPSULE, MAX_CLOSE_MESSAGE_BYTES } from './constants.js';

export interface Capsule {
  readonly type: number;
  readonly payload: Uint8Array;
}

/** Largest payload collected per known type; anything bigger is a malformed message. */
const LIMITS = new Map<number, number>([
  [CAPSULE.CLOSE_WEBTRANSPORT_SESSION, 4 + MAX_CLOSE_MESSAGE_BYTES],
  [CAPSULE.DRAIN_WEBTRANSPORT_SESSION, 0],
  [CAPSULE.DATAGRAM, 65_535],
]);

/** Two varints: at most 16 bytes. */
const MAX_HEADER = 16;

export class CapsuleReader {
  private readonly header = new Uint8Array(MAX_HEADER);
  private headerLength = 0;
  /** The capsule being read: its type (undefined when skipped), bytes left, parts so far. */
  private current: { type: number | undefined; left: number; parts: Uint8Array[] } | undefined;

  /** Feeds the next DATA payload; returns the known capsules it completed. */
  push(chunk: Uint8Array): Capsule[] {
    const out: Capsule[] = [];
    let offset = 0;
    while (offset < chunk.length) {
      if (this.current === undefined) {
        offset = this.readHeader(chunk, offset);
        if (this.current === undefined) break;
      }
      const cur = this.current as { type: number | undefined; left: number; parts: Uint8Array[] };
      const take = Math.min(cur.left, chunk.length - offset);
      if (cur.type !== undefined && take > 0) cur.parts.push(chunk.subarray(offset, offset + take));
      cur.left -= take;
      offset += take;
      if (cur.left === 0) {
        if (cur.type !== undefined) out.push({ type: cur.type, payload: join(cur.parts) });
        this.current = undefined;
      }
    }
    // A zero-length capsule completes with its header.
    if (this.current !== undefined && this.current.left === 0) {
      if (this.current.type !== undefined) out.push({ type: this.current.type, payload: new Uint8Array(0) });
      this.current = undefined;
    }
    return out;
  }

  /** The stream ended: it must not end inside a capsule (RFC 9297 §3.3). */
  end(): void {
    if (this.headerLength > 0 || this.current !== undefined) throw streamError(H3_ERROR.H3_MESSAGE_ERROR, 'the CONNECT stream ended inside a capsule');
  }

  /** Accumulates header bytes until type and length decode; returns the new offset. */
  private readHeader(chunk: Uint8Array, offset: number): number {
    const room = MAX_HEADER - this.headerLength;
    const copied = Math.min(room, chunk.length - offset);
    this.header.set(chunk.subarray(offset, offset + copied), this.headerLength);
    const have = this.headerLength + copied;
    const bytes = this.header.subarray(0, have);
    const type = decodeVarintLoose(bytes, 0);
    const length = type === undefined ? undefined : decodeVarintSafe(bytes, type.length);
    if (type === undefined || length === undefined) {
      this.headerLength = have;
      return offset + copied;
    }
    const used = type.length + length.length - this.headerLength; // bytes of this chunk in the header
    this.headerLength = 0;
    const limit = LIMITS.get(type.value);
    if (limit !== undefined && length.value > limit) {
      throw streamError(H3_ERROR.H3_MESSAGE_ERROR, `capsule 0x${type.value.toString(16)} of ${length.value} bytes (limit ${limit})`);
    }
    this.current = { type: limit === undefined ? undefined : type.value, left: length.value, parts: [] };
    return offset + used;
  }
}

function decodeVarintSafe(bytes: Uint8Array, offset: number): { value: number; length: number } | undefined {
  try {
    return decodeVarint(bytes, offset);
  } catch {
    throw streamError(H3_ERROR.H3_MESSAGE_ERROR, 'capsule length beyond 2^53');
  }
}

export function encodeCapsule(type: number, payload: Uint8Array): Uint8Array {
  return join([encodeVarint(type), encodeVarint(payload.length), payload]);
}

const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** CLOSE_WEBTRANSPORT_SESSION with the code and the reason cut to 1024 bytes on a character boundary. */
export function encodeCloseSession(code: number, reason: string): Uint8Array {
  const message = truncateUtf8(reason, MAX_CLOSE_MESSAGE_BYTES);
  const payload = new Uint8Array(4 + message.length);
  new DataView(payload.buffer).setUint32(0, code >>> 0);
  payload.set(message, 4);
  return encodeCapsule(CAPSULE.CLOSE_WEBTRANSPORT_SESSION, payload);
}

export function decodeCloseSession(payload: Uint8Array): { code: number; reason: string } {
  if (payload.length < 4) throw streamError(H3_ERROR.H3_MESSAGE_ERROR, 'CLOSE_WEBTRANSPORT_SESSION shorter than its error code');
  const code = new DataView(payload.buffer, payload.byteOffset, payload.byteLength).getUint32(0);
  try {
    return { code, reason: strictUtf8.decode(payload.subarray(4)) };
  } catch (err) {
    throw streamError(H3_ERROR.H3_MESSAGE_ERROR, 'CLOSE_WEBTRANSPORT_SESSION message is not UTF-8', err);
  }
}

export function truncateUtf8(text: string, maxBytes: number): Uint8Array {
  const bytes = utf8.encode(text);
  if (bytes.length <= maxBytes) return bytes;
  let end = maxBytes;
  while (end > 0 && ((bytes[end] as number) & 0xc0) === 0x80) end--; // do not split a character
  return bytes.slice(0, end);
}

export function join(parts: readonly Uint8Array[]): Uint8Array {
  return parts.length === 1 ? (parts[0] as Uint8Array) : concatBytes(parts);
}
