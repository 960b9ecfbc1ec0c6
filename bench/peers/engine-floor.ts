/**
 * The engine floor: how fast the transport wwatp is built on goes by itself on this
 * machine, measured beside the peers so the ratios have a reference. A server process
 * answers fixed-size requests over QUIC (quiche through @matrixai/quic, node:dgram: the
 * engine wwatp's server and client use) with nothing above it; this process is the client.
 * Sizes are a read's: a small request, an answer the size of a 256-byte node on the wire.
 * Whatever wwatp does for a read (HTTP/3, WWATP, storage) comes on top of this, so a
 * peer faster than the floor is out of reach for that workload whatever wwatp's own code does.
 */
import type { ChildProcess } from 'node:child_process';
import { connectQuic, type QuicBidiStream, type QuicConnection } from '../../src/transport/quic/index.js';
import type { FloorServerReady, FromFloorServer, ToFloorServer } from './engine-floor-server.js';
import type { FloorFigures } from './floor-report.js';
import { askToStop, siblingScript, spawnTracked, within } from './processes.js';
import { summarize } from './stats.js';

export const FLOOR_ALPN = 'wwatp-bench-floor';
export const FLOOR_REQUEST_BYTES = 32;
export const FLOOR_ANSWER_BYTES = 320;

export interface EngineFloorOptions {
  /** Connections for the throughput part, each with one request in flight. */
  connections: number;
  /** Requests for the throughput part, over all connections. */
  requests: number;
  /** Requests one at a time on one connection, for the round trip. */
  sequential: number;
}

/**
 * requestsPerSecond: `connections` connections with one request in flight each;
 * clientCpuMicros / serverCpuMicros: CPU per request there (this process, the server's);
 * roundTripP50Ms: the median round trip of one request at a time on one connection.
 */
export type EngineFloor = FloorFigures;

/** One request, then its whole answer: resolves once `FLOOR_ANSWER_BYTES` came back. */
async function ask(stream: QuicBidiStream, request: Uint8Array): Promise<void> {
  await stream.write(request);
  for (let got = 0; got < FLOOR_ANSWER_BYTES; ) {
    const bytes = await stream.read();
    if (bytes === undefined) throw new Error('engine floor: the server ended the stream');
    got += bytes.length;
  }
}

function message<T>(child: ChildProcess, pick: (m: FromFloorServer) => T | undefined): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onMessage = (m: FromFloorServer): void => {
      if ('failed' in m) return void reject(new Error(`engine floor server failed: ${m.failed}`));
      const value = pick(m);
      if (value === undefined) return;
      child.off('message', onMessage);
      resolve(value);
    };
    child.on('message', onMessage);
  });
}

export async function engineFloor(options: EngineFloorOptions): Promise<EngineFloor> {
  const { script, execArgv } = siblingScript('engine-floor-server');
  const child = spawnTracked(process.execPath, [...execArgv, script, String(FLOOR_REQUEST_BYTES), String(FLOOR_ANSWER_BYTES)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const connections: QuicConnection[] = [];
  try {
    const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`engine floor server exited (${code})`))));
    const ready = await within(Promise.race([message(child, (m) => ('ready' in m ? m.ready : undefined)), exited]), 30_000, 'engine floor server did not start within 30 s');
    const serverCpu = (): Promise<number> => {
      const answer = message(child, (m) => ('cpuMicros' in m ? m.cpuMicros : undefined));
      child.send('cpu' satisfies ToFloorServer);
      return answer;
    };
    const open = (r: FloorServerReady): Promise<QuicConnection> => connectQuic({ host: r.host, port: r.port, alpn: [FLOOR_ALPN], certificateHash: r.certificateHash });
    for (let i = 0; i < options.connections; i++) connections.push(await open(ready));
    const streams = connections.map((c) => c.openBidiStream());
    const request = new Uint8Array(FLOOR_REQUEST_BYTES).fill(0x71);
    // Warm-up: a few requests on every connection.
    await Promise.all(streams.map(async (s) => {
      for (let i = 0; i < 10; i++) await ask(s, request);
    }));

    let next = 0;
    const server0 = await serverCpu();
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    await Promise.all(streams.map(async (s) => {
      while (next < options.requests) {
        next++;
        await ask(s, request);
      }
    }));
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu = process.cpuUsage(cpu0);
    const serverMicros = (await serverCpu()) - server0;

    const one = streams[0] as QuicBidiStream;
    const times = new Float64Array(options.sequential);
    for (let i = 0; i < options.sequential; i++) {
      const t = process.hrtime.bigint();
      await ask(one, request);
      times[i] = Number(process.hrtime.bigint() - t) / 1e6;
    }
    return {
      requestsPerSecond: options.requests / seconds,
      clientCpuMicros: (cpu.user + cpu.system) / options.requests,
      serverCpuMicros: serverMicros / options.requests,
      roundTripP50Ms: summarize(times).p50,
    };
  } finally {
    await Promise.all(connections.map((c) => c.close().catch(() => undefined)));
    await askToStop(child, 'close' satisfies ToFloorServer, 10_000);
  }
}
