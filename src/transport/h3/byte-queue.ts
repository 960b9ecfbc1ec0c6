/**
 * A FIFO of received chunks that parsers read from without concatenating everything:
 * bytes are copied only when a value straddles chunk boundaries.
 */
export class ByteQueue {
  private chunks: Uint8Array[] = [];
  /** Read position inside chunks[0]. */
  private head = 0;
  private total = 0;

  get length(): number {
    return this.total;
  }

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.total += chunk.length;
  }

  /**
   * Up to `max` leading bytes without consuming them, copied only if they straddle chunks.
   * Parsers peek a few bytes (a varint or frame header) this way.
   */
  peek(max: number): Uint8Array {
    const want = Math.min(max, this.total);
    const first = this.chunks[0];
    if (first === undefined || want === 0) return new Uint8Array(0);
    if (first.length - this.head >= want) return first.subarray(this.head, this.head + want);
    const out = new Uint8Array(want);
    let filled = 0;
    let index = 0;
    let start = this.head;
    while (filled < want) {
      const chunk = this.chunks[index] as Uint8Array;
      const n = Math.min(chunk.length - start, want - filled);
      out.set(chunk.subarray(start, start + n), filled);
      filled += n;
      index += 1;
      start = 0;
    }
    return out;
  }

  /** Consumes exactly `n` bytes (n <= length), copying only across chunk boundaries. */
  take(n: number): Uint8Array {
    if (n > this.total) throw new RangeError(`take(${n}) with only ${this.total} bytes queued`);
    const out = this.peek(n);
    this.skip(n);
    return out;
  }

  /** Consumes up to `max` bytes from the first chunk only (never copies). */
  takeSome(max: number): Uint8Array {
    const first = this.chunks[0];
    if (first === undefined || max <= 0) return new Uint8Array(0);
    const n = Math.min(max, first.length - this.head);
    const out = first.subarray(this.head, this.head + n);
    this.skip(n);
    return out;
  }

  /** Drops up to `n` bytes; returns how many were dropped. */
  skip(n: number): number {
    let left = Math.min(n, this.total);
    const dropped = left;
    while (left > 0) {
      const first = this.chunks[0] as Uint8Array;
      const available = first.length - this.head;
      if (available > left) {
        this.head += left;
        left = 0;
      } else {
        left -= available;
        this.chunks.shift();
        this.head = 0;
      }
    }
    this.total -= dropped;
    return dropped;
  }

  /** Everything still queued, consumed (used when handing a stream to an extension). */
  drain(): Uint8Array[] {
    const out: Uint8Array[] = [];
    const first = this.chunks[0];
    if (first !== undefined) out.push(first.subarray(this.head), ...this.chunks.slice(1));
    this.chunks = [];
    this.head = 0;
    this.total = 0;
    return out;
  }
}
