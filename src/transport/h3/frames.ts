/**
 * HTTP/3 frame types (RFC 9114 §7.2) and encoders. A frame is
 * type (varint) · length (varint) · payload. Decoding lives in frame-reader.ts.
 */
import { allocTransient } from '../../tree/byte-pool.js';
import { encodeVarint, varintSize, writeVarint } from '../varint.js';

export const FRAME = {
  DATA: 0x0,
  HEADERS: 0x1,
  CANCEL_PUSH: 0x3,
  SETTINGS: 0x4,
  PUSH_PROMISE: 0x5,
  GOAWAY: 0x7,
  MAX_PUSH_ID: 0xd,
} as const;

/** HTTP/2 frame types with no HTTP/3 meaning; receiving one is H3_FRAME_UNEXPECTED (§7.2.8). */
export const HTTP2_ONLY_FRAME_TYPES: ReadonlySet<number> = new Set([0x2, 0x6, 0x8, 0x9]);

const KNOWN: ReadonlySet<number> = new Set(Object.values(FRAME));

/** True for the frame types this layer interprets (all others are skipped unread). */
export function isKnownFrameType(type: number): boolean {
  return KNOWN.has(type);
}

/**
 * Reserved ("GREASE") identifiers 0x1f * N + 0x21 (RFC 9114 §7.2.8, §6.2.3, §7.2.4.1):
 * peers send them to check that unknown values are ignored, and so do we.
 */
export function isReservedIdentifier(value: number | bigint): boolean {
  const v = BigInt(value);
  return v >= 0x21n && (v - 0x21n) % 0x1fn === 0n;
}

/** A random reserved identifier, kept below 2^53 so every layer handles it as a number. */
export function randomReservedIdentifier(random: () => number = Math.random): number {
  return 0x1f * Math.floor(random() * 0x100000000) + 0x21;
}

/** Type and length of a frame whose payload the caller sends separately (DATA bodies). */
export function encodeFrameHeader(type: number, payloadLength: number): Uint8Array {
  const out = new Uint8Array(varintSize(type) + varintSize(payloadLength));
  writeVarint(out, writeVarint(out, 0, type), payloadLength);
  return out;
}

/**
 * A DATA frame about to be written, in a pooled buffer (see allocTransient): for the
 * body writer, whose frames live only until QUIC has copied them.
 */
export function encodeDataFrameTransient(payload: Uint8Array): Uint8Array {
  const headerSize = varintSize(FRAME.DATA) + varintSize(payload.length);
  const out = allocTransient(headerSize + payload.length);
  writeVarint(out, writeVarint(out, 0, FRAME.DATA), payload.length);
  out.set(payload, headerSize);
  return out;
}

/** A whole frame in one buffer. */
export function encodeFrame(type: number, payload: Uint8Array): Uint8Array {
  const headerSize = varintSize(type) + varintSize(payload.length);
  const out = new Uint8Array(headerSize + payload.length);
  writeVarint(out, writeVarint(out, 0, type), payload.length);
  out.set(payload, headerSize);
  return out;
}

export function encodeDataFrame(payload: Uint8Array): Uint8Array {
  return encodeFrame(FRAME.DATA, payload);
}

/** HEADERS carrying an encoded QPACK field section. */
export function encodeHeadersFrame(fieldSection: Uint8Array): Uint8Array {
  return encodeFrame(FRAME.HEADERS, fieldSection);
}

/** GOAWAY: a client-initiated bidi stream id from a server, a push id from a client. */
export function encodeGoawayFrame(id: number): Uint8Array {
  return encodeFrame(FRAME.GOAWAY, encodeVarint(id));
}

export function encodeMaxPushIdFrame(pushId: number): Uint8Array {
  return encodeFrame(FRAME.MAX_PUSH_ID, encodeVarint(pushId));
}

export function encodeCancelPushFrame(pushId: number): Uint8Array {
  return encodeFrame(FRAME.CANCEL_PUSH, encodeVarint(pushId));
}

/** A reserved frame type with a short random payload: sent to exercise peers' skipping. */
export function encodeGreaseFrame(random: () => number = Math.random): Uint8Array {
  const payload = new Uint8Array(Math.floor(random() * 8));
  for (let i = 0; i < payload.length; i++) payload[i] = Math.floor(random() * 256);
  return encodeFrame(randomReservedIdentifier(random), payload);
}
