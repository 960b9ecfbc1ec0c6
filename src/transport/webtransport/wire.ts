/**
 * Byte layouts that tag streams and datagrams with their session:
 * - stream headers: the signal (bidi, 0x41) or stream type (uni, 0x54), then the session id;
 * - HTTP datagrams (RFC 9297 §2.1): the Quarter Stream ID (session id / 4), then the payload.
 */
import { decodeVarint, encodeVarint, varintSize } from '../varint.js';

export function streamHeader(typeOrSignal: number, sessionId: number): Uint8Array {
  const a = encodeVarint(typeOrSignal);
  const b = encodeVarint(sessionId);
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

export function encodeHttpDatagram(sessionId: number, payload: Uint8Array): Uint8Array {
  const prefix = encodeVarint(sessionId / 4);
  const out = new Uint8Array(prefix.length + payload.length);
  out.set(prefix, 0);
  out.set(payload, prefix.length);
  return out;
}

/** The session id and payload, or undefined when the prefix is truncated or absurd. */
export function decodeHttpDatagram(bytes: Uint8Array): { sessionId: number; payload: Uint8Array } | undefined {
  let quarter;
  try {
    quarter = decodeVarint(bytes, 0);
  } catch {
    return undefined;
  }
  if (quarter === undefined || quarter.value * 4 > Number.MAX_SAFE_INTEGER) return undefined;
  return { sessionId: quarter.value * 4, payload: bytes.subarray(quarter.length) };
}

/** Bytes the datagram prefix takes for this session. */
export function datagramOverhead(sessionId: number): number {
  return varintSize(sessionId / 4);
}
