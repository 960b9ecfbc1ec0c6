/**
 * QUIC variable-length integers (RFC 9000 §16): the two high bits of the first byte give
 * the length (1, 2, 4 or 8 bytes), the rest is the value, big-endian, up to 2^62-1.
 * HTTP/3 frames, settings, stream types and WebTransport signals all use them.
 *
 * The number API is exact up to Number.MAX_SAFE_INTEGER and throws a VarintError above
 * it; the bigint API covers the full 62-bit range. Decoders return undefined when the
 * buffer ends before the integer does ("need more bytes"), so stream parsers can wait.
 */
import { WwatpError } from '../tree/errors.js';

/** Largest value a varint can carry: 2^62 - 1. */
export const MAX_VARINT = (1n << 62n) - 1n;

export type VarintProblem = 'negative' | 'not-integer' | 'too-large' | 'unsafe' | 'bad-offset';

/** A value that cannot be encoded, or an integer too large for the number API. */
export class VarintError extends WwatpError {
  readonly problem: VarintProblem;

  constructor(problem: VarintProblem, message: string) {
    super('PROTOCOL', message);
    this.name = 'VarintError';
    this.problem = problem;
  }
}

export interface DecodedVarint {
  readonly value: number;
  /** Bytes the integer took (1, 2, 4 or 8). */
  readonly length: number;
}

export interface DecodedBigVarint {
  readonly value: bigint;
  readonly length: number;
}

/** The encoded length announced by a varint's first byte. */
export function varintLengthFromFirstByte(firstByte: number): 1 | 2 | 4 | 8 {
  return (1 << (firstByte >> 6)) as 1 | 2 | 4 | 8;
}

/** Bytes needed to encode `value` in the shortest form. */
export function varintSize(value: number | bigint): 1 | 2 | 4 | 8 {
  const v = checkEncodable(value);
  if (v < 0x40) return 1;
  if (v < 0x4000) return 2;
  if (v < 0x40000000) return 4;
  return 8;
}

/** Encodes `value` in its shortest form. */
export function encodeVarint(value: number | bigint): Uint8Array {
  const out = new Uint8Array(varintSize(value));
  writeVarint(out, 0, value);
  return out;
}

/**
 * Writes `value` at `offset` in its shortest form and returns the offset after it.
 * The caller sizes `target` (varintSize); writing past its end throws VarintError.
 */
export function writeVarint(target: Uint8Array, offset: number, value: number | bigint): number {
  const v = checkEncodable(value);
  const size = varintSize(v);
  if (!Number.isInteger(offset) || offset < 0 || offset + size > target.length) {
    throw new VarintError('bad-offset', `no room for a ${size}-byte varint at offset ${offset}`);
  }
  if (size === 1) {
    target[offset] = Number(v);
  } else if (size === 2) {
    const n = Number(v);
    target[offset] = 0x40 | (n >> 8);
    target[offset + 1] = n & 0xff;
  } else if (size === 4) {
    const n = Number(v);
    target[offset] = 0x80 | (n >>> 24);
    target[offset + 1] = (n >>> 16) & 0xff;
    target[offset + 2] = (n >>> 8) & 0xff;
    target[offset + 3] = n & 0xff;
  } else {
    const big = BigInt(v);
    const hi = Number(big >> 32n);
    const lo = Number(big & 0xffffffffn);
    target[offset] = 0xc0 | (hi >>> 24);
    target[offset + 1] = (hi >>> 16) & 0xff;
    target[offset + 2] = (hi >>> 8) & 0xff;
    target[offset + 3] = hi & 0xff;
    target[offset + 4] = lo >>> 24;
    target[offset + 5] = (lo >>> 16) & 0xff;
    target[offset + 6] = (lo >>> 8) & 0xff;
    target[offset + 7] = lo & 0xff;
  }
  return offset + size;
}

/**
 * Decodes the varint at `offset`, or returns undefined if `bytes` ends first.
 * Throws VarintError when the value exceeds Number.MAX_SAFE_INTEGER (use decodeVarintBig).
 */
export function decodeVarint(bytes: Uint8Array, offset = 0): DecodedVarint | undefined {
  const parts = readParts(bytes, offset);
  if (parts === undefined) return undefined;
  const { length, hi, lo } = parts;
  // hi holds at most 30 bits; hi * 2^32 + lo stays exact while hi < 2^21.
  if (hi >= 0x200000) {
    throw new VarintError('unsafe', `varint at offset ${offset} exceeds 2^53-1; decode it as a bigint`);
  }
  return { value: hi * 0x100000000 + lo, length };
}

/** Decodes the varint at `offset` as a bigint (full 62-bit range), or undefined if truncated. */
export function decodeVarintBig(bytes: Uint8Array, offset = 0): DecodedBigVarint | undefined {
  const parts = readParts(bytes, offset);
  if (parts === undefined) return undefined;
  return { value: (BigInt(parts.hi) << 32n) | BigInt(parts.lo), length: parts.length };
}

/**
 * Decodes the varint at `offset` as a number that is exact up to 2^53-1 and approximate
 * (never below 2^53) above. For identifiers only compared against small known values,
 * such as frame and stream types, where a GREASE value may be huge and is ignored.
 */
export function decodeVarintLoose(bytes: Uint8Array, offset = 0): DecodedVarint | undefined {
  const parts = readParts(bytes, offset);
  if (parts === undefined) return undefined;
  return { value: parts.hi * 0x100000000 + parts.lo, length: parts.length };
}

interface VarintParts {
  readonly length: number;
  readonly hi: number;
  readonly lo: number;
}

function readParts(bytes: Uint8Array, offset: number): VarintParts | undefined {
  if (!Number.isInteger(offset) || offset < 0) {
    throw new VarintError('bad-offset', `bad varint offset ${offset}`);
  }
  if (offset >= bytes.length) return undefined;
  const first = bytes[offset] as number;
  const length = varintLengthFromFirstByte(first);
  if (offset + length > bytes.length) return undefined;
  const b = (i: number): number => bytes[offset + i] as number;
  switch (length) {
    case 1:
      return { length, hi: 0, lo: first & 0x3f };
    case 2:
      return { length, hi: 0, lo: ((first & 0x3f) << 8) | b(1) };
    case 4:
      return { length, hi: 0, lo: ((first & 0x3f) * 0x1000000 + ((b(1) << 16) | (b(2) << 8) | b(3))) };
    default:
      return {
        length,
        hi: (first & 0x3f) * 0x1000000 + ((b(1) << 16) | (b(2) << 8) | b(3)),
        lo: b(4) * 0x1000000 + ((b(5) << 16) | (b(6) << 8) | b(7)),
      };
  }
}

function checkEncodable(value: number | bigint): number | bigint {
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new VarintError('not-integer', `varint value ${value} is not an integer`);
    if (value < 0) throw new VarintError('negative', `varint value ${value} is negative`);
    if (!Number.isSafeInteger(value)) {
      throw new VarintError('unsafe', `varint value ${value} exceeds 2^53-1; pass a bigint`);
    }
    return value;
  }
  if (value < 0n) throw new VarintError('negative', `varint value ${value} is negative`);
  if (value > MAX_VARINT) throw new VarintError('too-large', `varint value ${value} exceeds 2^62-1`);
  return value;
}
