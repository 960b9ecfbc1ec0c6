/**
 * bench:transport — wwatp (startServer + connect over QUIC/HTTP/3 on 127.0.0.1, a
 * SimpleBackend behind it) beside node:http2 over TLS on loopback doing the same work in
 * the same run, plus wwatp's bulk throughput beside the raw quiche ceiling.
 *
 *   node dist/bench/transport/run.js [--quick] [--same-thread] [--only bulk,gets,rtt,watch,ceiling]
 *
 * --quick        a smaller run (under a minute)
 * --same-thread  servers on the clients' thread instead of a child process each
 * --only         run only the named workloads (for profiling)
 *
 * Results go to bench/results/transport.json as well.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDevCertificate } from '../../src/transport/certs/index.js';
import { printTable, ratio, type BenchRow } from '../table.js';
import { H2Client } from './h2-peer.js';
import { WwatpClient, type BenchClient } from './clients.js';
import { bulkNode, MiB, picks } from './data.js';
import { quicheCeiling, socketThroughput } from './quic-ceiling.js';
import { launchServer, type ServerHandle, type ServerSpec } from './servers.js';
import { bulkRoundTrip, gets, watchLatency, type BulkResult, type LatencyResult } from './workloads.js';

const args = process.argv.slice(2);
const QUICK = args.includes('--quick');
const WHERE = args.includes('--same-thread') ? 'same' : 'process';
const onlyAt = args.indexOf('--only');
const ONLY = onlyAt >= 0 ? new Set((args[onlyAt + 1] ?? '').split(',')) : undefined;
const want = (name: string): boolean => ONLY === undefined || ONLY.has(name);

// Same sizes and counts for both sides; --quick shrinks them (a 32 MiB bulk node, one round).
const P = QUICK
  ? { rounds: 1, seedNodes: 10_000, bulkBytes: 32 * MiB, getsWarmup: 4_000, getsTotal: 20_000, concurrency: 200, rttWarmup: 300, rttTotal: 2_000, watchWarmup: 100, watchSamples: 1_000, ceilingReps: 1 }
  : { rounds: 3, seedNodes: 100_000, bulkBytes: 64 * MiB, getsWarmup: 10_000, getsTotal: 60_000, concurrency: 200, rttWarmup: 1_000, rttTotal: 5_000, watchWarmup: 300, watchSamples: 3_000, ceilingReps: 3 };
/** Server and client accept nodes this big (the default limit is 16 MiB). */
const MAX_CONTENT = P.bulkBytes + MiB;

