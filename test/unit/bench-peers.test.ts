import t from 'tap';
import { renderChart } from '../../bench/peers/chart.js';
import { isPeerRows, ratioTo, relativeToWwatp, rowsToJson, tableLines, type PeerRow } from '../../bench/peers/results.js';
import { median, percentile, summarize } from '../../bench/peers/stats.js';
import { makeValue, valueIndex } from '../../bench/peers/system.js';
import { subtreeSize, treeEntries } from '../../bench/peers/workloads.js';

const rows: PeerRow[] = [
  { workload: 'durable writes, 1 client', unit: 'writes/s', higherIsBetter: true, wwatp: 2000, etcd: 1000, zookeeper: 4000 },
  { workload: 'watch p99 <fast> & "quoted"', unit: 'ms', higherIsBetter: false, wwatp: 2, etcd: 4, zookeeper: 1 },
];

t.test('percentile is nearest-rank over sorted samples', async (t) => {
  const sorted = Float64Array.from({ length: 100 }, (_, i) => i + 1);
  t.equal(percentile(sorted, 50), 50);
  t.equal(percentile(sorted, 99), 99);
  t.equal(percentile(sorted, 100), 100);
  t.equal(percentile([7], 1), 7);
  t.equal(percentile([1, 2, 3], 50), 2);
  t.throws(() => percentile([], 50));
  t.throws(() => percentile([1], 0));
  const s = summarize([5, 1, 4, 2, 3]);
  t.same(s, { p50: 3, p99: 5, samples: 5 });
  t.equal(median([3, 1, 2]), 2);
  t.equal(median([4, 1, 3, 2]), 2);
});

t.test('ratios read above 1 when wwatp is better, whatever the unit', async (t) => {
  t.equal(ratioTo(rows[0] as PeerRow, 'etcd'), 2);
  t.equal(ratioTo(rows[0] as PeerRow, 'zookeeper'), 0.5);
  t.equal(ratioTo(rows[1] as PeerRow, 'etcd'), 2);
  t.equal(ratioTo(rows[1] as PeerRow, 'zookeeper'), 0.5);
  t.equal(relativeToWwatp(rows[1] as PeerRow, 'wwatp'), 1);
  t.equal(relativeToWwatp(rows[1] as PeerRow, 'zookeeper'), 2);
  t.equal(ratioTo({ ...(rows[0] as PeerRow), etcd: 0 }, 'etcd'), undefined);
  const table = tableLines(rows);
  t.equal(table.length, 4);
  t.match(table[2], /\| 2\.00 +\| 0\.50 +\|$/);
});

t.test('results JSON holds exactly the row fields, and the checker says so', async (t) => {
  const parsed: unknown = JSON.parse(rowsToJson(rows));
  t.ok(isPeerRows(parsed));
  t.same(parsed, rows);
  t.same(Object.keys((parsed as PeerRow[])[0] as PeerRow).sort(), ['etcd', 'higherIsBetter', 'unit', 'workload', 'wwatp', 'zookeeper']);
  t.notOk(isPeerRows({}));
  t.notOk(isPeerRows([{ ...rows[0], extra: 1 }]));
  t.notOk(isPeerRows([{ ...rows[0], etcd: '1' }]));
  t.notOk(isPeerRows([{ ...rows[0], zookeeper: Number.NaN }]));
  t.throws(() => rowsToJson([{ ...(rows[0] as PeerRow), etcd: Number.POSITIVE_INFINITY }]));
  t.equal((JSON.parse(rowsToJson([{ ...(rows[0] as PeerRow), wwatp: 1234.5678 }])) as PeerRow[])[0]?.wwatp, 1235);
});

t.test('the chart is well-formed SVG with a bar per system per workload, text escaped', async (t) => {
  const svg = renderChart(rows, { subtitle: 'a & b' });
  t.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="\d+" height="\d+"/);
  t.match(svg, /<\/svg>\n$/);
  t.notMatch(svg, /<fast>/, 'workload text is escaped');
  t.match(svg, /&lt;fast&gt; &amp; &quot;quoted&quot;/);
  t.match(svg, /a &amp; b/);
  // Three bars (one per system) for each of the two workloads, plus the legend's three swatches.
  t.equal(svg.match(/<rect x="\d+(\.\d+)?" y="[\d.]+" width="[\d.]+" height="16"/g)?.length, 6);
  t.match(svg, /2\.00×/, 'a peer twice as good as wwatp is labelled 2.00×');
  t.match(svg, /0\.50×/);
  // Every element that opens closes: a rough check that the XML nests.
  const opened = (svg.match(/<(svg|text)\b/g) ?? []).length;
  const closed = (svg.match(/<\/(svg|text)>/g) ?? []).length;
  t.equal(opened, closed);
  t.doesNotThrow(() => renderChart([]));
});

