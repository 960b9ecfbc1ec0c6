import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteBackend } from '../../src/backends/sqlite/index.js';
import { encodeNode } from '../../src/backends/sqlite/node-codec.js';
import { parentLabel } from '../../src/tree/labels.js';
import { stateOf, TreeNode } from '../../src/tree/tree-node.js';
import type { RawPeerRow } from '../table.js';

/**
 * SqliteBackend beside raw better-sqlite3 writing the same rows (same table shape, the
 * same encoded node bytes, a journal row per write) with the same durability: WAL and
 * synchronous=FULL. Raw rows are encoded before the clock starts, so raw measures SQLite
 * alone. Nothing runs on import; call runSqliteBench (or one workload) and print the rows.
 */
export type SqliteBenchRow = RawPeerRow;

export interface SqliteBenchSizes {
  /** Durable upserts by one sequential writer (each side). */
  sequentialWrites: number;
  /** Durable upserts by the concurrent writers, in total. */
  concurrentWrites: number;
  concurrency: number;
  gets: number;
  /** Nodes in the subtree read in one call. */
  subtreeNodes: number;
}

export const DEFAULT_SIZES: SqliteBenchSizes = { sequentialWrites: 2000, concurrentWrites: 20_000, concurrency: 64, gets: 100_000, subtreeNodes: 100_000 };

const PAYLOAD = 96;

function benchNode(label: string, i: number): TreeNode {
  const node = new TreeNode({ labelRule: label, description: 'bench node' });
  const bytes = new Uint8Array(PAYLOAD);
  bytes[0] = i & 0xff;
  node.insertProperty('payload', 'bytes', bytes);
  return node;
}

const labelOf = (prefix: string, i: number): string => `${prefix}/group${i % 100}/node${i}`;

function seconds(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/** A temp directory for one workload, removed afterwards. */
async function inTempDir<T>(run: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'wwatp-bench-sqlite-'));
  try {
    return await run(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Raw better-sqlite3 with SqliteBackend's table shape and durability. */
class RawStore {
  readonly db: Database.Database;
  #seq = 0;
  readonly #put: Database.Statement<[string, string, number, Buffer]>;
  readonly #log: Database.Statement<[number, string, number]>;
  readonly write: (label: string, row: Buffer) => void;

  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.exec(`
      CREATE TABLE nodes (label TEXT PRIMARY KEY NOT NULL, parent TEXT NOT NULL, seq INTEGER NOT NULL, node BLOB NOT NULL) WITHOUT ROWID;
      CREATE INDEX nodes_by_parent ON nodes (parent);
      CREATE TABLE journal (seq INTEGER PRIMARY KEY, label TEXT NOT NULL, deleted INTEGER NOT NULL);
    `);
    this.#put = this.db.prepare(
      'INSERT INTO nodes (label, parent, seq, node) VALUES (?, ?, ?, ?) ON CONFLICT (label) DO UPDATE SET seq = excluded.seq, node = excluded.node',
    );
    this.#log = this.db.prepare('INSERT INTO journal (seq, label, deleted) VALUES (?, ?, ?)');
    // One transaction per write: the node row and its journal row, durable at COMMIT.
    this.write = this.db.transaction((label: string, row: Buffer) => {
      const seq = ++this.#seq;
      this.#put.run(label, parentLabel(label), seq, row);
      this.#log.run(seq, label, 0);
    });
  }
}

/** Nodes from..to-1 under a prefix, each with its encoded row for the raw side. */
function rows(prefix: string, count: number, from = 0): Array<{ label: string; node: TreeNode; row: Buffer }> {
  return Array.from({ length: count - from }, (_, k) => {
    const i = from + k;
    const label = labelOf(prefix, i);
    const node = benchNode(label, i);
    return { label, node, row: encodeNode(stateOf(node)) };
  });
}

/** How many alternating slices the write workloads are cut into (see interleaved). */
const SLICES = 10;

/**
 * Runs the wwatp and raw sides in alternating slices and sums each side's time: fsync
 * speed drifts (other processes, the disk's cache), and alternating exposes both sides
 * to the same conditions.
 */
async function interleaved(wwatpSlice: (slice: number) => Promise<void>, rawSlice: (slice: number) => void): Promise<{ wwatp: number; raw: number }> {
  let wwatp = 0;
  let raw = 0;
  for (let slice = 0; slice < SLICES; slice++) {
    let start = process.hrtime.bigint();
    await wwatpSlice(slice);
    wwatp += seconds(start);
    start = process.hrtime.bigint();
    rawSlice(slice);
    raw += seconds(start);
  }
  return { wwatp, raw };
}

function sliceOf<T>(items: readonly T[], slice: number): readonly T[] {
  const size = Math.ceil(items.length / SLICES);
  return items.slice(slice * size, (slice + 1) * size);
}

/** Durable upserts per second from one writer awaiting each write in turn. */
export async function benchSequentialWrites(count: number): Promise<SqliteBenchRow> {
  return inTempDir(async (dir) => {
    const data = rows('seq', count);
    const backend = await SqliteBackend.open({ path: join(dir, 'wwatp.db') });
    const raw = new RawStore(join(dir, 'raw.db'));
    const time = await interleaved(
      async (slice) => {
        for (const { node } of sliceOf(data, slice)) await backend.upsertNode([node]);
      },
      (slice) => {
        for (const { label, row } of sliceOf(data, slice)) raw.write(label, row);
      },
    );
    await backend.close();
    raw.db.close();
    return { workload: 'durable upserts, 1 sequential writer', unit: 'upserts/s', higherIsBetter: true, wwatp: count / time.wwatp, raw: count / time.raw };
  });
}

