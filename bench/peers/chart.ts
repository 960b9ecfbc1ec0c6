import { formatFigure, relativeToWwatp, SYSTEMS, type PeerRow, type SystemName } from './results.js';

/** Colours by system, picked to stay apart for the common forms of colour blindness. */
const COLOURS: Record<SystemName, string> = { wwatp: '#1b6ac9', etcd: '#e08a0b', zookeeper: '#6b6b6b' };
const NAMES: Record<SystemName, string> = { wwatp: 'wwatp', etcd: 'etcd', zookeeper: 'ZooKeeper' };

export interface ChartOptions {
  title?: string;
  /** A line under the title: date, machine, durability. */
  subtitle?: string;
  /** Bars longer than this (relative to wwatp) are cut and marked; default fits the data, at most 4. */
  maxRelative?: number;
}

/** Splits text into lines of at most `width` characters at spaces (a longer word gets a line of its own). */
export function wrapText(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter((w) => w !== '')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') lines.push(line);
  return lines;
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const WIDTH = 1100;
const LABEL_W = 250;
/** Characters per line of a workload's name (13px bold: about 7.5px a character). */
const WRAP = 32;
const PLOT_X = LABEL_W + 110;
const PLOT_W = 440;
const BAR_H = 16;
const BAR_GAP = 4;
const GROUP_TOP = 22;
const GROUP_GAP = 14;
const HEADER_H = 84;

/**
 * Grouped horizontal bars, one group per workload: each system's performance relative to
 * wwatp (wwatp = 1, longer is better whatever the unit), with the measured figure beside
 * each bar. Horizontal so long workload names stay readable; relative so rows in
 * different units share one axis. Plain SVG text, no dependency.
 */
export function renderChart(rows: readonly PeerRow[], options: ChartOptions = {}): string {
  const relatives = rows.flatMap((r) => SYSTEMS.map((s) => relativeToWwatp(r, s) ?? 0));
  const fitted = Math.ceil(Math.max(1, ...relatives) * 2) / 2;
  const maxRel = options.maxRelative ?? Math.min(4, fitted);
  const x = (rel: number): number => PLOT_X + (Math.min(rel, maxRel) / maxRel) * PLOT_W;
  const titles = rows.map((r) => wrapText(r.workload, WRAP));
  // Room for the bars, or for the wrapped name and the unit line when those are taller.
  const heightOf = (lines: number): number => Math.max(GROUP_TOP + SYSTEMS.length * (BAR_H + BAR_GAP), 16 * (lines + 1) + 8) + GROUP_GAP;
  const tops: number[] = [];
  let y = HEADER_H;
  for (const t of titles) {
    tops.push(y);
    y += heightOf(t.length);
  }
  const height = y + 40;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="system-ui, -apple-system, 'Segoe UI', sans-serif" font-size="13">`);
  out.push(`<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`);
  out.push(`<text x="20" y="28" font-size="18" font-weight="600">${escapeXml(options.title ?? 'wwatp beside etcd and ZooKeeper')}</text>`);
  if (options.subtitle) out.push(`<text x="20" y="48" fill="#444">${escapeXml(options.subtitle)}</text>`);
  out.push(`<text x="20" y="68" fill="#444">Bars: performance relative to wwatp (wwatp = 1; longer is better for every workload). Figures: as measured.</text>`);
  // Legend, top right.
  SYSTEMS.forEach((s, i) => {
    const lx = WIDTH - 300 + i * 95;
    out.push(`<rect x="${lx}" y="16" width="12" height="12" fill="${COLOURS[s]}"/><text x="${lx + 17}" y="27">${NAMES[s]}</text>`);
  });
  const plotTop = HEADER_H;
  const plotBottom = y;
  // Gridlines every 0.5 (1 when the axis is long), the 1.0 line stronger: where wwatp stands.
  const step = maxRel > 2 ? 1 : 0.5;
  for (let v = 0; v <= maxRel + 1e-9; v += step) {
    const gx = x(v).toFixed(1);
    const strong = Math.abs(v - 1) < 1e-9;
    out.push(`<line x1="${gx}" y1="${plotTop}" x2="${gx}" y2="${plotBottom}" stroke="${strong ? '#1b6ac9' : '#dddddd'}" stroke-width="${strong ? 1.5 : 1}"${strong ? ' stroke-dasharray="4 3"' : ''}/>`);
    out.push(`<text x="${gx}" y="${plotBottom + 16}" text-anchor="middle" fill="#444">${v}×</text>`);
  }
  rows.forEach((row, g) => {
    const top = tops[g] as number;
    const direction = row.higherIsBetter ? 'higher is better' : 'lower is better';
    const lines = titles[g] as string[];
    lines.forEach((text, l) => out.push(`<text x="20" y="${top + 15 + 16 * l}" font-weight="600">${escapeXml(text)}</text>`));
    out.push(`<text x="20" y="${top + 15 + 16 * lines.length}" fill="#444">${escapeXml(`${row.unit}, ${direction}`)}</text>`);
    SYSTEMS.forEach((s, i) => {
      const rel = relativeToWwatp(row, s);
      const by = top + GROUP_TOP - 16 + i * (BAR_H + BAR_GAP);
      const end = x(rel ?? 0);
      out.push(`<text x="${PLOT_X - 6}" y="${by + 12}" text-anchor="end" fill="#222">${NAMES[s]}</text>`);
      out.push(`<rect x="${PLOT_X}" y="${by}" width="${Math.max(0, end - PLOT_X).toFixed(1)}" height="${BAR_H}" fill="${COLOURS[s]}"/>`);
      const cut = rel !== undefined && rel > maxRel;
      if (cut) out.push(`<path d="M${(end - 8).toFixed(1)} ${by} l6 ${BAR_H / 2} l-6 ${BAR_H / 2}" fill="none" stroke="#ffffff" stroke-width="2"/>`);
      const relText = rel === undefined ? 'n/a' : `${rel.toFixed(2)}×`;
      out.push(`<text x="${(end + 6).toFixed(1)}" y="${by + 12}" fill="#222">${escapeXml(`${relText}  (${formatFigure(row[s])} ${row.unit})`)}</text>`);
    });
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
