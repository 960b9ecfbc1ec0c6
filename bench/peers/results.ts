import { writeFileSync } from 'node:fs';

/** The systems measured, in the order they appear in the table, the JSON and the chart. */
export const SYSTEMS = ['wwatp', 'etcd', 'zookeeper'] as const;
export type SystemName = (typeof SYSTEMS)[number];
export const PEERS = ['etcd', 'zookeeper'] as const satisfies readonly SystemName[];
export type PeerName = (typeof PEERS)[number];

/** One row of bench/results/peers.json: a workload measured on all three systems in one run. */
export interface PeerRow {
  workload: string;
  unit: string;
  higherIsBetter: boolean;
  wwatp: number;
  etcd: number;
  zookeeper: number;
}

/** wwatp's ratio to a peer, oriented so that above 1 means wwatp is better; undefined when a figure is 0. */
export function ratioTo(row: PeerRow, peer: PeerName): number | undefined {
  const ours = row.wwatp;
  const theirs = row[peer];
  if (!(ours > 0) || !(theirs > 0)) return undefined;
  return row.higherIsBetter ? ours / theirs : theirs / ours;
}

/** A system's performance relative to wwatp (wwatp = 1), oriented so that higher is better. */
export function relativeToWwatp(row: PeerRow, system: SystemName): number | undefined {
  if (system === 'wwatp') return 1;
  const r = ratioTo(row, system);
  return r === undefined ? undefined : 1 / r;
}

/** Checks a parsed value is an array of PeerRow (what a reader of peers.json may rely on). */
export function isPeerRows(value: unknown): value is PeerRow[] {
  if (!Array.isArray(value)) return false;
  return value.every((row: unknown) => {
    if (row === null || typeof row !== 'object') return false;
    const r = row as Record<string, unknown>;
    const keys = Object.keys(r).sort().join(',');
    if (keys !== 'etcd,higherIsBetter,unit,workload,wwatp,zookeeper') return false;
    return typeof r.workload === 'string' && typeof r.unit === 'string' && typeof r.higherIsBetter === 'boolean'
      && SYSTEMS.every((s) => typeof r[s] === 'number' && Number.isFinite(r[s]));
  });
}

/** The rows as peers.json text: exactly the PeerRow fields, figures rounded to 4 significant digits. */
export function rowsToJson(rows: readonly PeerRow[]): string {
  const round = (v: number): number => Number(v.toPrecision(4));
  const clean = rows.map((r): PeerRow => ({ workload: r.workload, unit: r.unit, higherIsBetter: r.higherIsBetter, wwatp: round(r.wwatp), etcd: round(r.etcd), zookeeper: round(r.zookeeper) }));
  if (!isPeerRows(clean)) throw new Error('bench:peers: a result row has a missing or non-finite figure');
  return `${JSON.stringify(clean, null, 2)}\n`;
}

export function writeRows(path: string, rows: readonly PeerRow[]): void {
  writeFileSync(path, rowsToJson(rows));
}

export function formatFigure(value: number): string {
  if (value >= 100) return Math.round(value).toLocaleString('en-US');
  return value.toPrecision(3);
}

/** The table as Markdown: figures for all three, then wwatp's ratio to each peer. */
export function tableLines(rows: readonly PeerRow[]): string[] {
  const header = ['workload', 'unit', 'wwatp', 'etcd', 'ZooKeeper', 'vs etcd', 'vs ZooKeeper'];
  const ratioText = (r: number | undefined): string => (r === undefined ? '—' : r.toFixed(2));
  const body = rows.map((r) => [r.workload, r.unit, formatFigure(r.wwatp), formatFigure(r.etcd), formatFigure(r.zookeeper), ratioText(ratioTo(r, 'etcd')), ratioText(ratioTo(r, 'zookeeper'))]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] as string).length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i] as number)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)];
}
