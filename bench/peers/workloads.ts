/**
 * The workloads, written once against PeerClient so that all three systems run the same
 * code, keys, value sizes (256 bytes) and operation counts; only the client differs.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { picks } from '../picks.js';
import { within } from './processes.js';
import { summarize, median, type LatencySummary } from './stats.js';
import { makeValue, valueIndex, type Entry, type PeerClient, type PeerSystem } from './system.js';

function now(): bigint {
  return process.hrtime.bigint();
}

function msSince(start: bigint): number {
  return Number(now() - start) / 1e6;
}

async function openMany(system: PeerSystem, count: number): Promise<PeerClient[]> {
  // A few at a time: opening a hundred sessions at once measures connection setup, not the workload.
  const out: PeerClient[] = [];
  for (let i = 0; i < count; i += 8) out.push(...(await Promise.all(Array.from({ length: Math.min(8, count - i) }, () => system.open()))));
  return out;
}

async function closeAll(clients: readonly PeerClient[]): Promise<void> {
  await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
}

/** `total` operations from `clients`, each running one at a time; returns operations per second. */
async function closedLoop(clients: readonly PeerClient[], total: number, op: (client: PeerClient, i: number) => Promise<void>): Promise<number> {
  let next = 0;
  const loop = async (client: PeerClient): Promise<void> => {
    while (next < total) await op(client, next++);
  };
  const t0 = now();
  await Promise.all(clients.map(loop));
  return total / (msSince(t0) / 1000);
}

export interface SequentialResult extends LatencySummary {
  opsPerSecond: number;
}

/** Durable creates by one client, each awaited before the next: rate and latency. */
export async function sequentialWrites(system: PeerSystem, count: number, warmup: number): Promise<SequentialResult> {
  await system.prepare(['w/seq']);
  const client = await system.open();
  try {
    for (let i = 0; i < warmup; i++) await client.create(`w/seq/warm${i}`, makeValue(i));
    const latencies = new Float64Array(count);
    const t0 = now();
    for (let i = 0; i < count; i++) {
      const t = now();
      await client.create(`w/seq/n${i}`, makeValue(i));
      latencies[i] = msSince(t);
    }
    const seconds = msSince(t0) / 1000;
    return { ...summarize(latencies), opsPerSecond: count / seconds };
  } finally {
    await client.close();
  }
}

export const concurrentKey = (i: number): string => `w/conc/n${i}`;

/** Durable creates from `clients` clients (one connection each), each with one write in flight. */
export async function concurrentWrites(system: PeerSystem, count: number, clientCount: number, warmupPerClient: number): Promise<number> {
  await system.prepare(['w/conc']);
  const clients = await openMany(system, clientCount);
  try {
    await Promise.all(clients.map(async (c, k) => {
      for (let j = 0; j < warmupPerClient; j++) await c.create(`w/conc/warm${k}-${j}`, makeValue(j));
    }));
    return await closedLoop(clients, count, (c, i) => c.create(concurrentKey(i), makeValue(i)));
  } finally {
    await closeAll(clients);
  }
}

export const readKey = (i: number): string => `r/n${i}`;

/**
 * Reads of `existing` nodes (written first, untimed, in batches of 100), picked
 * pseudo-randomly, from `clients` clients with one read in flight each.
 */
export async function concurrentReads(system: PeerSystem, count: number, existing: number, clientCount: number): Promise<number> {
  await system.prepare(['r']);
  const seeder = await system.open();
  try {
    for (let from = 0; from < existing; from += 100) {
      await seeder.createBatch(Array.from({ length: Math.min(100, existing - from) }, (_, k) => ({ key: readKey(from + k), value: makeValue(from + k) })));
    }
  } finally {
    await seeder.close();
  }
  const order = picks(existing, count);
  const clients = await openMany(system, clientCount);
  try {
    // Warm-up: one read per client.
    await Promise.all(clients.map((c, k) => c.get(readKey(k % existing))));
    let wrong = 0;
    const rate = await closedLoop(clients, count, async (c, i) => {
      const k = order[i] as number;
      const value = await c.get(readKey(k));
      if (!value || value.length !== 256 || valueIndex(value) !== k) wrong++;
    });
    if (wrong > 0) throw new Error(`${system.name}: ${wrong} of ${count} reads returned the wrong value`);
    return rate;
  } finally {
    await closeAll(clients);
  }
}

export const WATCHED_NODES = 10;

/**
 * Watch latency: `watcherCount` clients (a connection each) watch the subtree `watch`;
 * one more client overwrites its nodes in turn, `writes` times. A sample is the time from
 * just before the write call to one watcher's notification: `writes × watcherCount`
 * samples. The next write starts once every watcher has it (and, for one-shot watches,
 * has set its watch again) and the write is acknowledged, plus 1 ms, so writes never queue.
 */
