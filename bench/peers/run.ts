/**
 * bench:peers — wwatp beside etcd and ZooKeeper, the stores people pick today for a
 * shared, watchable tree: each server started here on loopback with its default
 * durability (fsync before acknowledging), the same workloads from Node.js clients, one
 * table of wwatp's ratio to each peer. `--quick` for a run under a minute (prints only);
 * a full run writes bench/results/peers.json and peers.svg. `--only wwatp,etcd` and
 * `--workloads seq,conc,reads,watch,load,floor` narrow a run (for profiling; nothing written);
 * `--chart-only` redraws peers.svg from peers.json. `--profile-server DIR` writes the wwatp server's CPU profile there; `--verbose` adds
 * per-system wall and CPU time and wwatp's commit batching. The `floor` workload measures the
 * engine alone (see engine-floor.ts): the reference the read and latency rows are read against.
 */
import { cpus, totalmem } from 'node:os';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderChart } from './chart.js';
import { installCleanup } from './processes.js';
import { isPeerRows, SYSTEMS, tableLines, writeRows, type PeerRow, type SystemName } from './results.js';
import type { PeerSystem } from './system.js';
import { startEtcd } from './etcd.js';
import { startWwatp } from './wwatp.js';
import { startZooKeeper } from './zookeeper.js';
import { engineFloor, FLOOR_ANSWER_BYTES, FLOOR_REQUEST_BYTES, type EngineFloor } from './engine-floor.js';
import { floorLines, roundFloor } from './floor-report.js';
import { concurrentReads, concurrentWrites, loadAndRead, sequentialWrites, subtreeSize, watchLatency, type TreeShape } from './workloads.js';

const USAGE = `usage: npm run bench:peers [-- options]
       node dist/bench/peers/run.js [options]

Starts wwatp, etcd and ZooKeeper on loopback, runs the same workloads against each and
prints wwatp's ratio to each peer. A full run writes bench/results/peers.json and peers.svg.

  --quick                 smaller sizes, under a minute; prints only
  --only SYSTEMS          some of wwatp,etcd,zookeeper (comma-separated); prints only
  --workloads NAMES       some of seq,conc,reads,watch,load,floor (comma-separated); prints only
                          (floor: QUIC alone, no HTTP/3, WWATP or storage, for reference)
  --verbose               per system: wall and CPU time, wwatp's commits and datagrams
  --profile-server DIR    write the wwatp server's CPU profile to DIR
  --chart-only            redraw peers.svg from peers.json, start nothing
  --help                  this text`;
const FLAGS = new Set(['--quick', '--verbose', '--chart-only', '--help']);
const VALUED = new Set(['--only', '--workloads', '--profile-server']);
const argv = process.argv.slice(2);
if (argv.includes('--help') || argv.includes('-h')) {
  console.log(USAGE);
  process.exit(0);
}
for (let i = 0; i < argv.length; i++) {
  const arg = argv[i] as string;
  if (FLAGS.has(arg)) continue;
  if (VALUED.has(arg) && argv[i + 1] !== undefined && !(argv[i + 1] as string).startsWith('--')) {
    i++;
    continue;
  }
  console.error(VALUED.has(arg) ? `bench:peers: ${arg} needs a value` : `bench:peers: unknown option ${arg}`);
  console.error(USAGE);
  process.exit(2);
}
const quick = argv.includes('--quick');
const option = (name: string): string | undefined => {
  const at = argv.indexOf(name);
  return at >= 0 ? argv[at + 1] : undefined;
};
const only = (option('--only')?.split(',') ?? [...SYSTEMS]) as SystemName[];
const WORKLOADS = ['seq', 'conc', 'reads', 'watch', 'load', 'floor'] as const;
type WorkloadName = (typeof WORKLOADS)[number];
const workloads = (option('--workloads')?.split(',') ?? [...WORKLOADS]) as WorkloadName[];
const profileDir = option('--profile-server');
const verbose = argv.includes('--verbose');
const refuse = (message: string): never => {
  console.error(`bench:peers: ${message}`);
  process.exit(2);
};
for (const s of only) if (!SYSTEMS.includes(s)) refuse(`--only: unknown system "${s}" (use ${SYSTEMS.join(', ')})`);
for (const w of workloads) if (!WORKLOADS.includes(w)) refuse(`--workloads: unknown workload "${w}" (use ${WORKLOADS.join(', ')})`);
const complete = process.env['WWATP_PEERS_BACKEND'] === undefined && !quick && only.length === SYSTEMS.length && workloads.length === WORKLOADS.length;

const CLIENTS = 64;
const WATCHERS = 100;
const P = quick
  ? { seq: 200, seqWarmup: 20, conc: 3000, concWarmup: 2, reads: 6000, readNodes: 2000, watchWrites: 20, watchWarmup: 3, tree: { subtrees: 10, perSubtree: 1000 }, subtreeReads: 3, floorRequests: 6000, floorSequential: 200 }
  : { seq: 2000, seqWarmup: 100, conc: 20_000, concWarmup: 5, reads: 50_000, readNodes: 20_000, watchWrites: 200, watchWarmup: 10, tree: { subtrees: 10, perSubtree: 10_000 }, subtreeReads: 3, floorRequests: 50_000, floorSequential: 2000 };
