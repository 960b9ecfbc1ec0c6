/** A benchmark row: one workload measured on wwatp and on the peer in the same run. */
export interface BenchRow {
  workload: string;
  unit: string;
  higherIsBetter: boolean;
  wwatp: number;
  peer: number | undefined;
  target?: string;
}

function fmt(value: number | undefined): string {
  if (value === undefined) return '—';
  if (value >= 100) return Math.round(value).toLocaleString('en-US');
  return value.toPrecision(3);
}

/** wwatp's ratio to the peer, oriented so that above 1.0 always means wwatp is better. */
export function ratio(row: BenchRow): number | undefined {
  if (row.peer === undefined || row.peer === 0 || row.wwatp === 0) return undefined;
  return row.higherIsBetter ? row.wwatp / row.peer : row.peer / row.wwatp;
}

/** Prints rows as an aligned table with wwatp's ratio to the named peer. */
export function printTable(title: string, peerName: string, rows: readonly BenchRow[]): void {
  const header = ['workload', 'unit', 'wwatp', peerName, 'ratio', 'target'];
  const body = rows.map((r) => [r.workload, r.unit, fmt(r.wwatp), fmt(r.peer), ratio(r)?.toFixed(2) ?? '—', r.target ?? '']);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] as string).length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i] as number)).join(' | ')} |`;
  console.log(`\n${title}\n`);
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const b of body) console.log(line(b));
  console.log('\nratio: wwatp relative to the peer, above 1.00 means wwatp is better.');
}

/** Seconds since `start` (from process.hrtime.bigint()). */
export function secondsSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/** A row measured against a raw-library peer, as the storage benchmarks return them. */
export interface RawPeerRow {
  workload: string;
  unit: string;
  higherIsBetter: boolean;
  wwatp: number;
  raw: number;
  target?: string;
}

/** Rows with the raw library as the peer, for printTable. */
export function rawPeerRows(rows: readonly RawPeerRow[]): BenchRow[] {
  return rows.map((r) => ({ workload: r.workload, unit: r.unit, higherIsBetter: r.higherIsBetter, wwatp: r.wwatp, peer: r.raw, ...(r.target ? { target: r.target } : {}) }));
}
