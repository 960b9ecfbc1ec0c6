/**
 * A cursor over CBOR bytes for the fast readers (cbor-node-reader.ts, the payload map in
 * transport/wwatp/payloads.ts). It reads only plain CBOR: definite lengths, no tags, no
 * floats, integers below 2^53, text that is well-formed UTF-8. On anything else it throws
 * UNUSUAL, and the caller decodes the same bytes with the generic decoder (cbor-x), which
 * accepts them or rejects them with its own exact error. So the fast path never decides
 * what is valid; it only skips work when the input is ordinary.
 */
import { spellsAscii } from './bytes.js';

/** Thrown (one shared object, made once) when the input is not the plain CBOR read here. */
const UNUSUAL = new Error('CBOR outside the plain subset the fast readers take');

export const MAJOR_UINT = 0;
export const MAJOR_BYTES = 2;
export const MAJOR_TEXT = 3;
export const MAJOR_ARRAY = 4;
export const MAJOR_MAP = 5;
const MAJOR_SIMPLE = 7;
const SIMPLE_FALSE = 20;

/** Whole initial bytes of the simple values false, true and null. */
export const CBOR_FALSE = 0xf4;
export const CBOR_TRUE = 0xf5;
export const CBOR_NULL = 0xf6;

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
// Node's Buffer turns ASCII bytes into a string fastest; browsers (the bundled client)
// have no Buffer and build short strings from char codes instead.
const NodeBuffer = (globalThis as { Buffer?: typeof Buffer }).Buffer;
const CHAR_CODES_MAX = 1024;

export class CborCursor {
  /** The major type of the head read last. */
  major = 0;
  readonly #latin1: Buffer | undefined;

  constructor(
    readonly bytes: Uint8Array,
    public pos: number,
    readonly end: number,
  ) {
    this.#latin1 = NodeBuffer?.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get atEnd(): boolean {
    return this.pos === this.end;
  }

  /** Reads a head: sets `major` and returns its argument (a length, a value, or a simple value). */
  head(): number {
    const b = this.bytes;
    if (this.pos >= this.end) throw UNUSUAL;
    const first = b[this.pos++] as number;
    this.major = first >> 5;
    const info = first & 31;
    if (info < 24) return info;
    // Floats (major 7 with 25-27) and simple values past 23 are left to the generic decoder.
    if (this.major === MAJOR_SIMPLE) throw UNUSUAL;
    const at = this.pos;
    if (info === 24 && at + 1 <= this.end) {
      this.pos = at + 1;
      return b[at] as number;
    }
    if (info === 25 && at + 2 <= this.end) {
      this.pos = at + 2;
      return ((b[at] as number) << 8) | (b[at + 1] as number);
    }
    if (info === 26 && at + 4 <= this.end) {
      this.pos = at + 4;
      return (b[at] as number) * 0x1000000 + (((b[at + 1] as number) << 16) | ((b[at + 2] as number) << 8) | (b[at + 3] as number));
    }
    if (info === 27 && at + 8 <= this.end) {
      const high = (b[at] as number) * 0x1000000 + (((b[at + 1] as number) << 16) | ((b[at + 2] as number) << 8) | (b[at + 3] as number));
      if (high >= 0x200000) throw UNUSUAL; // 2^53 and up: not a safe JS number
      this.pos = at + 8;
      const low = (b[at + 4] as number) * 0x1000000 + (((b[at + 5] as number) << 16) | ((b[at + 6] as number) << 8) | (b[at + 7] as number));
      return high * 0x100000000 + low;
    }
    // Indefinite lengths (31), reserved values (28-30), or a head cut short.
    throw UNUSUAL;
  }

  /** A head of the given major type; returns its argument. */
  expect(major: number): number {
    const n = this.head();
    if (this.major !== major) throw UNUSUAL;
    return n;
  }

  /** An array or map head of exactly `length` entries. */
  expectLength(major: number, length: number): void {
    if (this.expect(major) !== length) throw UNUSUAL;
  }

  /** Stops reading: the input is valid CBOR, but for the generic decoder to judge. */
  giveUp(): never {
    throw UNUSUAL;
  }

  uint(): number {
    return this.expect(MAJOR_UINT);
  }

  /** Steps over `n` bytes, returning where they start. */
  take(n: number): number {
    const at = this.pos;
    if (n > this.end - at) throw UNUSUAL;
    this.pos = at + n;
    return at;
  }

  text(): string {
    const n = this.expect(MAJOR_TEXT);
    const at = this.take(n);
    const b = this.bytes;
    for (let i = at; i < at + n; i++) if ((b[i] as number) >= 0x80) return this.#utf8(at, n);
    if (this.#latin1) return this.#latin1.toString('latin1', at, at + n);
    return n <= CHAR_CODES_MAX ? String.fromCharCode.apply(null, b.subarray(at, at + n) as unknown as number[]) : this.#utf8(at, n);
  }

  /**
   * Text; `likely` itself when the bytes spell it (ASCII only), so the many nodes that
   * repeat a property name or a policy share one string instead of each making its own.
   */
  textLike(likely: string | undefined): string {
    if (likely !== undefined && likely.length < 24 && this.bytes[this.pos] === (0x60 | likely.length) && spellsAscii(this.bytes, this.pos + 1, this.end, likely)) {
      this.pos += 1 + likely.length;
      return likely;
    }
    return this.text();
  }

  /** Steps over a null if one comes next. */
  nul(): boolean {
    if (this.pos >= this.end || this.bytes[this.pos] !== CBOR_NULL) return false;
    this.pos++;
    return true;
  }

  /** Text, or undefined for null. */
  optText(): string | undefined {
    return this.nul() ? undefined : this.text();
  }

  /** A byte string, as a view of the input. */
  byteString(): Uint8Array {
    const n = this.expect(MAJOR_BYTES);
    const at = this.take(n);
    return new Uint8Array(this.bytes.buffer, this.bytes.byteOffset + at, n);
  }

  /** Steps over one whole data item. */
  skipItem(): void {
    let items = 1;
    while (items > 0) {
      items--;
      const n = this.head();
      switch (this.major) {
        case MAJOR_BYTES:
        case MAJOR_TEXT:
          this.take(n);
          break;
        case MAJOR_ARRAY:
          items += n;
          break;
        case MAJOR_MAP:
          items += 2 * n;
          break;
        case MAJOR_UINT:
        case 1: // negative integer
          break;
        case MAJOR_SIMPLE:
          if (n < SIMPLE_FALSE) throw UNUSUAL; // unassigned simple values
          break;
        default: // tags
          throw UNUSUAL;
      }
    }
  }

  #utf8(at: number, n: number): string {
    // A leading byte order mark: decoders differ on keeping it, so the generic one decides.
    if (this.bytes[at] === 0xef && this.bytes[at + 1] === 0xbb && this.bytes[at + 2] === 0xbf) throw UNUSUAL;
    try {
      return utf8.decode(this.bytes.subarray(at, at + n));
    } catch {
      throw UNUSUAL;
    }
  }
}
