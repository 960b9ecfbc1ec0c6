/**
 * Writes one HTTP message onto a request stream: HEADERS, DATA frames, optional trailers,
 * FIN. Operations are queued so callers may fire writes without awaiting each; the first
 * failure rejects everything after it.
 */
import type { QuicWritable } from '../quic/types.js';
import { SerialWrites } from '../serial-writes.js';
import { H3_ERROR, H3Error, streamError } from './errors.js';
import { encodeDataFrameTransient, encodeFrame, encodeFrameHeader, FRAME } from './frames.js';
import { fieldSectionSize, type HeaderList } from './headers.js';
import { encodeFieldSection } from './qpack/encoder.js';
import { quicErrorCode } from './stream-util.js';
import { validateTrailers } from './validate.js';

/** Payloads below this are copied next to their frame header and written once. */
const COALESCE_BELOW = 4096;

export interface BodyWriterOptions {
  readonly huffman: boolean;
  /** The peer's SETTINGS_MAX_FIELD_SECTION_SIZE as known now (Infinity if unknown). */
  readonly peerMaxFieldSectionSize: () => number;
  /** Called once when the message is finished (FIN sent) or abandoned (reset). */
  readonly onDone?: () => void;
}

type WriterState = 'idle' | 'open' | 'ended' | 'reset';

export class H3BodyWriter {
  private state: WriterState = 'idle';
  /** The last operation with its failure as an H3Error: what an empty write or a repeated end() answers. */
  private tail: Promise<void> = Promise.resolve();
  /** Orders the operations, starting one at once when none is unfinished (see SerialWrites). */
  private readonly writes = new SerialWrites();

  constructor(private readonly stream: QuicWritable, private readonly options: BodyWriterOptions) {}

  /** Puts what was written so far on the wire now (see QuicWritable.sendNow). */
  sendNow(): void {
    this.stream.sendNow?.();
  }

  /** True once HEADERS were queued. */
  get headersSent(): boolean {
    return this.state !== 'idle';
  }

  get finished(): boolean {
    return this.state === 'ended' || this.state === 'reset';
  }

  /** Queues a HEADERS frame (the message head, an interim response, or trailers via end()). */
  async writeHeaders(fields: HeaderList): Promise<void> {
    this.assertWritable('headers');
    const size = fieldSectionSize(fields);
    const limit = this.options.peerMaxFieldSectionSize();
    if (size > limit) {
      throw streamError(H3_ERROR.H3_EXCESSIVE_LOAD, `field section of ${size} bytes exceeds the peer's ${limit}`);
    }
    const frame = headersFrame(fields, this.options.huffman !== false);
    if (this.state === 'idle') this.state = 'open';
    return this.enqueue(() => this.stream.write(frame));
  }

  /** Queues one DATA frame carrying `bytes`. Safe to call without awaiting; order is kept. */
  async write(bytes: Uint8Array): Promise<void> {
    this.assertWritable('data');
    if (this.state === 'idle') throw new H3Error(H3_ERROR.H3_INTERNAL_ERROR, 'stream', 'DATA before HEADERS');
    if (bytes.length === 0) return this.tail;
    if (bytes.length < COALESCE_BELOW) {
      const frame = encodeDataFrameTransient(bytes);
      return this.enqueue(() => this.stream.write(frame));
    }
    const header = encodeFrameHeader(FRAME.DATA, bytes.length);
    return this.enqueue(async () => {
      await this.stream.write(header);
      await this.stream.write(bytes);
    });
  }

  /** Queues optional trailers, then FIN; resolves once everything was accepted. */
  async end(trailers?: HeaderList): Promise<void> {
    if (this.state === 'ended') return this.tail;
    if (this.state === 'idle') throw new H3Error(H3_ERROR.H3_INTERNAL_ERROR, 'stream', 'end before HEADERS');
    this.assertWritable('end');
    if (trailers !== undefined) validateTrailers(trailers);
    const sentTrailers = trailers !== undefined && trailers.length > 0 ? this.writeHeaders(trailers) : undefined;
    this.state = 'ended';
    try {
      await sentTrailers;
      await this.enqueue(() => this.stream.end());
    } catch (err) {
      // A message cut short must not look complete to the peer.
      this.reset(H3_ERROR.H3_INTERNAL_ERROR);
      throw err;
    } finally {
      this.options.onDone?.();
    }
  }

  /** Abandons the message (RESET_STREAM); queued writes are dropped. */
  reset(code: number = H3_ERROR.H3_REQUEST_CANCELLED): void {
    if (this.state === 'reset') return;
    const wasEnded = this.state === 'ended';
    this.state = 'reset';
    try {
      this.stream.reset(code);
    } catch {
      // The connection may already be gone; nothing left to abandon.
    }
    if (!wasEnded) this.options.onDone?.();
  }

  private assertWritable(what: string): void {
    if (this.state === 'ended' || this.state === 'reset') {
      throw new H3Error(H3_ERROR.H3_INTERNAL_ERROR, 'stream', `${what} after the message was ${this.state}`);
    }
  }

  private enqueue(op: () => Promise<void>): Promise<void> {
    const next = this.writes.run(op).catch((err: unknown) => {
      throw asWriteError(err);
    });
    // SerialWrites fails every later operation after this one fails (so end() reports it);
    // marked handled so callers may fire writes without awaiting each.
    next.catch(() => undefined);
    this.tail = next;
    return next;
  }
}

/** A write the peer refused (STOP_SENDING) becomes an H3Error with the peer's code. */
function asWriteError(err: unknown): unknown {
  if (err instanceof H3Error) return err;
  const code = quicErrorCode(err);
  if (code === undefined) return err;
  return new H3Error(code, 'stream', 'the peer stopped reading this stream', { cause: err, remote: true });
}

/**
 * Encoded HEADERS frames by their fields. A client sends the same request head on every
 * request stream and a server the same response head, and Huffman-coding them anew each
 * time cost more than the rest of the frame work. Field values cannot hold NUL (they are
 * validated), so NUL separates the parts of the key unambiguously. Frames are only read.
 */
const headerFrames = new Map<string, Uint8Array>();
const HEADER_FRAMES_KEPT = 256;

function headersFrame(fields: HeaderList, huffman: boolean): Uint8Array {
  let key = huffman ? 'h' : 'p';
  for (const [name, value] of fields) key += `\u0000${name}\u0000${value}`;
  let frame = headerFrames.get(key);
  if (frame === undefined) {
    frame = encodeFrame(FRAME.HEADERS, encodeFieldSection(fields, { huffman }));
    if (headerFrames.size >= HEADER_FRAMES_KEPT) headerFrames.clear();
    headerFrames.set(key, frame);
  }
  return frame;
}