const BATCH = 100;
const IN_FLIGHT = 16;
const treeShape: TreeShape = P.tree;
const treeNodes = treeShape.subtrees * (1 + subtreeSize(treeShape));

const fmt = (n: number): string => n.toLocaleString('en-US', { maximumFractionDigits: n >= 100 ? 0 : 2 });
const log = (text: string): void => console.log(`  ${text}`);

// bench/results/ of the project, from bench/peers/ (source) or dist/bench/peers/ (built)
const resultsDir = fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? '../results/' : '../../../bench/results/', import.meta.url));
const machine = `${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB`;
const chartSubtitle = (date: string): string => `${date} · ${machine} · fsync before acknowledging: SQLite synchronous=FULL, etcd defaults, ZooKeeper forceSync=yes`;
const CHART_TITLE = 'wwatp beside etcd and ZooKeeper (bench:peers)';

// `--chart-only`: draw peers.svg again from peers.json (dated by the file), no servers.
if (argv.includes('--chart-only')) {
  const parsed: unknown = JSON.parse(readFileSync(`${resultsDir}peers.json`, 'utf8'));
  if (!isPeerRows(parsed)) throw new Error('bench/results/peers.json is not an array of result rows');
  writeFileSync(`${resultsDir}peers.svg`, renderChart(parsed, { title: CHART_TITLE, subtitle: chartSubtitle(statSync(`${resultsDir}peers.json`).mtime.toISOString().slice(0, 10)) }));
  console.log('wrote bench/results/peers.svg');
  process.exit(0);
}

installCleanup();
const started = new Date();
console.log(`bench:peers${quick ? ' --quick' : ''} — node ${process.version}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, ${started.toISOString()}`);

const systems = new Map<SystemName, PeerSystem>();
type Figures = Partial<Record<SystemName, number>>;
const rows: Array<{ workload: string; unit: string; higherIsBetter: boolean; figures: Figures }> = [];
let readFigures: Figures | undefined;
let writeP50Figures: Figures | undefined;
let floor: EngineFloor | undefined;
const row = (workload: string, unit: string, higherIsBetter: boolean): Figures => {
  const figures: Figures = {};
  rows.push({ workload, unit, higherIsBetter, figures });
  return figures;
};

