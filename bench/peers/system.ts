import type { SystemName } from './results.js';

/** One stored value: logical keys are `/`-joined paths (`w/seq/n12`), mapped per system. */
export interface Entry {
  key: string;
  value: Uint8Array;
}

/**
 * Called for each change a watch reports. `index` is the write's index read from the new
 * value (undefined when the notification carries no value: ZooKeeper's). `rearmed`, for
 * one-shot watches, settles once the watch is in place again.
 */
export type ChangeCallback = (key: string, index: number | undefined, rearmed?: Promise<void>) => void;

/**
 * The operations every workload uses, one implementation per system, each through that
 * system's own Node.js client and its default consistency and durability. A client is
 * one connection (one session), as one application process would hold.
 */
export interface PeerClient {
  /** Creates a node that does not exist yet; resolves once it is durable. */
  create(key: string, value: Uint8Array): Promise<void>;
  /** Overwrites an existing node; resolves once it is durable. */
  update(key: string, value: Uint8Array): Promise<void>;
  /** The node's value, or undefined. */
  get(key: string): Promise<Uint8Array | undefined>;
  /** Creates nodes in one atomic, durable batch (parents listed before children). */
  createBatch(entries: readonly Entry[]): Promise<void>;
  /** Reads every node strictly below `key`, values included; resolves with how many. */
  readSubtree(key: string): Promise<number>;
  /**
   * Watches the subtree below `key`; resolves once the watch is in place. `keys` lists
   * the nodes below it, for systems whose watches are per node (ZooKeeper).
   */
  watchSubtree(key: string, keys: readonly string[], onChange: ChangeCallback): Promise<void>;
  close(): Promise<void>;
}

export interface PeerSystem {
  readonly name: SystemName;
  /** Version and settings, for the report. */
  readonly describe: string;
  /** Makes the parent nodes exist where the system requires them (ZooKeeper); not timed. */
  prepare(parents: readonly string[]): Promise<void>;
  open(): Promise<PeerClient>;
  stop(): Promise<void>;
  /** What the server did since the last call (commits, CPU), where it can tell; for the log. */
  diagnostics?(): Promise<string>;
}

/** A 256-byte value whose first four bytes carry `index` (watchers check it). */
export function makeValue(index: number, size = 256): Uint8Array {
  const value = new Uint8Array(size);
  for (let i = 4; i < size; i++) value[i] = (index + i) & 0xff;
  new DataView(value.buffer).setUint32(0, index >>> 0);
  return value;
}

export function valueIndex(value: Uint8Array): number {
  return new DataView(value.buffer, value.byteOffset, value.byteLength).getUint32(0);
}
