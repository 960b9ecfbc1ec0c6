/**
 * The QUIC ceiling: what quiche itself can move, against what our engine moves over
 * real sockets. Both move 64 MiB on one stream, client to server, in this process.
 *
 *   quicheCeiling():    two quiche connections in one thread handing packets to each
 *                       other directly (no sockets, no timers): the most the binding allows.
 *   socketThroughput(): listenQuic + connectQuic over UDP on loopback, the server in a
 *                       worker thread (serverThread: 'worker', default) or on this
 *                       thread too ('same': the same CPU budget as the ceiling).
 *
 * Both report wall-clock and CPU time (cpuSeconds, all threads). Importing prints
 * nothing; the lead's runner prints the ratio.
 */
import { randomBytes } from 'node:crypto';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { createDevCertificate } from '../../src/transport/certs/index.js';
import { CID_LEN, quiche, type Connection } from '../../src/transport/quic/binding.js';
import { clientConfig, serverConfig, udpPayloadFor, type TransportOptions } from '../../src/transport/quic/config.js';
import { connectQuic, listenQuic } from '../../src/transport/quic/index.js';

export interface Throughput {
  mbitPerSecond: number;
  seconds: number;
  /** CPU time the process spent (user + system, all threads): steadier than wall time on a busy machine. */
  cpuSeconds: number;
}

export interface CeilingOptions extends TransportOptions {
  /** Bytes to move (default 64 MiB). */
  bytes?: number;
}

const MiB = 1024 * 1024;
const ALPN = ['bench'];
const CHUNK = 256 * 1024;

interface Clock {
  wall: bigint;
  cpu: NodeJS.CpuUsage;
}

function startClock(): Clock {
  return { wall: process.hrtime.bigint(), cpu: process.cpuUsage() };
}