try {
  console.log('starting servers ...');
  const starters: Record<SystemName, () => Promise<PeerSystem>> = { wwatp: () => startWwatp({ ...(profileDir ? { profileDir } : {}) }), etcd: startEtcd, zookeeper: startZooKeeper };
  for (const name of only) {
    const t = Date.now();
    const system = await starters[name]();
    systems.set(name, system);
    log(`${system.describe} (${Date.now() - t} ms to start)`);
  }
  // Each workload runs on the three systems back to back, so drift in the machine's load
  // and disk touches them alike.
  const each = async (title: string, run: (system: PeerSystem) => Promise<void>): Promise<void> => {
    console.log(`\n${title}`);
    for (const system of systems.values()) {
      await system.diagnostics?.();
      const cpu0 = process.cpuUsage();
      const t0 = Date.now();
      await run(system);
      const cpu = process.cpuUsage(cpu0);
      const server = (await system.diagnostics?.()) ?? '';
      if (verbose) log(`  (${system.name}: ${((Date.now() - t0) / 1000).toFixed(1)} s, client process ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s CPU${server ? `; ${server}` : ''})`);
    }
  };
  if (workloads.includes('seq')) {
    const rate = row('durable writes, 1 client, sequential', 'writes/s', true);
    const p50 = row('durable writes, 1 client: p50 latency', 'ms', false);
    const p99 = row('durable writes, 1 client: p99 latency', 'ms', false);
    writeP50Figures = p50;
    await each(`durable writes, 1 client, sequential (${fmt(P.seq)} creates)`, async (s) => {
      const r = await sequentialWrites(s, P.seq, P.seqWarmup);
      [rate[s.name], p50[s.name], p99[s.name]] = [r.opsPerSecond, r.p50, r.p99];
      log(`${s.name}: ${fmt(r.opsPerSecond)} writes/s, p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms`);
    });
  }
  if (workloads.includes('conc')) {
    const writes = row(`durable writes, ${CLIENTS} concurrent clients`, 'writes/s', true);
    await each(`durable writes, ${CLIENTS} clients (a connection each), one write in flight each (${fmt(P.conc)} creates)`, async (s) => {
      writes[s.name] = await concurrentWrites(s, P.conc, CLIENTS, P.concWarmup);
      log(`${s.name}: ${fmt(writes[s.name] ?? 0)} writes/s`);
    });
  }
  if (workloads.includes('reads')) {
    const reads = row(`reads of existing nodes, ${CLIENTS} concurrent clients`, 'reads/s', true);
    readFigures = reads;
    await each(`reads of existing nodes, ${CLIENTS} clients, one read in flight each (${fmt(P.reads)} reads of ${fmt(P.readNodes)} nodes)`, async (s) => {
      reads[s.name] = await concurrentReads(s, P.reads, P.readNodes, CLIENTS);
      log(`${s.name}: ${fmt(reads[s.name] ?? 0)} reads/s`);
    });
  }
  if (workloads.includes('watch')) {
    const p50 = row(`watch, ${WATCHERS} watchers on one subtree: p50 write → notification`, 'ms', false);
    const p99 = row(`watch, ${WATCHERS} watchers on one subtree: p99 write → notification`, 'ms', false);
    await each(`watch: ${WATCHERS} watchers (a connection each) on one subtree, ${fmt(P.watchWrites)} writes`, async (s) => {
      const r = await watchLatency(s, WATCHERS, P.watchWrites, P.watchWarmup);
      [p50[s.name], p99[s.name]] = [r.p50, r.p99];
      log(`${s.name}: p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms (${fmt(r.samples)} notifications)`);
    });
  }
  if (workloads.includes('load')) {
    const load = row(`load a ${fmt(treeNodes)}-node tree (batches of ${BATCH}, ${IN_FLIGHT} in flight)`, 's', false);
    const read = row(`then read one ${fmt(subtreeSize(treeShape))}-node subtree whole`, 's', false);
    await each(`load a ${fmt(treeNodes)}-node tree through one client, atomic batches of ${BATCH}, ${IN_FLIGHT} batches in flight; then read one ${fmt(subtreeSize(treeShape))}-node subtree (median of ${P.subtreeReads})`, async (s) => {
      const r = await loadAndRead(s, treeShape, BATCH, IN_FLIGHT, P.subtreeReads, log);
      [load[s.name], read[s.name]] = [r.loadSeconds, r.readSeconds];
      log(`${s.name}: load ${r.loadSeconds.toFixed(2)} s (${fmt(r.nodes / r.loadSeconds)} nodes/s), subtree read ${(r.readSeconds * 1000).toFixed(0)} ms`);
    });
  }
} finally {
  console.log('\nstopping servers ...');
  await Promise.all([...systems.values()].map((s) => s.stop().catch((error: unknown) => console.error(`stopping ${s.name}:`, error))));
}
if (workloads.includes('floor')) {
  // With every peer stopped: the floor shares the machine with nothing else of ours.
  console.log(`\nengine floor: QUIC alone (quiche, node:dgram), ${CLIENTS} connections, ${fmt(P.floorRequests)} requests of ${FLOOR_REQUEST_BYTES} bytes answered with ${FLOOR_ANSWER_BYTES}; then ${fmt(P.floorSequential)} one at a time`);
  floor = await engineFloor({ connections: CLIENTS, requests: P.floorRequests, sequential: P.floorSequential });
  log(`${fmt(floor.requestsPerSecond)} requests/s (CPU per request: client ${floor.clientCpuMicros.toFixed(1)} µs, server ${floor.serverCpuMicros.toFixed(1)} µs); one at a time: p50 round trip ${floor.roundTripP50Ms.toFixed(3)} ms`);
}

const full: PeerRow[] = rows.map((r) => ({ workload: r.workload, unit: r.unit, higherIsBetter: r.higherIsBetter, wwatp: r.figures.wwatp ?? 0, etcd: r.figures.etcd ?? 0, zookeeper: r.figures.zookeeper ?? 0 }));
const date = started.toISOString().slice(0, 10);
console.log(`\nwwatp beside etcd and ZooKeeper — ${date}, ${machine}${quick ? ' (--quick sizes)' : ''}\n`);
for (const line of tableLines(full)) console.log(line);
console.log('\nvs etcd / vs ZooKeeper: wwatp\'s ratio to the peer, above 1.00 means wwatp is better.');
console.log('Durability: wwatp SQLite WAL synchronous=FULL; etcd WAL fsync per commit (default); ZooKeeper forceSync=yes (default).');
if (floor) for (const line of floorLines(floor, readFigures, writeP50Figures)) console.log(line);

if (complete) {
  mkdirSync(resultsDir, { recursive: true });
  writeRows(`${resultsDir}peers.json`, full);
  if (floor) writeFileSync(`${resultsDir}peers-floor.json`, `${JSON.stringify({ date, connections: CLIENTS, requestBytes: FLOOR_REQUEST_BYTES, answerBytes: FLOOR_ANSWER_BYTES, ...roundFloor(floor) }, null, 2)}\n`);
  writeFileSync(`${resultsDir}peers.svg`, renderChart(full, { title: CHART_TITLE, subtitle: chartSubtitle(date) }));
  console.log(`\nwrote bench/results/peers.json, peers-floor.json and peers.svg`);
} else {
  console.log('\n(a partial or --quick run: bench/results/ left as it was)');
}
// Client libraries keep timers and sockets of their own (gRPC channels, ZooKeeper's
// reconnect logic) after close; every server is stopped by now, so leave explicitly.
process.exit(0);
