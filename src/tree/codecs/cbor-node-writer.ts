/**
 * The wire form of many nodes (see cbor-node.ts) written straight from their states into
 * one buffer: no intermediate arrays per node and no generic encoder. For a 10,000-node
 * answer those arrays and cbor-x's walk over them were most of the encoding time and a
 * good share of the garbage. The bytes are the ones cbor-x writes for the same value
 * (shortest heads, definite lengths), which a test checks.
 */
import { stateOf, type NodeState, type TreeNode } from '../tree-node.js';
import { allocTransient } from '../byte-pool.js';
import { CBOR_NULL } from './cbor-cursor.js';

const MAJOR_UINT = 0x00;
const MAJOR_BYTES = 0x40;
const MAJOR_TEXT = 0x60;
const MAJOR_ARRAY = 0x80;
const MAJOR_MAP = 0xa0;
const utf8 = new TextEncoder();

export class CborWriter {
  #buf: Uint8Array;
  #pos = 0;

  /** `transient`: the bytes are a message about to be sent, and may share a slab (allocTransient). */
  constructor(sizeHint = 4096, transient = false) {
    const size = Math.max(64, sizeHint);
    this.#buf = transient ? allocTransient(size) : new Uint8Array(size);
  }

  /** The bytes written so far (a view of this writer's buffer). */
  bytes(): Uint8Array {
    return this.#buf.subarray(0, this.#pos);
  }

  raw(bytes: Uint8Array): void {
    this.#room(bytes.length);
    this.#buf.set(bytes, this.#pos);
    this.#pos += bytes.length;
  }

  uint(n: number): void {
    this.#head(MAJOR_UINT, n);
  }

  array(length: number): void {
    this.#head(MAJOR_ARRAY, length);
  }

  /** A map head with a two-byte length, the form cbor-x gives every object (below 65,536 pairs). */
  map16(pairs: number): void {
    this.#room(3);
    const buf = this.#buf;
    buf[this.#pos++] = MAJOR_MAP | 25;
    buf[this.#pos++] = pairs >>> 8;
    buf[this.#pos++] = pairs & 0xff;
  }

  nul(): void {
    this.#room(1);
    this.#buf[this.#pos++] = CBOR_NULL;
  }

  text(s: string): void {
    // Short ASCII text (labels, names, policies) is copied by hand: cheaper than a call
    // into the encoder. The reservation covers the head, so #head does not reallocate.
    const n = s.length;
    if (n < 64) {
      this.#room(n + 9);
      const buf = this.#buf;
      const at = this.#pos + (n < 24 ? 1 : 2);
      let i = 0;
      while (i < n) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        buf[at + i++] = c;
      }
      if (i === n) {
        this.#head(MAJOR_TEXT, n);
        this.#pos += n;
        return;
      }
    }
    // UTF-8 takes at most 3 bytes per UTF-16 unit: reserve that, write the text after a
    // head sized for it, then shorten the head (moving the text) to fit the real length.
    // The reservation covers the head too, so #head below never reallocates.
    const max = s.length * 3;
    this.#room(max + 9);
    const head = headSize(max);
    const { written } = utf8.encodeInto(s, this.#buf.subarray(this.#pos + head));
    const needed = headSize(written);
    if (needed !== head) this.#buf.copyWithin(this.#pos + needed, this.#pos + head, this.#pos + head + written);
    this.#head(MAJOR_TEXT, written);
    this.#pos += written;
  }

  optText(s: string | undefined): void {
    if (s === undefined) this.nul();
    else this.text(s);
  }

  byteString(b: Uint8Array): void {
    this.#head(MAJOR_BYTES, b.length);
    this.raw(b);
  }

  #head(major: number, n: number): void {
    this.#room(9);
    const buf = this.#buf;
    if (n < 24) buf[this.#pos++] = major | n;
    else if (n < 0x100) {
      buf[this.#pos++] = major | 24;
      buf[this.#pos++] = n;
    } else if (n < 0x10000) {
      buf[this.#pos++] = major | 25;
      buf[this.#pos++] = n >>> 8;
      buf[this.#pos++] = n & 0xff;
    } else if (n < 0x100000000) {
      buf[this.#pos++] = major | 26;
      this.#pos = writeUint32(buf, this.#pos, n);
    } else {
      buf[this.#pos++] = major | 27;
      this.#pos = writeUint32(buf, this.#pos, Math.floor(n / 0x100000000));
      this.#pos = writeUint32(buf, this.#pos, n >>> 0);
    }
  }

  #room(n: number): void {
    if (this.#pos + n <= this.#buf.length) return;
    const grown = new Uint8Array(Math.max(this.#buf.length * 2, this.#pos + n));
    grown.set(this.#buf.subarray(0, this.#pos));
    this.#buf = grown;
  }
}

/** Writes n (below 2^32) big-endian at `at`; returns the position after it. */
function writeUint32(buf: Uint8Array, at: number, n: number): number {
  buf[at] = n >>> 24;
  buf[at + 1] = (n >>> 16) & 0xff;
  buf[at + 2] = (n >>> 8) & 0xff;
  buf[at + 3] = n & 0xff;
  return at + 4;
}

/** Bytes of a CBOR head for a length or value of n. */
function headSize(n: number): number {
  return n < 24 ? 1 : n < 0x100 ? 2 : n < 0x10000 ? 3 : n < 0x100000000 ? 5 : 9;
}

/** Appends one node's wire form (the 8-element array of cbor-node.ts). */
export function writeWireNode(w: CborWriter, s: NodeState): void {
  const v = s.version;
  w.array(8);
  w.text(s.labelRule);
  w.text(s.description);
  w.array(s.propertyInfos.length);
  for (const info of s.propertyInfos) {
    w.array(2);
    w.text(info.type);
    w.text(info.name);
  }
  w.array(7);
  w.uint(v.versionNumber);
  w.uint(v.maxVersionSequence);
  w.text(v.policy);
  w.optText(v.authorialProof);
  w.optText(v.authors);
  w.optText(v.readers);
  if (v.collisionDepth === undefined) w.nul();
  else w.uint(v.collisionDepth);
  w.array(s.childNames.length);
  for (const name of s.childNames) w.text(name);
  w.byteString(s.propertyData);
  w.optText(s.queryHowTo);
  w.optText(s.qaSequence);
}

/**
 * CBOR of the array of nodes' wire forms, as cbor-x writes `nodes.map(nodeToWireShared)`,
 * after `prefix` when given (the head of a map the list ends). `transient`: for a message
 * about to be sent, not for bytes kept (see allocTransient).
 */
export function encodeWireNodeList(nodes: readonly TreeNode[], prefix?: Uint8Array, transient = false): Uint8Array {
  let size = 16 + (prefix?.length ?? 0);
  for (const node of nodes) size += stateOf(node).propertyData.length + 96;
  const w = new CborWriter(size, transient);
  if (prefix) w.raw(prefix);
  w.array(nodes.length);
  for (const node of nodes) writeWireNode(w, stateOf(node));
  return w.bytes();
}

/** CBOR of one node's wire form, as cbor-x writes `nodeToWireShared(node)`, after `prefix` when given. */
export function encodeWireNode(node: TreeNode, prefix?: Uint8Array, transient = false): Uint8Array {
  const s = stateOf(node);
  const w = new CborWriter((prefix?.length ?? 0) + s.propertyData.length + s.labelRule.length * 3 + 128, transient);
  if (prefix) w.raw(prefix);
  writeWireNode(w, s);
  return w.bytes();
}
