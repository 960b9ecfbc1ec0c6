import { WwatpError } from '../../tree/errors.js';
import { concatBytes } from '../bytes.js';
import { allocTransient } from '../../tree/byte-pool.js';

/**
 * A WWATP stream is a sequence of chunks. Each chunk carries part of one message:
 *
 *   signal (varint) · request id (varint) · flags (u8) · length (varint) · payload
 *
 * flags bit 0 (FIN) marks a message's last chunk. Chunks of different requests may
 * interleave, so a large node never holds up small answers. A message is the
 * concatenation of its chunks' payloads: one CBOR value.
 */
export const FLAG_FIN = 0x01;
export const MAX_CHUNK_PAYLOAD = 64 * 1024;

export interface Chunk {
  readonly signal: number;
  readonly requestId: number;
  readonly fin: boolean;
  readonly payload: Uint8Array;
  /**
   * When present, the payload's bytes as they arrived, in several reads: a consumer that
   * joins chunks anyway (MessageAssembler) takes these and never asks for `payload`,
   * which would join them first.
   */
  readonly parts?: readonly Uint8Array[];
  /** Payload bytes (without joining parts). */
  readonly size: number;
}

/** A chunk whose payload spans reads: joined only if someone asks for it whole. */
class PartedChunk implements Chunk {
  #joined: Uint8Array | undefined;

  constructor(
    readonly signal: number,
    readonly requestId: number,
    readonly fin: boolean,
    readonly parts: readonly Uint8Array[],
    readonly size: number,
  ) {}

  get payload(): Uint8Array {
    this.#joined ??= concatBytes(this.parts, this.size);
    return this.#joined;
  }
}


const MAX_VARINT = 2 ** 53 - 1;

function varintLength(value: number): number {
  if (value < 0x40) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x40000000) return 4;
  return 8;
}

// Byte by byte: a DataView per call cost more than the chunk it framed.
function writeVarint(out: Uint8Array, at: number, value: number): number {
  const len = varintLength(value);
  if (len === 1) {
    out[at] = value;
  } else if (len === 2) {
    out[at] = 0x40 | (value >>> 8);
    out[at + 1] = value & 0xff;
  } else if (len === 4) {
    out[at] = 0x80 | (value >>> 24);
    out[at + 1] = (value >>> 16) & 0xff;
    out[at + 2] = (value >>> 8) & 0xff;
    out[at + 3] = value & 0xff;
  } else {
    const high = Math.floor(value / 2 ** 32);
    out[at] = 0xc0 | (high >>> 24);
    out[at + 1] = (high >>> 16) & 0xff;
    out[at + 2] = (high >>> 8) & 0xff;
    out[at + 3] = high & 0xff;
    out[at + 4] = value >>> 24;
    out[at + 5] = (value >>> 16) & 0xff;
    out[at + 6] = (value >>> 8) & 0xff;
    out[at + 7] = value & 0xff;
  }
  return at + len;
}

/** Encodes one message as chunks of at most MAX_CHUNK_PAYLOAD payload bytes each. */
export function encodeMessage(signal: number, requestId: number, payload: Uint8Array, maxChunk = MAX_CHUNK_PAYLOAD): Uint8Array[] {
  return encodeChunks(signal, requestId, payload, maxChunk, Infinity);
}

/** Parts at least this long go out as views of the payload, after a header of their own. */
const VIEW_AT = 16 * 1024;

/**
 * The bytes of encodeMessage's chunks, to be written in order as one byte sequence: a
 * large part comes as its header, then a view of the payload, so a bulk message is not
 * copied once more on its way to the stream. The elements are not chunks each: never
 * interleave them with another message's.
 */
export function encodeMessageBytes(signal: number, requestId: number, payload: Uint8Array, maxChunk = MAX_CHUNK_PAYLOAD): Uint8Array[] {
  return encodeChunks(signal, requestId, payload, maxChunk, VIEW_AT);
}

function encodeChunks(signal: number, requestId: number, payload: Uint8Array, maxChunk: number, viewAt: number): Uint8Array[] {
  if (!Number.isInteger(requestId) || requestId < 0 || requestId > MAX_VARINT) throw new WwatpError('PROTOCOL', `bad request id ${requestId}`);
  const out: Uint8Array[] = [];
  let offset = 0;
  do {
    const part = payload.subarray(offset, offset + maxChunk);
    offset += part.length;
    const fin = offset >= payload.length;
    const header = varintLength(signal) + varintLength(requestId) + 1 + varintLength(part.length);
    const separate = part.length >= viewAt;
    const chunk = allocTransient(separate ? header : header + part.length);
    let at = writeVarint(chunk, 0, signal);
    at = writeVarint(chunk, at, requestId);
    chunk[at++] = fin ? FLAG_FIN : 0;
    at = writeVarint(chunk, at, part.length);
    out.push(chunk);
    if (separate) out.push(part);
    else chunk.set(part, at);
  } while (offset < payload.length);
  return out;
}

/** Reads a varint at `at`; undefined when more bytes are needed. */
function readVarint(bytes: Uint8Array, at: number): { value: number; next: number } | undefined {
  if (at >= bytes.length) return undefined;
  const first = bytes[at] as number;
  const len = 1 << (first >> 6);
  if (at + len > bytes.length) return undefined;
  let value = first & 0x3f;
  for (let i = 1; i < len; i++) value = value * 256 + (bytes[at + i] as number);
  if (value > MAX_VARINT) throw new WwatpError('PROTOCOL', 'varint larger than 2^53-1');
  return { value, next: at + len };
}