const started = Date.now();
function progress(message: string): void {
  console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s] ${message}`);
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

const fmt = (n: number, digits = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

interface Side {
  name: 'wwatp' | 'HTTP/2';
  server: ServerHandle;
  open(): Promise<BenchClient>;
}

/**
 * Runs `fn` and reports the CPU time it cost the client process and the side's server
 * process together (µs): steadier than wall time on a busy machine. The server's figure
 * is fetched outside the timed region, on both sides alike.
 */
async function withCpu<T>(side: Side, fn: () => Promise<T>): Promise<{ value: T; cpuMicros: number }> {
  const s0 = await side.server.cpuMicros();
  const c0 = process.cpuUsage();
  const value = await fn();
  const c = process.cpuUsage(c0);
  const s1 = await side.server.cpuMicros();
  return { value, cpuMicros: c.user + c.system + (s1 - s0) };
}

/** Runs `measure` for each side, `rounds` times, alternating which side goes first. */
async function alternate<T>(sides: readonly Side[], rounds: number, measure: (side: Side, round: number) => Promise<T>): Promise<Map<Side, T[]>> {
  const out = new Map<Side, T[]>(sides.map((s) => [s, []]));
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? sides : [...sides].reverse();
    for (const side of order) out.get(side)?.push(await measure(side, r));
  }
  return out;
}

async function main(): Promise<void> {
  const loadBefore = loadavg()[0] as number;
  console.log(`bench:transport${QUICK ? ' --quick' : ''} — node ${process.version}, load average ${loadBefore.toFixed(1)}, servers in ${WHERE === 'process' ? 'child processes' : 'the clients\u2019 thread'}, ${fmt(P.seedNodes)} small nodes seeded, ${P.bulkBytes / MiB} MiB bulk node`);
  const rows: BenchRow[] = [];
  const peerOf = new Map<BenchRow, string>();
  const add = (row: BenchRow, peer = 'HTTP/2'): void => {
    rows.push(row);
    peerOf.set(row, peer);
  };

  // The ceiling first, before any server runs: nothing else competes for the CPU.
  let ceilingMBps: number | undefined;
  let engineMBps: number | undefined;
  if (want('ceiling') || want('bulk')) {
    progress('raw quiche ceiling: warm-up (8 MiB)');
    await quicheCeiling({ bytes: 8 * MiB });
    const runs: number[] = [];
    for (let i = 0; i < P.ceilingReps; i++) {
      const t = await quicheCeiling({ bytes: P.bulkBytes });
      runs.push(t.mbitPerSecond / 8);
      progress(`raw quiche ceiling: ${P.bulkBytes / MiB} MiB at ${fmt(t.mbitPerSecond / 8)} MB/s`);
    }
    ceilingMBps = median(runs);
    const engine: number[] = [];
    for (let i = 0; i < P.ceilingReps; i++) {
      const t = await socketThroughput({ bytes: P.bulkBytes, serverThread: 'worker' });
      engine.push(t.mbitPerSecond / 8);
      progress(`QUIC engine over UDP (no HTTP/3, no WWATP): ${P.bulkBytes / MiB} MiB at ${fmt(t.mbitPerSecond / 8)} MB/s`);
    }
    engineMBps = median(engine);
  }

  const dev = await createDevCertificate();
  const spec = (kind: ServerSpec['kind']): ServerSpec => ({ kind, cert: dev.cert, key: dev.key, maxContentBytes: MAX_CONTENT, seedNodes: P.seedNodes });
  progress('starting servers (seeding the same nodes into each)');
  const wwatpServer = await launchServer(spec('wwatp'), WHERE);
  const h2Server = await launchServer(spec('h2'), WHERE);
  const sides: Side[] = [
    { name: 'wwatp', server: wwatpServer, open: () => WwatpClient.open(wwatpServer.url, wwatpServer.certificateHash, MAX_CONTENT) },
    { name: 'HTTP/2', server: h2Server, open: () => H2Client.open(h2Server.port, dev.cert, MAX_CONTENT) },
  ];
  const [W, H] = sides as [Side, Side];
  const clients = new Map<Side, BenchClient>();
  for (const side of sides) clients.set(side, await side.open());
  const client = (side: Side): BenchClient => clients.get(side) as BenchClient;

  try {
    const order = picks(P.seedNodes, 65_536);

    if (want('gets')) {
      for (const side of sides) {
        progress(`${side.name}: warm-up, ${fmt(P.getsWarmup)} gets with ${P.concurrency} in flight`);
        await gets(client(side), order, P.getsWarmup, P.concurrency);
      }
      const results = await alternate(sides, P.rounds, async (side) => {
        const r = await withCpu(side, () => gets(client(side), order, P.getsTotal, P.concurrency));
        progress(`${side.name}: ${fmt(P.getsTotal)} gets, ${P.concurrency} in flight: ${fmt(r.value)} gets/s, ${fmt(r.cpuMicros / P.getsTotal, 1)} µs CPU each`);
        return { rate: r.value, cpu: r.cpuMicros / P.getsTotal };
      });
      const pick = (side: Side, key: 'rate' | 'cpu'): number => median((results.get(side) ?? []).map((r) => r[key]));
      add({ workload: `small gets, ${P.concurrency} in flight, 1 connection`, unit: 'gets/s', higherIsBetter: true, wwatp: pick(W, 'rate'), peer: pick(H, 'rate'), target: '≥ 50,000/s' });
      add({ workload: `  CPU per get, client + server`, unit: 'µs', higherIsBetter: false, wwatp: pick(W, 'cpu'), peer: pick(H, 'cpu') });
    }

    if (want('rtt')) {
      for (const side of sides) {
        progress(`${side.name}: warm-up, ${fmt(P.rttWarmup)} gets one at a time`);
        await gets(client(side), order, P.rttWarmup, 1);
      }
      const results = await alternate(sides, P.rounds, async (side) => {
        const r = await withCpu(side, () => gets(client(side), order, P.rttTotal, 1));
        progress(`${side.name}: ${fmt(P.rttTotal)} gets one at a time: ${fmt(r.value)}/s (${fmt(1e6 / r.value)} µs each), ${fmt(r.cpuMicros / P.rttTotal)} µs CPU each`);
        return { rate: r.value, cpu: r.cpuMicros / P.rttTotal };
      });
      const pick = (side: Side, key: 'rate' | 'cpu'): number => median((results.get(side) ?? []).map((r) => r[key]));
      add({ workload: 'small get round trips, one at a time', unit: 'round trips/s', higherIsBetter: true, wwatp: pick(W, 'rate'), peer: pick(H, 'rate') });
      add({ workload: '  CPU per round trip, client + server', unit: 'µs', higherIsBetter: false, wwatp: pick(W, 'cpu'), peer: pick(H, 'cpu') });
    }

    if (want('bulk')) {
      const warm = bulkNode('bulk/warm', 4 * MiB);
      const big = bulkNode('bulk/big', P.bulkBytes);
      for (const side of sides) {
        progress(`${side.name}: warm-up, 4 MiB upsert + get`);
        await bulkRoundTrip(client(side), warm);
      }
      const results = await alternate(sides, P.rounds, async (side) => {
        const { value: r, cpuMicros } = await withCpu(side, () => bulkRoundTrip(client(side), big));
        progress(`${side.name}: ${P.bulkBytes / MiB} MiB upsert ${fmt(r.upMBps)} MB/s, get ${fmt(r.downMBps)} MB/s, round trip ${fmt(r.roundTripSeconds * 1000)} ms, ${fmt(cpuMicros / 1000)} ms CPU`);
        return { ...r, cpuMs: cpuMicros / 1000 };
      });
      const pick = (side: Side, key: keyof BulkResult | 'cpuMs'): number => median((results.get(side) ?? []).map((r) => r[key]));
      add({ workload: `bulk upsert ${P.bulkBytes / MiB} MiB node, client → server`, unit: 'MB/s', higherIsBetter: true, wwatp: pick(W, 'upMBps'), peer: pick(H, 'upMBps') });
      add({ workload: `bulk get ${P.bulkBytes / MiB} MiB node, server → client`, unit: 'MB/s', higherIsBetter: true, wwatp: pick(W, 'downMBps'), peer: pick(H, 'downMBps') });
      add({ workload: `bulk upsert + get ${P.bulkBytes / MiB} MiB, round trip`, unit: 'ms', higherIsBetter: false, wwatp: pick(W, 'roundTripSeconds') * 1000, peer: pick(H, 'roundTripSeconds') * 1000 });
      add({ workload: `  CPU for the round trip, client + server`, unit: 'ms', higherIsBetter: false, wwatp: pick(W, 'cpuMs'), peer: pick(H, 'cpuMs') });
      if (ceilingMBps !== undefined) {
        add({ workload: `bulk upsert ${P.bulkBytes / MiB} MiB vs raw quiche ceiling`, unit: 'MB/s', higherIsBetter: true, wwatp: pick(W, 'upMBps'), peer: ceilingMBps, target: '≥ 0.60 of ceiling' }, 'quiche ceiling');
      }
    }
    if (ceilingMBps !== undefined && engineMBps !== undefined) {
      add({ workload: `QUIC engine alone over UDP, ${P.bulkBytes / MiB} MiB vs ceiling`, unit: 'MB/s', higherIsBetter: true, wwatp: engineMBps, peer: ceilingMBps }, 'quiche ceiling');
    }

    // Only the watch clients are connected from here on: a wwatp server pushes every
    // change to every connected client's subscription, and an idle extra client would
    // add to wwatp's work alone.
    for (const c of clients.values()) await c.close();
    clients.clear();

    if (want('watch')) {
      // Fresh connections: A writes, B watches.
      const latency = new Map<Side, LatencyResult & { cpu: number }>();
      for (const side of [W, H]) {
        const a = await side.open();
        const b = await side.open();
        try {
          progress(`${side.name}: watch latency, ${fmt(P.watchWarmup)} warm-up + ${fmt(P.watchSamples)} writes on A seen by a listener on B`);
          const { value: r, cpuMicros } = await withCpu(side, () => watchLatency(a, b, 'watch/x', P.watchSamples, P.watchWarmup));
          const cpu = cpuMicros / (P.watchSamples + P.watchWarmup);
          latency.set(side, { ...r, cpu });
          progress(`${side.name}: watch latency p50 ${r.p50Ms.toFixed(3)} ms, p99 ${r.p99Ms.toFixed(3)} ms, mean ${r.meanMs.toFixed(3)} ms, ${fmt(cpu)} µs CPU per write`);
        } finally {
          await a.close();
          await b.close();
        }
      }
      const w = latency.get(W) as LatencyResult & { cpu: number };
      const h = latency.get(H) as LatencyResult & { cpu: number };
      add({ workload: 'watch latency p50 (write on A → listener on B)', unit: 'ms', higherIsBetter: false, wwatp: w.p50Ms, peer: h.p50Ms });
      add({ workload: 'watch latency p99 (write on A → listener on B)', unit: 'ms', higherIsBetter: false, wwatp: w.p99Ms, peer: h.p99Ms, target: '< 5 ms' });
      add({ workload: '  CPU per watched write, A + B + server', unit: 'µs', higherIsBetter: false, wwatp: w.cpu, peer: h.cpu });
    }
  } finally {
    for (const c of clients.values()) await c.close().catch(() => undefined);
    await wwatpServer.close();
    await h2Server.close();
  }

  printTable(`bench:transport${QUICK ? ' --quick' : ''} — peer: node:http2 over TLS on loopback; rows marked "vs … ceiling": the raw in-process quiche ceiling`, 'peer', rows);
  const date = new Date().toISOString();
  const met = (row: BenchRow): boolean | undefined => {
    const r = ratio(row);
    if (row.target === '≥ 50,000/s') return row.wwatp >= 50_000;
    if (row.target === '< 5 ms') return row.wwatp < 5;
    if (row.target === '≥ 0.60 of ceiling') return r !== undefined && r >= 0.6;
    return undefined;
  };
  console.log('');
  for (const row of rows) {
    const m = met(row);
    if (m !== undefined) console.log(`target ${m ? 'met    ' : 'MISSED '} ${row.workload}: ${fmt(row.wwatp, row.wwatp < 100 ? 2 : 0)} ${row.unit} (target ${row.target})`);
  }
  const json = {
    benchmark: 'transport',
    mode: QUICK ? 'quick' : 'full',
    date,
    node: process.version,
    servers: WHERE,
    parameters: P,
    // A busy machine slows both sides, but not evenly: read the CPU rows beside the wall-clock ones.
    loadAverage: { before: loadBefore, after: loadavg()[0] },
    rows: rows.map((r) => ({
      workload: r.workload,
      unit: r.unit,
      higherIsBetter: r.higherIsBetter,
      wwatp: r.wwatp,
      peer: r.peer ?? null,
      peerName: peerOf.get(r),
      ratio: ratio(r) ?? null,
      target: r.target ?? null,
      targetMet: met(r) ?? null,
      date,
      node: process.version,
    })),
  };
  // bench/results/ of the project, from bench/transport/ (source) or dist/bench/transport/ (built)
  const file = fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? '../results/transport.json' : '../../../bench/results/transport.json', import.meta.url));
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(json, null, 2)}\n`);
  console.log(`\nresults written to ${file} (${((Date.now() - started) / 1000).toFixed(0)} s in all)`);
}

await main();
