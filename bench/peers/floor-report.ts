/**
 * How the engine floor (engine-floor.ts) is reported: each system's reads as a fraction of
 * what QUIC alone answers, each system's durable-write p50 as a multiple of QUIC's bare
 * round trip. A peer whose fraction is near or above 1 is as fast as the engine wwatp
 * stands on, before wwatp does any work of its own.
 */
import { SYSTEMS, type SystemName } from './results.js';

export interface FloorFigures {
  requestsPerSecond: number;
  clientCpuMicros: number;
  serverCpuMicros: number;
  roundTripP50Ms: number;
}

type Figures = Partial<Record<SystemName, number>>;

const NAMES: Record<SystemName, string> = { wwatp: 'wwatp', etcd: 'etcd', zookeeper: 'ZooKeeper' };

function each(figures: Figures | undefined, show: (value: number) => string): string | undefined {
  if (!figures) return undefined;
  const parts = SYSTEMS.filter((s) => (figures[s] ?? 0) > 0).map((s) => `${NAMES[s]} ${show(figures[s] as number)}`);
  return parts.length > 0 ? parts.join(', ') : undefined;
}

/** The lines printed under the table. */
export function floorLines(floor: FloorFigures, reads: Figures | undefined, writeP50: Figures | undefined): string[] {
  const rate = Math.round(floor.requestsPerSecond).toLocaleString('en-US');
  const fractions = each(reads, (v) => (v / floor.requestsPerSecond).toFixed(2));
  const multiples = each(writeP50, (v) => `${(v / floor.roundTripP50Ms).toFixed(1)}×`);
  return [
    '',
    'Engine floor: QUIC alone (quiche through @matrixai/quic, node:dgram), nothing above it, in the same run:',
    `  concurrent: ${rate} requests/s (CPU per request: client ${floor.clientCpuMicros.toFixed(1)} µs, server ${floor.serverCpuMicros.toFixed(1)} µs)${fractions ? `; reads/s as a fraction of it: ${fractions}` : ''}`,
    `  one at a time: p50 round trip ${floor.roundTripP50Ms.toFixed(3)} ms${multiples ? `; durable-write p50 as a multiple of it: ${multiples}` : ''}`,
  ];
}

/** The figures for peers-floor.json, to 4 significant digits. */
export function roundFloor(floor: FloorFigures): FloorFigures {
  const r = (v: number): number => Number(v.toPrecision(4));
  return { requestsPerSecond: r(floor.requestsPerSecond), clientCpuMicros: r(floor.clientCpuMicros), serverCpuMicros: r(floor.serverCpuMicros), roundTripP50Ms: r(floor.roundTripP50Ms) };
}
