/**
 * Joins consecutive small chunks into one buffer, so a batch of many small messages
 * goes out in a few writes instead of one write (one HTTP/3 DATA frame, one promise
 * chain, often one packet) per message. The bytes on the stream are the same.
 * Chunks of PACK_TARGET bytes or more pass through uncopied.
 */
import { concatBytes } from '../bytes.js';

export const PACK_TARGET = 64 * 1024;

export class ChunkPacker {
  #run: Uint8Array[] = [];
  #bytes = 0;

  constructor(readonly target: number = PACK_TARGET) {}

  /** Bytes held, not yet returned by add() or flush(). */
  get heldBytes(): number {
    return this.#bytes;
  }

  /** Adds a chunk; returns the buffers now ready to write, in order (often none). */
  add(chunk: Uint8Array): Uint8Array[] {
    if (chunk.length >= this.target) return [...this.flush(), chunk];
    const out = this.#bytes + chunk.length > this.target ? this.flush() : [];
    this.#run.push(chunk);
    this.#bytes += chunk.length;
    return out;
  }

  /** Everything held, as one buffer (or nothing). */
  flush(): Uint8Array[] {
    const run = this.#run;
    if (run.length === 0) return [];
    this.#run = [];
    const total = this.#bytes;
    this.#bytes = 0;
    return run.length === 1 ? run : [concatBytes(run, total, true)];
  }
}

/** The chunks as few buffers as packing allows, in order. */
export function packChunks(chunks: readonly Uint8Array[], target: number = PACK_TARGET): Uint8Array[] {
  const packer = new ChunkPacker(target);
  const out: Uint8Array[] = [];
  for (const chunk of chunks) for (const b of packer.add(chunk)) out.push(b);
  for (const b of packer.flush()) out.push(b);
  return out;
}
