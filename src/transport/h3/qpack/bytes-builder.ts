/** An append-only byte buffer that grows by doubling; encoders build field sections in it. */
export class BytesBuilder {
  private buf: Uint8Array;
  private len = 0;

  constructor(initial = 64) {
    this.buf = new Uint8Array(initial);
  }

  get length(): number {
    return this.len;
  }

  byte(b: number): void {
    this.reserve(1);
    this.buf[this.len++] = b;
  }

  bytes(bytes: ArrayLike<number>): void {
    this.reserve(bytes.length);
    this.buf.set(bytes, this.len);
    this.len += bytes.length;
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }
}
