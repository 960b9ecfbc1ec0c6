/**
 * Checks what a peer sends on its QPACK encoder and decoder streams (RFC 9204 §4.3,
 * §4.4) given that neither side uses a dynamic table: we advertise capacity 0 and never
 * reference the peer's table. Legal traffic is tiny (a capacity of 0, stream
 * cancellations); anything else is a connection error of the stream's error type.
 */
import { ByteQueue } from '../byte-queue.js';
import { connectionError, H3_ERROR } from '../errors.js';
import { QpackFormatError } from './format-error.js';
import { decodePrefixedInt } from './integer.js';

/** Reads instructions from a peer's encoder stream; throws QPACK_ENCODER_STREAM_ERROR. */
export class EncoderStreamChecker {
  private readonly queue = new ByteQueue();

  /** `maxCapacity` is the SETTINGS_QPACK_MAX_TABLE_CAPACITY we advertised (0). */
  constructor(private readonly maxCapacity = 0) {}

  push(chunk: Uint8Array): void {
    this.queue.push(chunk);
    for (;;) {
      const head = this.queue.peek(16);
      if (head.length === 0) return;
      const first = head[0] as number;
      if ((first & 0xe0) !== 0x20) {
        // Insert with name reference (1xxxxxxx), with literal name (01xxxxxx) or
        // Duplicate (000xxxxx): every insert overflows a table of capacity 0.
        throw connectionError(H3_ERROR.QPACK_ENCODER_STREAM_ERROR, 'insert into a dynamic table we gave no capacity');
      }
      // Set Dynamic Table Capacity: 001 capacity(5).
      const capacity = readInt(head, 5, H3_ERROR.QPACK_ENCODER_STREAM_ERROR);
      if (capacity === undefined) return;
      if (capacity.value > this.maxCapacity) {
        throw connectionError(H3_ERROR.QPACK_ENCODER_STREAM_ERROR, `dynamic table capacity ${capacity.value} exceeds ${this.maxCapacity}`);
      }
      this.queue.skip(capacity.length);
    }
  }
}

/** Reads instructions from a peer's decoder stream; throws QPACK_DECODER_STREAM_ERROR. */
export class DecoderStreamChecker {
  private readonly queue = new ByteQueue();
  /** Stream ids the peer cancelled (informational; we keep no per-stream QPACK state). */
  cancelledStreams = 0;

  push(chunk: Uint8Array): void {
    this.queue.push(chunk);
    for (;;) {
      const head = this.queue.peek(16);
      if (head.length === 0) return;
      const first = head[0] as number;
      if ((first & 0x80) !== 0) {
        // Section Acknowledgment: we never send a section with a non-zero Required Insert Count.
        throw connectionError(H3_ERROR.QPACK_DECODER_STREAM_ERROR, 'Section Acknowledgment for a section that needs none');
      }
      if ((first & 0x40) === 0) {
        // Insert Count Increment: we never insert.
        throw connectionError(H3_ERROR.QPACK_DECODER_STREAM_ERROR, 'Insert Count Increment beyond what we inserted (nothing)');
      }
      // Stream Cancellation: 01 stream id(6). Nothing to release.
      const id = readInt(head, 6, H3_ERROR.QPACK_DECODER_STREAM_ERROR);
      if (id === undefined) return;
      this.cancelledStreams += 1;
      this.queue.skip(id.length);
    }
  }
}

function readInt(head: Uint8Array, prefixBits: number, code: number): { value: number; length: number } | undefined {
  try {
    const result = decodePrefixedInt(head, 0, prefixBits);
    // peek(16) covers any valid integer; running out there means a malformed one.
    if (result === undefined && head.length >= 16) throw new QpackFormatError('integer too long');
    return result;
  } catch (err) {
    if (err instanceof QpackFormatError) throw connectionError(code, err.message, err);
    throw err;
  }
}