t.test('values carry their index; the loaded tree has the promised shape', async (t) => {
  const v = makeValue(123_456);
  t.equal(v.length, 256);
  t.equal(valueIndex(v), 123_456);
  const shape = { subtrees: 4, perSubtree: 1000 };
  const entries = treeEntries(shape);
  t.equal(entries.length, 4 * (1 + 1000));
  t.equal(subtreeSize(shape), 1000);
  t.equal(entries.filter((e) => e.key.startsWith('load/s3/')).length, 1000);
  // Parents come before their children (ZooKeeper needs them to exist).
  const seen = new Set<string>(['load']);
  const orphans = entries.filter((e) => {
    const ok = seen.has(e.key.slice(0, e.key.lastIndexOf('/')));
    seen.add(e.key);
    return !ok;
  });
  t.same(orphans, []);
});

t.test('the runner explains itself and refuses what it does not know, before starting anything', async (t) => {
  const { execFile } = await import('node:child_process');
  const { join } = await import('node:path');
  const runner = join(process.cwd(), 'dist/bench/peers/run.js');
  const run = (args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      execFile(process.execPath, [runner, ...args], { timeout: 20_000 }, (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr }));
    });
  const help = await run(['--help']);
  t.equal(help.code, 0);
  t.match(help.stdout, /--workloads NAMES/);
  const bogus = await run(['--quick', '--bogus']);
  t.equal(bogus.code, 2, 'an unknown option is a usage error');
  t.match(bogus.stderr, /unknown option --bogus/);
  t.notMatch(bogus.stdout, /starting servers/, 'nothing was started');
  const system = await run(['--only', 'redis']);
  t.equal(system.code, 2);
  t.match(system.stderr, /unknown system "redis" \(use wwatp, etcd, zookeeper\)/);
  const missing = await run(['--workloads']);
  t.equal(missing.code, 2);
  t.match(missing.stderr, /--workloads needs a value/);
});

t.test('the floor report puts each system beside the engine alone', async (t) => {
  const { floorLines, roundFloor } = await import('../../bench/peers/floor-report.js');
  const floor = { requestsPerSecond: 20_000, clientCpuMicros: 30.04, serverCpuMicros: 28.96, roundTripP50Ms: 0.1 };
  const lines = floorLines(floor, { wwatp: 10_000, zookeeper: 25_000 }, { wwatp: 0.45, etcd: 0.5, zookeeper: 0.25 });
  t.match(lines.join('\n'), /20,000 requests\/s \(CPU per request: client 30\.0 µs, server 29\.0 µs\); reads\/s as a fraction of it: wwatp 0\.50, ZooKeeper 1\.25/);
  t.match(lines.join('\n'), /p50 round trip 0\.100 ms; durable-write p50 as a multiple of it: wwatp 4\.5×, etcd 5\.0×, ZooKeeper 2\.5×/);
  t.notMatch(floorLines(floor, undefined, undefined).join('\n'), /fraction|multiple/, 'without peer figures, only the floor');
  t.same(roundFloor({ ...floor, clientCpuMicros: 30.04567 }).clientCpuMicros, 30.05);
});

t.test('the engine floor answers every request over real QUIC, then leaves no server behind', { timeout: 60_000 }, async (t) => {
  const { engineFloor } = await import('../../bench/peers/engine-floor.js');
  const { runningChildren } = await import('../../bench/peers/processes.js');
  const before = runningChildren();
  const floor = await engineFloor({ connections: 4, requests: 400, sequential: 50 });
  t.ok(floor.requestsPerSecond > 0 && Number.isFinite(floor.requestsPerSecond), `${floor.requestsPerSecond.toFixed(0)} requests/s`);
  t.ok(floor.roundTripP50Ms > 0 && floor.roundTripP50Ms < 1000, `p50 ${floor.roundTripP50Ms.toFixed(3)} ms`);
  t.ok(floor.clientCpuMicros > 0 && floor.serverCpuMicros > 0, 'both processes spent CPU on the requests');
  t.equal(runningChildren(), before, 'the server process has exited');
});