export async function watchLatency(system: PeerSystem, watcherCount: number, writes: number, warmup: number): Promise<LatencySummary> {
  await system.prepare(['watch']);
  const keys = Array.from({ length: WATCHED_NODES }, (_, k) => `watch/k${k}`);
  const writer = await system.open();
  const watchers: PeerClient[] = [];
  try {
    for (const [k, key] of keys.entries()) await writer.create(key, makeValue(1_000_000 + k));
    watchers.push(...(await openMany(system, watcherCount)));
    let round: { index: number; key: string; t0: bigint; seen: Uint8Array; left: number; rearms: Array<Promise<void>>; done: () => void } | undefined;
    const samples = new Float64Array(writes * watcherCount);
    let filled = 0;
    await Promise.all(watchers.map((w, n) =>
      w.watchSubtree('watch', keys, (key, index, rearmed) => {
        const t = now();
        const r = round;
        // Only this round's write counts (by its value, or by its key when the notification has no value).
        if (!r || r.seen[n] || (index !== undefined ? index !== r.index : key !== r.key)) return;
        r.seen[n] = 1;
        if (rearmed) r.rearms.push(rearmed);
        if (r.index >= warmup) samples[filled++] = Number(t - r.t0) / 1e6;
        if (--r.left === 0) r.done();
      }),
    ));
    for (let i = 0; i < warmup + writes; i++) {
      const key = keys[i % keys.length] as string;
      let done!: () => void;
      const all = new Promise<void>((resolve) => (done = resolve));
      round = { index: i, key, t0: now(), seen: new Uint8Array(watcherCount), left: watcherCount, rearms: [], done };
      const ack = writer.update(key, makeValue(i));
      await within(all, 15_000, `${system.name}: write ${i} reached ${watcherCount - round.left} of ${watcherCount} watchers within 15 s`);
      await ack;
      await Promise.all(round.rearms);
      round = undefined;
      await sleep(1);
    }
    return summarize(samples.subarray(0, filled));
  } finally {
    await closeAll([writer, ...watchers]);
  }
}

export interface TreeShape {
  subtrees: number;
  /** Nodes below each subtree root: groups of one node and 99 leaves. */
  perSubtree: number;
}

/** The tree under `load`: subtree roots, then their groups, then the leaves (parents before children). */
export function treeEntries(shape: TreeShape): Entry[] {
  const groups = Math.max(1, Math.round(shape.perSubtree / 100));
  const leaves = Math.floor(shape.perSubtree / groups) - 1;
  const out: Entry[] = [];
  const add = (key: string): void => void out.push({ key, value: makeValue(out.length) });
  for (let s = 0; s < shape.subtrees; s++) add(`load/s${s}`);
  for (let s = 0; s < shape.subtrees; s++) for (let g = 0; g < groups; g++) add(`load/s${s}/g${g}`);
  for (let s = 0; s < shape.subtrees; s++) for (let g = 0; g < groups; g++) for (let l = 0; l < leaves; l++) add(`load/s${s}/g${g}/n${l}`);
  return out;
}

export function subtreeSize(shape: TreeShape): number {
  const groups = Math.max(1, Math.round(shape.perSubtree / 100));
  return groups * (Math.floor(shape.perSubtree / groups));
}

export interface LoadResult {
  loadSeconds: number;
  readSeconds: number;
  nodes: number;
}

/**
 * Loads the tree through one client in atomic batches of `batch` nodes, `inFlight`
 * batches outstanding at a time, then reads one subtree whole `reads` times (median).
 */
export async function loadAndRead(system: PeerSystem, shape: TreeShape, batch: number, inFlight: number, reads: number, progress: (text: string) => void): Promise<LoadResult> {
  await system.prepare(['load']);
  const entries = treeEntries(shape);
  const batches = Math.ceil(entries.length / batch);
  const client = await system.open();
  try {
    let next = 0;
    let finished = 0;
    let shown = 0;
    const t0 = now();
    const worker = async (): Promise<void> => {
      while (next < batches) {
        const b = next++;
        await client.createBatch(entries.slice(b * batch, (b + 1) * batch));
        finished++;
        const tenth = Math.floor((finished * 10) / batches);
        if (tenth > shown) {
          shown = tenth;
          if (tenth < 10) progress(`${system.name}: loaded ${(finished * batch).toLocaleString('en-US')} nodes (${tenth * 10}%), ${(msSince(t0) / 1000).toFixed(1)} s`);
        }
      }
    };
    await Promise.all(Array.from({ length: inFlight }, worker));
    const loadSeconds = msSince(t0) / 1000;
    const expected = subtreeSize(shape);
    const times: number[] = [];
    for (let r = 0; r < reads; r++) {
      const t = now();
      const count = await client.readSubtree('load/s3');
      times.push(msSince(t) / 1000);
      if (count !== expected) throw new Error(`${system.name}: read ${count} of the ${expected} nodes below load/s3`);
    }
    return { loadSeconds, readSeconds: median(times), nodes: entries.length };
  } finally {
    await client.close();
  }
}
