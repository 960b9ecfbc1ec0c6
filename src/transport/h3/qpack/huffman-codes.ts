/**
 * Tables derived once from HUFFMAN_CODE_LENGTHS: the canonical codes for encoding, and a
 * decoding automaton that consumes 4 bits at a time (as nghttp2 does). Every code is at
 * least 5 bits long, so one nibble completes at most one symbol.
 */
import { HUFFMAN_CODE_LENGTHS } from './huffman-table.js';

export const EOS = 256;

/** codes[s] holds symbol s's code in its low lengths[s] bits. */
export const HUFFMAN_CODES: readonly number[] = canonicalCodes(HUFFMAN_CODE_LENGTHS);

function canonicalCodes(lengths: readonly number[]): number[] {
  const order = lengths.map((len, sym) => ({ len, sym })).sort((a, b) => a.len - b.len || a.sym - b.sym);
  const codes = new Array<number>(lengths.length).fill(0);
  let code = 0;
  let prevLen = order[0]?.len ?? 0;
  for (const { len, sym } of order) {
    code *= 2 ** (len - prevLen); // multiplication: codes reach 30 bits, past safe 32-bit shifts
    codes[sym] = code;
    code += 1;
    prevLen = len;
  }
  return codes;
}

/** Internal tree nodes: children are node ids (>= 0) or leaves encoded as -(symbol + 1). */
interface Tree {
  readonly zero: number[];
  readonly one: number[];
  /** True when the path from the root is all 1 bits and at most 7 long: valid padding. */
  readonly paddingOk: boolean[];
}

function buildTree(): Tree {
  const tree: Tree = { zero: [0], one: [0], paddingOk: [true] };
  const depthOnes: { depth: number; allOnes: boolean }[] = [{ depth: 0, allOnes: true }];
  HUFFMAN_CODES.forEach((code, sym) => {
    const len = HUFFMAN_CODE_LENGTHS[sym] as number;
    let node = 0;
    for (let i = len - 1; i >= 0; i--) {
      const bit = Math.floor(code / 2 ** i) % 2;
      const children = bit === 1 ? tree.one : tree.zero;
      if (i === 0) {
        children[node] = -(sym + 1);
        break;
      }
      let child = children[node] as number;
      if (child <= 0) {
        // 0 doubles as "unset" because the root is never anyone's child.
        child = tree.zero.length;
        tree.zero.push(0);
        tree.one.push(0);
        const parent = depthOnes[node] as { depth: number; allOnes: boolean };
        const info = { depth: parent.depth + 1, allOnes: parent.allOnes && bit === 1 };
        depthOnes.push(info);
        tree.paddingOk.push(info.allOnes && info.depth <= 7);
        children[node] = child;
      }
      node = child;
    }
  });
  return tree;
}

export interface HuffmanDecodeTable {
  /** Indexed by state * 16 + nibble. */
  readonly next: Uint8Array;
  /** Symbol emitted on that transition, or -1. */
  readonly emit: Int16Array;
  /** 1 when that transition decodes EOS, which is an error in a string literal. */
  readonly fail: Uint8Array;
  /** Indexed by state: 1 when input may end here (root, or up to 7 bits of EOS prefix). */
  readonly accept: Uint8Array;
}

function buildDecodeTable(): HuffmanDecodeTable {
  const tree = buildTree();
  const states = tree.zero.length;
  const table: HuffmanDecodeTable = {
    next: new Uint8Array(states * 16),
    emit: new Int16Array(states * 16).fill(-1),
    fail: new Uint8Array(states * 16),
    accept: Uint8Array.from(tree.paddingOk, (ok) => (ok ? 1 : 0)),
  };
  for (let state = 0; state < states; state++) {
    for (let nibble = 0; nibble < 16; nibble++) {
      let node = state;
      const at = state * 16 + nibble;
      for (let bit = 3; bit >= 0; bit--) {
        const child = (((nibble >> bit) & 1) === 1 ? tree.one : tree.zero)[node] as number;
        if (child >= 0) {
          node = child;
          continue;
        }
        const sym = -child - 1;
        if (sym === EOS) table.fail[at] = 1;
        else table.emit[at] = sym;
        node = 0;
      }
      table.next[at] = node;
    }
  }
  return table;
}

export const HUFFMAN_DECODE: HuffmanDecodeTable = buildDecodeTable();
