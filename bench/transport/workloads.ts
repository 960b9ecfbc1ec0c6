/**
 * The workloads, written once against BenchClient so both protocols run exactly the same
 * code, sizes and counts; only the client behind the interface differs.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { TreeNode } from '../../src/tree/tree-node.js';
import type { BenchClient } from './clients.js';
import { smallLabel, smallNode, smallNodeIndex } from './data.js';

function now(): bigint {
  return process.hrtime.bigint();
}

function secondsSince(start: bigint): number {
  return Number(now() - start) / 1e9;
}

export interface BulkResult {
  /** Client → server: upsert / POST, encoding and acknowledgement included (MB/s, 10^6 bytes). */
  upMBps: number;
  /** Server → client: get / GET, decoding into a TreeNode included (MB/s). */
  downMBps: number;
  roundTripSeconds: number;
}

/** Writes `node`, then reads it back; the contents must come back whole. */
export async function bulkRoundTrip(client: BenchClient, node: TreeNode): Promise<BulkResult> {
  const bytes = node.contentSize;
  let t0 = now();
  await client.put(node);
  const up = secondsSince(t0);
  t0 = now();
  const got = await client.get(node.labelRule);
  const down = secondsSince(t0);
  // (propertyData hands out a copy: read it once, after the clock stopped)
  const a = got?.propertyData;
  if (!a || a.length !== bytes) throw new Error(`${client.name}: bulk get returned ${a?.length ?? 'nothing'} of ${bytes} bytes`);
  const b = node.propertyData;
  for (let i = 0; i < bytes; i += 65_521) if (a[i] !== b[i]) throw new Error(`${client.name}: bulk contents differ at ${i}`);
  return { upMBps: bytes / up / 1e6, downMBps: bytes / down / 1e6, roundTripSeconds: up + down };
}

/**
 * `total` gets of the labels in `order`, `concurrency` in flight at a time (each of
 * `concurrency` loops awaits its get, then starts the next). Returns gets per second.
 */
export async function gets(client: BenchClient, order: Uint32Array, total: number, concurrency: number): Promise<number> {
  let next = 0;
  let found = 0;
  const loop = async (): Promise<void> => {
    while (next < total) {
      const i = next++;
      if (await client.get(smallLabel(order[i % order.length] as number))) found++;
    }
  };
  const t0 = now();
  await Promise.all(Array.from({ length: concurrency }, loop));
  const seconds = secondsSince(t0);
  if (found !== total) throw new Error(`${client.name}: ${total - found} of ${total} gets found nothing`);
  return total / seconds;
}

function within<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export interface LatencyResult {
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  samples: number;
}

function percentile(sorted: Float64Array, p: number): number {
  const at = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[at] as number;
}

/**
 * Watch latency: `watcher` watches one label; `writer` writes it `samples` times, one at a
 * time. A sample is the time from just before the write call until the watcher's
 * callback has the decoded node. The next write starts only after both the callback
 * and the write's acknowledgement, plus a 1 ms pause, so writes never queue.
 */
export async function watchLatency(writer: BenchClient, watcher: BenchClient, label: string, samples: number, warmup: number): Promise<LatencyResult> {
  let waiting: { index: number; resolve: (t: bigint) => void } | undefined;
  await watcher.watch(label, (_l, node) => {
    const t = now();
    if (!waiting || !node || smallNodeIndex(node) !== waiting.index) return;
    const w = waiting;
    waiting = undefined;
    w.resolve(t);
  });
  const out = new Float64Array(samples);
  for (let i = 0; i < warmup + samples; i++) {
    const node = smallNode(label, i);
    const fired = new Promise<bigint>((resolve) => (waiting = { index: i, resolve }));
    const t0 = now();
    const ack = writer.put(node);
    const t1 = await within(fired, 10_000, `${watcher.name}: no notification for write ${i} within 10 s`);
    await ack;
    if (i >= warmup) out[i - warmup] = Number(t1 - t0) / 1e6;
    await sleep(1);
  }
  const sorted = out.slice().sort();
  let sum = 0;
  for (const v of out) sum += v;
  return { p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99), meanMs: sum / samples, samples };
}