/**
 * Durable upserts per second from `concurrency` writers each awaiting its own writes.
 * wwatp group-commits them; better-sqlite3 is synchronous, so the honest raw equivalent
 * of independent durable writers is one transaction (one fsync) per write.
 */
export async function benchConcurrentWrites(count: number, concurrency: number): Promise<SqliteBenchRow & { commits: number }> {
  return inTempDir(async (dir) => {
    const data = rows('conc', count);
    // Raw is fsync-bound per write, so a smaller sample gives the same rate.
    const sample = data.slice(0, Math.min(count, 2000));
    const backend = await SqliteBackend.open({ path: join(dir, 'wwatp.db') });
    const raw = new RawStore(join(dir, 'raw.db'));
    const time = await interleaved(
      async (slice) => {
        const mine = sliceOf(data, slice);
        let next = 0;
        const writer = async (): Promise<void> => {
          while (next < mine.length) await backend.upsertNode([(mine[next++] as { node: TreeNode }).node]);
        };
        await Promise.all(Array.from({ length: concurrency }, writer));
      },
      (slice) => {
        for (const { label, row } of sliceOf(sample, slice)) raw.write(label, row);
      },
    );
    const { commits } = backend.stats();
    await backend.close();
    raw.db.close();
    const workload = `durable upserts, ${concurrency} concurrent writers`;
    return { workload, unit: 'upserts/s', higherIsBetter: true, wwatp: count / time.wwatp, raw: sample.length / time.raw, commits };
  });
}

/** Loads `count` nodes under `prefix` into both stores, in large transactions (not timed). */
async function load(backend: SqliteBackend, raw: RawStore, prefix: string, count: number): Promise<void> {
  const batch = 5000;
  for (let from = 0; from < count; from += batch) {
    const chunk = rows(prefix, Math.min(count, from + batch), from);
    await backend.upsertNode(chunk.map((r) => r.node));
    raw.db.transaction(() => chunk.forEach((r) => raw.write(r.label, r.row)))();
  }
}

/** Random point reads per second: getNode (decoded TreeNode) against SELECT of the row. */
export async function benchGets(gets: number, nodes: number): Promise<SqliteBenchRow> {
  return inTempDir(async (dir) => {
    const backend = await SqliteBackend.open({ path: join(dir, 'wwatp.db') });
    const raw = new RawStore(join(dir, 'raw.db'));
    await load(backend, raw, 'get', nodes);
    const picks = Array.from({ length: gets }, (_, i) => labelOf('get', (i * 7919) % nodes));
    let start = process.hrtime.bigint();
    let found = 0;
    for (const label of picks) if (await backend.getNode(label)) found++;
    const wwatp = gets / seconds(start);
    const select = raw.db.prepare<[string], Buffer>('SELECT node FROM nodes WHERE label = ?').pluck();
    start = process.hrtime.bigint();
    for (const label of picks) if (select.get(label)) found++;
    const rawRate = gets / seconds(start);
    if (found !== 2 * gets) throw new Error(`bench: ${2 * gets - found} gets found nothing`);
    await backend.close();
    raw.db.close();
    return { workload: `random getNode over ${nodes.toLocaleString('en-US')} nodes`, unit: 'gets/s', higherIsBetter: true, wwatp, raw: rawRate };
  });
}

/** Milliseconds to read a whole subtree: queryNodes('sub/**') against the raw range SELECT. */
export async function benchSubtreeRead(subtreeNodes: number): Promise<SqliteBenchRow> {
  return inTempDir(async (dir) => {
    const backend = await SqliteBackend.open({ path: join(dir, 'wwatp.db') });
    const raw = new RawStore(join(dir, 'raw.db'));
    // Neighbours on both sides of the range, so the read has to pick the subtree out.
    await load(backend, raw, 'sua', 10_000);
    await load(backend, raw, 'sub', subtreeNodes);
    await load(backend, raw, 'suc', 10_000);
    let start = process.hrtime.bigint();
    const nodes = await backend.queryNodes('sub/**');
    const wwatp = seconds(start) * 1000;
    const range = raw.db.prepare<[string, string], { label: string; node: Buffer }>('SELECT label, node FROM nodes WHERE label >= ? AND label < ? ORDER BY label');
    start = process.hrtime.bigint();
    const rawRows = range.all('sub/', 'sub0');
    const rawMs = seconds(start) * 1000;
    if (nodes.length !== subtreeNodes || rawRows.length !== subtreeNodes) throw new Error(`bench: read ${nodes.length} / ${rawRows.length} of ${subtreeNodes}`);
    await backend.close();
    raw.db.close();
    return { workload: `read a ${subtreeNodes.toLocaleString('en-US')}-node subtree`, unit: 'ms', higherIsBetter: false, wwatp, raw: rawMs, target: '< 1000 ms' };
  });
}

/** Every workload in turn (about a minute at the default sizes on an SSD). */
export async function runSqliteBench(sizes: Partial<SqliteBenchSizes> = {}): Promise<SqliteBenchRow[]> {
  const s = { ...DEFAULT_SIZES, ...sizes };
  return [
    await benchSequentialWrites(s.sequentialWrites),
    await benchConcurrentWrites(s.concurrentWrites, s.concurrency),
    await benchGets(s.gets, Math.min(s.gets, 100_000)),
    await benchSubtreeRead(s.subtreeNodes),
  ];
}
