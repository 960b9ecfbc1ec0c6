/**
 * Small adapters over the QUIC stream interface: reading a stream's leading varint (uni
 * stream type, or an extension's bidi signal such as WebTransport's 0x41) and handing the
 * stream on with the bytes read past it pushed back; mapping QUIC read errors to codes.
 */
import type { QuicBidiStream, QuicReadable, QuicUniRecvStream } from '../quic/types.js';
import { concatBytes } from '../bytes.js';
import { decodeVarintLoose, varintLengthFromFirstByte } from '../varint.js';
import { H3Error } from './errors.js';

/**
 * The application error code a QUIC stream error carries (the peer's RESET_STREAM or
 * STOP_SENDING code), or undefined when the error is not a stream abort (e.g. the
 * connection closed). Our QUIC layer's QuicStreamAbortedError has `applicationCode`;
 * the other names cover other bindings and test doubles.
 */
export function quicErrorCode(err: unknown): number | undefined {
  if (err instanceof H3Error) return err.h3Code;
  if (typeof err !== 'object' || err === null) return undefined;
  const record = err as Record<string, unknown>;
  for (const key of ['applicationCode', 'appCode', 'applicationErrorCode', 'errorCode', 'code']) {
    const value = record[key];
    if (typeof value === 'number' && Number.isInteger(value)) return value;
    if (typeof value === 'bigint') return Number(value);
  }
  return undefined;
}

/** A readable that yields pushed-back chunks before continuing with its source. */
export class PushbackReadable implements QuicReadable {
  private readonly pending: Uint8Array[];

  /** `ended`: the source already returned its end, so do not read it again. */
  constructor(private readonly source: QuicReadable, pending: Uint8Array[] = [], private readonly ended = false) {
    this.pending = pending.filter((c) => c.length > 0);
  }

  unshift(...chunks: Uint8Array[]): void {
    this.pending.unshift(...chunks.filter((c) => c.length > 0));
  }

  read(): Promise<Uint8Array | undefined> {
    const next = this.pending.shift();
    if (next !== undefined) return Promise.resolve(next);
    return this.ended ? Promise.resolve(undefined) : this.source.read();
  }

  stopSending(code: number): void {
    this.pending.length = 0;
    this.source.stopSending(code);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    for (;;) {
      const chunk = await this.read();
      if (chunk === undefined) return;
      yield chunk;
    }
  }
}

export interface LeadingVarint {
  /**
   * Exact below 2^53; larger (GREASE) values are approximate, which only unknown types
   * reach. -1 when the stream ended inside the varint (`unread` then holds those bytes).
   */
  readonly value: number;
  /** The stream positioned just after the varint. */
  readonly rest: PushbackReadable;
  /** The same stream positioned before the varint (use this or `rest`, not both). */
  readonly unread: PushbackReadable;
}

/** Reads the varint a stream starts with; undefined if the stream ends before its first byte. */
export async function readLeadingVarint(source: QuicReadable): Promise<LeadingVarint | undefined> {
  const chunks: Uint8Array[] = [];
  let have = 0;
  for (;;) {
    const first = chunks[0];
    if (first !== undefined && have >= varintLengthFromFirstByte(first[0] as number)) break;
    const chunk = await source.read();
    if (chunk === undefined) {
      if (have === 0) return undefined;
      const partial = new PushbackReadable(source, chunks, true);
      return { value: -1, rest: partial, unread: partial };
    }
    if (chunk.length === 0) continue;
    chunks.push(chunk);
    have += chunk.length;
  }
  const joined = chunks.length === 1 ? (chunks[0] as Uint8Array) : concatBytes(chunks);
  const decoded = decodeVarintLoose(joined, 0) as { value: number; length: number };
  return {
    value: decoded.value,
    rest: new PushbackReadable(source, [joined.subarray(decoded.length)]),
    unread: new PushbackReadable(source, [joined]),
  };
}

/** A uni stream handed to an extension after its type. */
export function uniStreamAfterType(id: number, rest: PushbackReadable): QuicUniRecvStream {
  return {
    id,
    kind: 'uni-recv',
    read: () => rest.read(),
    stopSending: (code) => rest.stopSending(code),
    [Symbol.asyncIterator]: () => rest[Symbol.asyncIterator](),
  };
}

/** A bidi stream handed to an extension after its signal; writes go straight through. */
export function bidiStreamAfterSignal(stream: QuicBidiStream, rest: PushbackReadable): QuicBidiStream {
  return {
    id: stream.id,
    kind: 'bidi',
    read: () => rest.read(),
    stopSending: (code) => rest.stopSending(code),
    [Symbol.asyncIterator]: () => rest[Symbol.asyncIterator](),
    write: (bytes) => stream.write(bytes),
    end: () => stream.end(),
    reset: (code) => stream.reset(code),
  };
}


/** Waits for `promise` to settle, or `ms`, whichever comes first; never rejects. */
export async function waitAtMost(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  await Promise.race([promise.then(() => undefined, () => undefined), timeout]);
  clearTimeout(timer);
}
