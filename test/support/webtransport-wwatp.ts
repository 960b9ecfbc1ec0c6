/** WWATP bytes for the WebTransport tests: batches built in Node, replies decoded in Node. */
import { SimpleBackend } from '../../src/backends/simple-backend.js';
import type { NodeListener } from '../../src/backends/backend.js';
import { ChunkReader, encodeMessage } from '../../src/transport/wwatp/chunk-codec.js';
import { MessageAssembler, type RawMessage } from '../../src/transport/wwatp/message-assembler.js';
import { encodePayload } from '../../src/transport/wwatp/payloads.js';

export type Request = readonly [signal: number, requestId: number, payload: Record<string, unknown>];

/** One stream's worth of requests as the byte array page.evaluate can carry. */
export function batchBytes(requests: readonly Request[]): number[] {
  const out: number[] = [];
  for (const [signal, id, payload] of requests) {
    for (const chunk of encodeMessage(signal, id, encodePayload(payload))) for (const b of chunk) out.push(b);
  }
  return out;
}

export function decodeReplies(bytes: readonly number[] | Uint8Array): RawMessage[] {
  const assembler = new MessageAssembler(1 << 24);
  return new ChunkReader()
    .push(Uint8Array.from(bytes))
    .map((c) => assembler.add(c))
    .filter((m): m is RawMessage => m !== undefined);
}

/** A SimpleBackend that counts its registered listeners, so tests can see sessions clean up. */
export class CountingBackend extends SimpleBackend {
  readonly listeners = new Set<string>();

  override registerNodeListener(name: string, rule: string, childNotify: boolean, callback: NodeListener): void {
    super.registerNodeListener(name, rule, childNotify, callback);
    this.listeners.add(`${name}\u0000${rule}`);
  }

  override deregisterNodeListener(name: string, rule: string): void {
    super.deregisterNodeListener(name, rule);
    this.listeners.delete(`${name}\u0000${rule}`);
  }
}

/** Polls `check` until it is true (or `ms` pass). */
export async function eventually(check: () => boolean, ms = 5000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}
