import pg from 'pg';
import { PostgresBackend } from '../../src/backends/postgres/index.js';
import { encodeRow } from '../../src/backends/postgres/row-codec.js';
import { stateOf, TreeNode } from '../../src/tree/tree-node.js';
import { freshDatabase, startPostgres } from '../../test/support/postgres.js';
import type { RawPeerRow } from '../table.js';

/**
 * PostgresBackend beside raw `pg` writing the same rows (a node row and a journal row per
 * write, the same encoded node bytes) with the same durability (synchronous_commit on,
 * fsync on). Raw writes are one autocommit statement each, the cheapest a hand-written
 * client could do. Nothing runs on import; call runPostgresBench (or one workload).
 */
export type PostgresBenchRow = RawPeerRow;

export interface PostgresBenchSizes {
  /** Durable upserts by one sequential writer (each side). */
  sequentialWrites: number;
  /** Durable upserts by the concurrent writers, in total (each side). */
  concurrentWrites: number;
  concurrency: number;
  gets: number;
  /** Nodes in the subtree read in one call. */
  subtreeNodes: number;
}

export const DEFAULT_SIZES: PostgresBenchSizes = { sequentialWrites: 1000, concurrentWrites: 10_000, concurrency: 64, gets: 20_000, subtreeNodes: 100_000 };

const PAYLOAD = 96;
const SLICES = 10;

const RAW_SCHEMA = [
  `CREATE TABLE raw_nodes (label text COLLATE "C" PRIMARY KEY, node bytea NOT NULL, seq bigint NOT NULL)`,
  `CREATE TABLE raw_journal (seq bigserial PRIMARY KEY, label text COLLATE "C" NOT NULL, deleted boolean NOT NULL)`,
];
// One statement, one transaction: journal the change and store the row.
const RAW_WRITE = `WITH j AS (INSERT INTO raw_journal (label, deleted) VALUES ($1, false) RETURNING seq)
  INSERT INTO raw_nodes (label, node, seq) SELECT $1, $2, seq FROM j
  ON CONFLICT (label) DO UPDATE SET node = EXCLUDED.node, seq = EXCLUDED.seq`;

interface Row {
  label: string;
  node: TreeNode;
  bytes: Buffer;
}

const labelOf = (prefix: string, i: number): string => `${prefix}/group${i % 100}/node${i}`;

function rows(prefix: string, count: number, from = 0): Row[] {
  return Array.from({ length: count - from }, (_, k) => {
    const i = from + k;
    const label = labelOf(prefix, i);
    const node = new TreeNode({ labelRule: label, description: 'bench node' });
    const payload = new Uint8Array(PAYLOAD);
    payload[0] = i & 0xff;
    node.insertProperty('payload', 'bytes', payload);
    return { label, node, bytes: encodeRow(stateOf(node)) };
  });
}

const seconds = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e9;
const sliceOf = <T>(items: readonly T[], slice: number): readonly T[] => {
  const size = Math.ceil(items.length / SLICES);
  return items.slice(slice * size, (slice + 1) * size);
};

/** A fresh database with a PostgresBackend and a raw pool side by side. */
async function sides(url: string, poolSize: number): Promise<{ backend: PostgresBackend; raw: pg.Pool; close(): Promise<void> }> {
  const connectionString = await freshDatabase(url);
  const backend = await PostgresBackend.open({ connectionString });
  // Every raw connection waits for the WAL flush at COMMIT, whatever the server default.
  const raw = new pg.Pool({ connectionString, max: poolSize, options: '-c synchronous_commit=on' });
  raw.on('error', () => undefined);
  for (const statement of RAW_SCHEMA) await raw.query(statement);
  return {
    backend,
    raw,
    async close() {
      await backend.close();
      await raw.end();
    },
  };
}

/** Alternates wwatp and raw slices and sums each side's time, so drifting fsync speed hits both alike. */
async function interleaved(wwatpSlice: (slice: number) => Promise<void>, rawSlice: (slice: number) => Promise<void>): Promise<{ wwatp: number; raw: number }> {
  const time = { wwatp: 0, raw: 0 };
  for (let slice = 0; slice < SLICES; slice++) {
    let start = process.hrtime.bigint();
    await wwatpSlice(slice);
    time.wwatp += seconds(start);
    start = process.hrtime.bigint();
    await rawSlice(slice);
    time.raw += seconds(start);
  }
  return time;
}

/** Runs `work` for each item with `concurrency` workers pulling from one list. */
async function pool<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await work(items[next++] as T);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

export async function benchSequentialWrites(url: string, count: number): Promise<PostgresBenchRow> {
  const s = await sides(url, 1);
  const data = rows('seq', count);
  const time = await interleaved(
    async (slice) => {
      for (const { node } of sliceOf(data, slice)) await s.backend.upsertNode([node]);
    },
    async (slice) => {
      for (const { label, bytes } of sliceOf(data, slice)) await s.raw.query(RAW_WRITE, [label, bytes]);
    },
  );
  await s.close();
  return { workload: 'durable upserts, 1 sequential writer', unit: 'upserts/s', higherIsBetter: true, wwatp: count / time.wwatp, raw: count / time.raw };
}