function result(bytes: number, clock: Clock): Throughput {
  const seconds = Number(process.hrtime.bigint() - clock.wall) / 1e9;
  const cpu = process.cpuUsage(clock.cpu);
  return { mbitPerSecond: (bytes * 8) / seconds / 1e6, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}

/** Raw quiche: packets go from one conn.send() straight into the other's recv(). */
export async function quicheCeiling(options: CeilingOptions = {}): Promise<Throughput> {
  const total = options.bytes ?? 64 * MiB;
  const dev = await createDevCertificate();
  const sAddr = { host: '127.0.0.1', port: 4433 };
  const cAddr = { host: '127.0.0.1', port: 4434 };
  // The packet size wwatp itself picks for these addresses, so the ceiling is the same work.
  const settled = { ...options, maxUdpPayload: udpPayloadFor(sAddr.host, options.maxUdpPayload) };
  const client = quiche.Connection.connect(null, randomBytes(CID_LEN), cAddr, sAddr, clientConfig({ ...settled, verify: { mode: 'insecure' }, alpn: ALPN }));
  const server = quiche.Connection.accept(randomBytes(CID_LEN), null, sAddr, cAddr, serverConfig({ ...settled, cert: dev.cert, key: dev.key, alpn: ALPN }));
  const packet = new Uint8Array(65_535);
  const toServer = { from: cAddr, to: sAddr };
  const toClient = { from: sAddr, to: cAddr };
  const pump = (from: Connection, to: Connection, info: typeof toServer): number => {
    let n = 0;
    for (let r = from.send(packet); r !== null; r = from.send(packet), n++) {
      try {
        to.recv(packet.subarray(0, r[0]), info);
      } catch {
        // dropped, like a bad packet on the wire
      }
    }
    return n;
  };
  while (!client.isEstablished() || !server.isEstablished()) {
    if (pump(client, server, toServer) + pump(server, client, toClient) === 0) throw new Error('handshake stalled');
  }
  const data = new Uint8Array(CHUNK);
  const sink = new Uint8Array(64 * 1024);
  let sent = 0;
  let received = 0;
  let fin = false;
  const clock = startClock();
  while (!fin) {
    while (sent < total) {
      const n = client.streamSend(0, data.subarray(0, Math.min(CHUNK, total - sent)), sent + CHUNK >= total);
      if (n === null || n === 0) break;
      sent += n;
    }
    const moved = pump(client, server, toServer);
    for (let r = server.streamRecv(0, sink); r !== null && !fin; r = fin ? null : server.streamRecv(0, sink)) {
      received += r[0];
      fin = r[1];
    }
    const back = pump(server, client, toClient);
    if (moved + back === 0 && !fin) {
      // nothing in flight either way: let quiche's timers (loss, ack delay) run
      await new Promise((r) => setTimeout(r, 1));
      client.onTimeout();
      server.onTimeout();
    }
  }
  const r = result(total, clock);
  if (received !== total) throw new Error(`ceiling moved ${received} of ${total} bytes`);
  return r;
}

export interface SocketOptions extends CeilingOptions {
  /**
   * Where the receiving server runs: 'worker' (default) gives it its own thread and
   * event loop, as a peer on another process would have; 'same' runs both ends on
   * this thread, so every packet's send and receive costs the same CPU, as in the ceiling.
   */
  serverThread?: 'worker' | 'same';
}

interface SinkHandle {
  address: { host: string; port: number };
  /** Resolves with the bytes received on the first stream, at its FIN. */
  received: Promise<number>;
  close(): Promise<void>;
}

/** A server that counts the bytes of the first stream a client opens. */
async function startSink(options: CeilingOptions, cert: string, key: string): Promise<SinkHandle> {
  let done!: (bytes: number) => void;
  const received = new Promise<number>((r) => (done = r));
  const server = await listenQuic({
    ...options,
    cert,
    key,
    alpn: ALPN,
    onConnection: (c) => {
      c.onStream = async (s) => {
        let n = 0;
        for await (const chunk of s) n += chunk.length;
        done(n);
      };
    },
  });
  return { address: server.address, received, close: () => server.close() };
}

type SinkMessage = { address: { host: string; port: number } } | { received: number };
const SINK_MARK = 'wwatp-quic-ceiling-sink';

/** The same sink in a worker thread, driven by messages. */
async function startSinkWorker(options: CeilingOptions, cert: string, key: string): Promise<SinkHandle> {
  // Run from TypeScript source (tsx, tap), the worker must register tsx itself: on
  // Node 20 tsx's --import hook only registers in the main thread.
  const self = JSON.stringify(import.meta.url);
  const entry = import.meta.url.endsWith('.ts')
    ? `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((m) => m.register()).then(() => import(${self}))`
    : `import(${self})`;
  const worker = new Worker(entry, { eval: true, workerData: { mark: SINK_MARK, options, cert, key } });
  let onReceived!: (bytes: number) => void;
  const received = new Promise<number>((r) => (onReceived = r));
  const address = await new Promise<{ host: string; port: number }>((resolve, reject) => {
    worker.once('error', reject);
    worker.on('message', (m: SinkMessage) => {
      if ('address' in m) resolve(m.address);
      else onReceived(m.received);
    });
  });
  const close = async (): Promise<void> => {
    const exited = new Promise((r) => worker.once('exit', r));
    worker.postMessage('close');
    await exited;
  };
  return { address, received, close };
}

if (!isMainThread && (workerData as { mark?: string } | null)?.mark === SINK_MARK && parentPort) {
  const port = parentPort;
  const data = workerData as { options: CeilingOptions; cert: string; key: string };
  void startSink(data.options, data.cert, data.key).then((sink) => {
    port.postMessage({ address: sink.address } satisfies SinkMessage);
    void sink.received.then((n) => port.postMessage({ received: n } satisfies SinkMessage));
    port.once('message', () => void sink.close().then(() => port.close()));
  });
}

/** Our engine over UDP on loopback: one stream, client to server, 64 MiB. */
export async function socketThroughput(options: SocketOptions = {}): Promise<Throughput> {
  const total = options.bytes ?? 64 * MiB;
  const dev = await createDevCertificate();
  const { serverThread, ...transport } = options;
  const sink = serverThread === 'same' ? await startSink(transport, dev.cert, dev.key) : await startSinkWorker(transport, dev.cert, dev.key);
  try {
    const conn = await connectQuic({ ...transport, ...sink.address, alpn: ALPN, certificateHash: dev.sha256 });
    // Like the ceiling, no hashing in the timed part (the unit tests check integrity).
    const data = randomBytes(CHUNK);
    const clock = startClock();
    const s = conn.openBidiStream();
    for (let sent = 0; sent < total; sent += CHUNK) {
      await s.write(data.subarray(0, Math.min(CHUNK, total - sent)));
    }
    await s.end();
    const bytes = await sink.received;
    const r = result(total, clock);
    if (bytes !== total) throw new Error(`socket transfer moved ${bytes} of ${total} bytes`);
    await conn.close();
    return r;
  } finally {
    await sink.close();
  }
}
