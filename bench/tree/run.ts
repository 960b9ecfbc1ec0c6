import { SimpleBackend } from '../../src/backends/simple-backend.js';
import { TreeNode } from '../../src/tree/tree-node.js';
import { picks } from '../picks.js';
import { printTable, secondsSince, type BenchRow } from '../table.js';

/**
 * bench:tree — SimpleBackend at 1,000,000 nodes beside a plain Map doing the same gets
 * and sets. Run with --expose-gc (npm run bench:tree does). `--nodes N` for a smaller run.
 */
const argNodes = process.argv.indexOf('--nodes');
const NODES = argNodes > 0 ? Number(process.argv[argNodes + 1]) : 1_000_000;
const GETS = Math.min(NODES, 1_000_000);
const PAYLOAD = 96; // 96 bytes + the 4-byte length prefix = 100 bytes of contents per node

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc (npm run bench:tree)');

function heapBytes(): number {
  gc?.();
  gc?.();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

function labelOf(i: number): string {
  return `group${i % 1000}/node${i}`;
}

function makeNode(i: number): TreeNode {
  const node = new TreeNode({ labelRule: labelOf(i), description: 'bench node' });
  const bytes = new Uint8Array(PAYLOAD);
  bytes[0] = i & 0xff;
  node.insertProperty('payload', 'bytes', bytes);
  return node;
}

async function main(): Promise<void> {
  console.log(`bench:tree — ${NODES.toLocaleString('en-US')} nodes, ${PAYLOAD + 4}-byte contents, node ${process.version}`);
  const rows: BenchRow[] = [];
  const order = picks(NODES, GETS);
  const labels = Array.from({ length: NODES }, (_, i) => labelOf(i));

  // Peer: a plain Map of label -> the same 100-byte contents.
  const before = heapBytes();
  const map = new Map<string, Uint8Array>();
  let t0 = process.hrtime.bigint();
  // Keys are distinct flat copies of the lookup strings, as the backend's are (labels arrive
  // from decoding, never as the very object stored), so lookups compare contents, not pointers.
  const keys = JSON.parse(JSON.stringify(labels)) as string[];
  for (let i = 0; i < NODES; i++) map.set(keys[i] as string, new Uint8Array(PAYLOAD + 4));
  keys.length = 0;
  const mapSet = NODES / secondsSince(t0);
  const mapBytes = heapBytes() - before;
  t0 = process.hrtime.bigint();
  let hits = 0;
  for (let i = 0; i < GETS; i++) if (map.get(labels[order[i] as number] as string)) hits++;
  const mapGet = GETS / secondsSince(t0);
  if (hits !== GETS) throw new Error('map lost entries');
  map.clear();

  // wwatp: SimpleBackend with one listener registered.
  const base = heapBytes();
  const backend = new SimpleBackend();
  let notified = 0;
  backend.registerNodeListener('bench', 'watched', true, () => notified++);
  process.stdout.write('loading');
  let upsertSeconds = 0;
  const CHUNK = 100_000;
  for (let start = 0; start < NODES; start += CHUNK) {
    const nodes = Array.from({ length: Math.min(CHUNK, NODES - start) }, (_, k) => makeNode(start + k));
    t0 = process.hrtime.bigint();
    for (const node of nodes) await backend.upsertNode([node]);
    upsertSeconds += secondsSince(t0);
    process.stdout.write('.');
  }
  process.stdout.write('\n');
  const upserts = NODES / upsertSeconds;
  const treeBytes = heapBytes() - base;

  t0 = process.hrtime.bigint();
  let found = 0;
  for (let i = 0; i < GETS; i++) if (await backend.getNode(labels[order[i] as number] as string)) found++;
  const gets = GETS / secondsSince(t0);
  if (found !== GETS) throw new Error(`backend lost nodes: ${found}/${GETS}`);

  // The server runs a request batch's gets together: 100 in flight, awaited as one.
  const BATCH = 100;
  t0 = process.hrtime.bigint();
  found = 0;
  for (let i = 0; i < GETS; i += BATCH) {
    const batch: Array<Promise<unknown>> = [];
    for (let k = i; k < i + BATCH && k < GETS; k++) batch.push(backend.getNode(labels[order[k] as number] as string));
    for (const node of await Promise.all(batch)) if (node) found++;
  }
  const batchedGets = GETS / secondsSince(t0);
  if (found !== GETS) throw new Error(`backend lost nodes in batches: ${found}/${GETS}`);

  const QUERIES = 200;
  t0 = process.hrtime.bigint();
  let queried = 0;
  for (let q = 0; q < QUERIES; q++) queried += (await backend.queryNodes(`group${q}/*`)).length;
  const querySeconds = secondsSince(t0);

  // Notifications: a childNotify listener covering every write.
  backend.registerNodeListener('all', '', true, () => notified++);
  const NOTIFY = Math.min(NODES, 200_000);
  const again = Array.from({ length: NOTIFY }, (_, i) => makeNode(i));
  notified = 0;
  t0 = process.hrtime.bigint();
  for (const node of again) await backend.upsertNode([node]);
  const notifySeconds = secondsSince(t0);
  if (notified !== NOTIFY) throw new Error(`expected ${NOTIFY} notifications, got ${notified}`);

  rows.push({ workload: 'getNode, random, one awaited at a time', unit: 'gets/s', higherIsBetter: true, wwatp: gets, peer: mapGet, target: '≥ 0.50 of Map' });
  rows.push({ workload: 'getNode, random, 100 in flight', unit: 'gets/s', higherIsBetter: true, wwatp: batchedGets, peer: mapGet, target: '≥ 0.50 of Map' });
  rows.push({ workload: 'upsertNode, 1 listener registered', unit: 'upserts/s', higherIsBetter: true, wwatp: upserts, peer: mapSet, target: '≥ 300,000/s' });
  rows.push({ workload: 'upsert + notify (root childNotify)', unit: 'notifications/s', higherIsBetter: true, wwatp: NOTIFY / notifySeconds, peer: undefined });
  rows.push({ workload: 'queryNodes group/* (1,000 matches)', unit: 'queries/s', higherIsBetter: true, wwatp: QUERIES / querySeconds, peer: undefined });
  rows.push({ workload: 'queryNodes, nodes returned', unit: 'nodes/s', higherIsBetter: true, wwatp: queried / querySeconds, peer: undefined });
  rows.push({ workload: 'memory per node (100-byte contents)', unit: 'bytes', higherIsBetter: false, wwatp: treeBytes / NODES, peer: mapBytes / NODES });
  rows.push({ workload: `heap for ${NODES.toLocaleString('en-US')} nodes`, unit: 'MiB', higherIsBetter: false, wwatp: treeBytes / 2 ** 20, peer: mapBytes / 2 ** 20, target: '< 600 MiB' });
  printTable(`SimpleBackend vs Map, ${NODES.toLocaleString('en-US')} nodes`, 'Map', rows);
  if (backend.size !== NODES) throw new Error('size mismatch');
}

await main();