/** wwatp group-commits the writers; raw runs them as concurrent single-row transactions on a pool as large. */
export async function benchConcurrentWrites(url: string, count: number, concurrency: number): Promise<PostgresBenchRow> {
  const s = await sides(url, concurrency);
  const data = rows('conc', count);
  const time = await interleaved(
    (slice) => pool(sliceOf(data, slice), concurrency, ({ node }) => s.backend.upsertNode([node])),
    (slice) => pool(sliceOf(data, slice), concurrency, ({ label, bytes }) => s.raw.query(RAW_WRITE, [label, bytes])),
  );
  await s.close();
  const workload = `durable upserts, ${concurrency} concurrent writers`;
  return { workload, unit: 'upserts/s', higherIsBetter: true, wwatp: count / time.wwatp, raw: count / time.raw };
}

/** Loads nodes into both sides in large transactions (not timed). */
async function load(s: { backend: PostgresBackend; raw: pg.Pool }, prefix: string, count: number): Promise<void> {
  const batch = 5000;
  for (let from = 0; from < count; from += batch) {
    const chunk = rows(prefix, Math.min(count, from + batch), from);
    await s.backend.upsertNode(chunk.map((r) => r.node));
    await s.raw.query(
      `WITH j AS (INSERT INTO raw_journal (label, deleted) SELECT l, false FROM unnest($1::text[]) AS l RETURNING seq, label)
       INSERT INTO raw_nodes (label, node, seq) SELECT j.label, r.node, j.seq FROM j JOIN unnest($1::text[], $2::bytea[]) AS r (label, node) ON r.label = j.label`,
      [chunk.map((r) => r.label), chunk.map((r) => r.bytes)],
    );
  }
}

/** Sequential point reads: getNode (a decoded TreeNode) against SELECT of the row's bytes. */
export async function benchGets(url: string, gets: number, nodes: number): Promise<PostgresBenchRow> {
  const s = await sides(url, 1);
  await load(s, 'get', nodes);
  const picks = Array.from({ length: gets }, (_, i) => labelOf('get', (i * 7919) % nodes));
  let found = 0;
  const time = await interleaved(
    async (slice) => {
      for (const label of sliceOf(picks, slice)) if (await s.backend.getNode(label)) found++;
    },
    async (slice) => {
      for (const label of sliceOf(picks, slice)) if ((await s.raw.query('SELECT node FROM raw_nodes WHERE label = $1', [label])).rows[0]) found++;
    },
  );
  await s.close();
  if (found !== 2 * gets) throw new Error(`bench: ${2 * gets - found} gets found nothing`);
  return { workload: `sequential getNode over ${nodes.toLocaleString('en-US')} nodes`, unit: 'gets/s', higherIsBetter: true, wwatp: gets / time.wwatp, raw: gets / time.raw };
}

/** Seconds to read a whole subtree: queryNodes('sub/**') against the raw range SELECT. */
export async function benchSubtreeRead(url: string, subtreeNodes: number): Promise<PostgresBenchRow> {
  const s = await sides(url, 1);
  // Neighbours on both sides of the range, so the read has to pick the subtree out.
  await load(s, 'sua', 10_000);
  await load(s, 'sub', subtreeNodes);
  await load(s, 'suc', 10_000);
  await s.raw.query('ANALYZE');
  let start = process.hrtime.bigint();
  const nodes = await s.backend.queryNodes('sub/**');
  const wwatp = seconds(start);
  start = process.hrtime.bigint();
  const { rows: rawRows } = await s.raw.query('SELECT label, node FROM raw_nodes WHERE label >= $1 AND label < $2 ORDER BY label', ['sub/', 'sub0']);
  const raw = seconds(start);
  await s.close();
  if (nodes.length !== subtreeNodes || rawRows.length !== subtreeNodes) throw new Error(`bench: read ${nodes.length} / ${rawRows.length} of ${subtreeNodes}`);
  return { workload: `read a ${subtreeNodes.toLocaleString('en-US')}-node subtree`, unit: 's', higherIsBetter: false, wwatp, raw, target: '< 1 s' };
}

/**
 * Every workload in turn (well under two minutes at the default sizes). Uses the server
 * at `url`, or starts a throwaway one (test/support/postgres.ts) when none is given.
 */
export async function runPostgresBench(options: { url?: string; sizes?: Partial<PostgresBenchSizes> } = {}): Promise<PostgresBenchRow[]> {
  const s = { ...DEFAULT_SIZES, ...options.sizes };
  const server = options.url === undefined ? await startPostgres() : undefined;
  const url = options.url ?? (server?.url as string);
  try {
    return [
      await benchSequentialWrites(url, s.sequentialWrites),
      await benchConcurrentWrites(url, s.concurrentWrites, s.concurrency),
      await benchGets(url, s.gets, Math.min(s.gets, 100_000)),
      await benchSubtreeRead(url, s.subtreeNodes),
    ];
  } finally {
    await server?.stop();
  }
}