/** Bytes received but not yet parsed: a queue of buffers, so nothing is re-copied per read. */
class ByteQueue {
  // Parts before #first are consumed; an index instead of shift() keeps a stream of tiny
  // reads linear (Array#shift moves the whole array each time).
  #parts: Uint8Array[] = [];
  #first = 0;
  #head = 0;
  length = 0;

  /** Bytes left in the first part (what take() can return without copying). */
  get firstLength(): number {
    const first = this.#parts[this.#first];
    return first === undefined ? 0 : first.length - this.#head;
  }

  push(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.#parts.push(bytes);
    this.length += bytes.length;
  }

  /** Copies up to n bytes from the front without consuming them. */
  peek(n: number): Uint8Array {
    const out = new Uint8Array(Math.min(n, this.length));
    let at = 0;
    let offset = this.#head;
    for (let i = this.#first; i < this.#parts.length && at < out.length; i++) {
      const take = (this.#parts[i] as Uint8Array).subarray(offset, offset + out.length - at);
      out.set(take, at);
      at += take.length;
      offset = 0;
    }
    return out;
  }

  /**
   * Removes the first n bytes (n <= length) and returns them as views of the parts they
   * lie in (parts are the reader's own copies, never written again).
   */
  takeParts(n: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    let left = n;
    let offset = this.#head;
    for (let i = this.#first; left > 0; i++) {
      const part = (this.#parts[i] as Uint8Array).subarray(offset, offset + left);
      out.push(part);
      left -= part.length;
      offset = 0;
    }
    this.#skip(n);
    return out;
  }

  /**
   * Removes and returns the first n bytes (n <= length): a view when they lie in one
   * part (parts are the reader's own copies, never written again), else a copy.
   */
  take(n: number): Uint8Array {
    const first = this.#parts[this.#first];
    const out = first && first.length - this.#head >= n ? first.subarray(this.#head, this.#head + n) : this.peek(n);
    this.#skip(n);
    return out;
  }

  #skip(n: number): void {
    this.length -= n;
    while (n > 0) {
      const first = this.#parts[this.#first] as Uint8Array;
      const left = first.length - this.#head;
      if (n < left) {
        this.#head += n;
        return;
      }
      n -= left;
      this.#first++;
      this.#head = 0;
    }
    if (this.#first > 64 && this.#first * 2 > this.#parts.length) {
      this.#parts = this.#parts.slice(this.#first);
      this.#first = 0;
    }
  }
}

// signal (≤ 8) + request id (≤ 8) + flags (1) + length (≤ 8)
const MAX_HEADER = 25;

/**
 * Splits a byte stream into chunks, whatever the read boundaries, copying each byte
 * about once. Anything malformed (a flags byte with unknown bits, a chunk over the size
 * limit) is a PROTOCOL error: the stream cannot be resynchronised, so the caller fails
 * that stream alone.
 */
export class ChunkReader {
  readonly #queue = new ByteQueue();
  #header: { signal: number; requestId: number; fin: boolean; length: number } | undefined;
  /** A parse error met after good chunks in the same push: thrown on the next call. */
  #failure: unknown;

  /**
   * Adds bytes; returns the chunks they completed. Chunks that precede a malformed one
   * are returned first (so the requests they carry are answered, whatever the read
   * boundaries were); the error is then thrown by check(), the next push() or end().
   */
  push(bytes: Uint8Array): Chunk[] {
    if (this.#failure !== undefined) throw this.#failure;
    this.#queue.push(bytes);
    const chunks: Chunk[] = [];
    try {
      this.#parse(chunks);
    } catch (error) {
      if (chunks.length === 0) throw error;
      this.#failure = error;
    }
    return chunks;
  }

  #parse(chunks: Chunk[]): void {
    for (;;) {
      if (!this.#header) {
        const head = this.#queue.peek(MAX_HEADER);
        const signal = readVarint(head, 0);
        const id = signal && readVarint(head, signal.next);
        if (!id || id.next >= head.length) break;
        const flags = head[id.next] as number;
        if ((flags & ~FLAG_FIN) !== 0) throw new WwatpError('PROTOCOL', `chunk flags 0x${flags.toString(16)} have unknown bits`);
        const length = readVarint(head, id.next + 1);
        if (!length) break;
        if (length.value > MAX_CHUNK_PAYLOAD) throw new WwatpError('PROTOCOL', `chunk of ${length.value} bytes is over the ${MAX_CHUNK_PAYLOAD}-byte limit`);
        this.#queue.take(length.next);
        this.#header = { signal: signal.value, requestId: id.value, fin: (flags & FLAG_FIN) !== 0, length: length.value };
      }
      if (this.#queue.length < this.#header.length) break;
      const { signal, requestId, fin, length } = this.#header;
      this.#header = undefined;
      const first = this.#queue.firstLength;
      if (first >= length) chunks.push({ signal, requestId, fin, payload: this.#queue.take(length), size: length });
      else chunks.push(new PartedChunk(signal, requestId, fin, this.#queue.takeParts(length), length));
    }
  }

  /** Throws the parse error met after the chunks push() last returned, if there was one. */
  check(): void {
    if (this.#failure !== undefined) throw this.#failure;
  }

  /** At the end of the stream: throws a pending parse error, or PROTOCOL when the stream ended inside a chunk. */
  end(): void {
    if (this.#failure !== undefined) throw this.#failure;
    if (this.pending > 0) throw new WwatpError('PROTOCOL', `stream ended inside a chunk (${this.pending} bytes left over)`);
  }

  /** Bytes held waiting for the rest of a chunk; non-zero at end of stream means truncation. */
  get pending(): number {
    return this.#queue.length + (this.#header ? 1 : 0);
  }
}
