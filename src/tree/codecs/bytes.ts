import { WwatpError } from '../errors.js';

const utf8Encoder = new TextEncoder();
// ignoreBOM keeps a leading U+FEFF as text rather than silently dropping it.
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

// A lone UTF-16 surrogate cannot be encoded as UTF-8; TextEncoder would silently swap it for U+FFFD.
const LONE_SURROGATE = /\p{Surrogate}/u;

export function isWellFormed(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}

/**
 * Whether bytes[at, end) begin with `text` spelt in ASCII. A character past ASCII never
 * matches: its code could equal a byte of some other text's UTF-8 ('Ã©' and 'é').
 */
export function spellsAscii(bytes: Uint8Array, at: number, end: number, text: string): boolean {
  const n = text.length;
  if (at + n > end) return false;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x80 || bytes[at + i] !== c) return false;
  }
  return true;
}

export function utf8(text: string): Uint8Array {
  return utf8Encoder.encode(text);
}

/** Decodes UTF-8, refusing malformed sequences rather than substituting U+FFFD. */
export function fromUtf8(bytes: Uint8Array): string {
  try {
    return utf8Decoder.decode(bytes);
  } catch (cause) {
    throw new WwatpError('MALFORMED', 'invalid UTF-8 text', { cause });
  }
}

/** A growable little-endian byte writer. */
export class ByteWriter {
  #buf: Uint8Array;
  #view: DataView;
  #len = 0;

  constructor(initial = 256) {
    this.#buf = new Uint8Array(initial);
    this.#view = new DataView(this.#buf.buffer);
  }

  get length(): number {
    return this.#len;
  }

  #reserve(n: number): number {
    const at = this.#len;
    const need = at + n;
    if (need > this.#buf.length) {
      const next = new Uint8Array(Math.max(need, this.#buf.length * 2));
      next.set(this.#buf.subarray(0, at));
      this.#buf = next;
      this.#view = new DataView(next.buffer);
    }
    this.#len = need;
    return at;
  }

  u8(value: number): this {
    const at = this.#reserve(1);
    this.#buf[at] = value;
    return this;
  }

  u16(value: number): this {
    const at = this.#reserve(2);
    this.#view.setUint16(at, value, true);
    return this;
  }

  u32(value: number): this {
    const at = this.#reserve(4);
    this.#view.setUint32(at, value, true);
    return this;
  }

  raw(bytes: Uint8Array): this {
    // Reserve first: growing replaces #buf, which must not be read before that.
    const at = this.#reserve(bytes.length);
    this.#buf.set(bytes, at);
    return this;
  }

  /** Length-value bytes: u32 little-endian length, then the bytes. */
  lv(bytes: Uint8Array): this {
    return this.u32(bytes.length).raw(bytes);
  }

  lvString(text: string): this {
    return this.lv(utf8(text));
  }

  /** Overwrites a u32 written earlier (for lengths known only afterwards). */
  patchU32(at: number, value: number): void {
    this.#view.setUint32(at, value, true);
  }

  finish(): Uint8Array {
    return this.#buf.slice(0, this.#len);
  }
}

/** A bounds-checked little-endian reader: running past the end is MALFORMED, never a crash. */
export class ByteReader {
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  #pos: number;
  readonly #end: number;

  constructor(bytes: Uint8Array, start = 0, end = bytes.length) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#pos = start;
    this.#end = end;
  }

  get position(): number {
    return this.#pos;
  }

  get remaining(): number {
    return this.#end - this.#pos;
  }

  #take(n: number, what: string): number {
    if (n > this.#end - this.#pos) {
      throw new WwatpError('MALFORMED', `truncated input: ${what} needs ${n} bytes, ${this.#end - this.#pos} left`);
    }
    const at = this.#pos;
    this.#pos += n;
    return at;
  }

  u8(what = 'a byte'): number {
    return this.#bytes[this.#take(1, what)] as number;
  }

  u16(what = 'a u16'): number {
    return this.#view.getUint16(this.#take(2, what), true);
  }

  u32(what = 'a u32'): number {
    return this.#view.getUint32(this.#take(4, what), true);
  }

  raw(n: number, what = 'bytes'): Uint8Array {
    const at = this.#take(n, what);
    return this.#bytes.subarray(at, at + n);
  }

  lv(what = 'a length-value field', limit = Number.MAX_SAFE_INTEGER): Uint8Array {
    const n = this.u32(`the length of ${what}`);
    if (n > limit) throw new WwatpError('TOO_LARGE', `${what} is ${n} bytes, over the limit of ${limit}`);
    return this.raw(n, what);
  }

  lvString(what = 'a string'): string {
    return fromUtf8(this.lv(what));
  }
}
