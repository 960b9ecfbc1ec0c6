/**
 * The wwatp server under test, in a process of its own (as etcd and ZooKeeper run in
 * theirs): SqliteBackend (WAL, synchronous=FULL: every acknowledged write is on disk)
 * served by startServer. Started by wwatp.ts; reports its URL and certificate hash over
 * IPC, stops when told to or when the parent goes away.
 */
import { Socket } from 'node:dgram';
import { join } from 'node:path';
import { SimpleBackend } from '../../src/backends/simple-backend.js';
import { SqliteBackend } from '../../src/backends/sqlite/index.js';
import { startServer } from '../../src/frontends/server/start-server.js';

export interface ServerReady {
  url: string;
  certificateHash: string;
}
export interface ServerStats {
  /** SQLite commits and the writes they carried (writes / commits: how well group commit batches). */
  commits: number;
  writes: number;
  /** CPU time the server process has used, µs. */
  cpuMicros: number;
  /** UDP datagrams the server sent and received (QUIC packets, coalesced or not). */
  datagramsOut: number;
  datagramsIn: number;
}

// Datagram counts, for the diagnosis of per-request cost: counted where every datagram
// passes (dgram's send and its 'message' event), without touching the transport code.
const datagrams = { out: 0, in: 0 };
const originalSend = Socket.prototype.send;
Socket.prototype.send = function (this: Socket, ...args: Parameters<Socket['send']>): void {
  datagrams.out++;
  return originalSend.apply(this, args);
} as Socket['send'];
const originalEmit = Socket.prototype.emit;
Socket.prototype.emit = function (this: Socket, event: string | symbol, ...args: unknown[]): boolean {
  if (event === 'message') datagrams.in++;
  return Reflect.apply(originalEmit, this, [event, ...args]) as boolean;
} as Socket['emit'];
export type FromServer = { ready: ServerReady } | { failed: string } | { stats: ServerStats };
export type ToServer = 'close' | 'stats';

async function main(dir: string): Promise<void> {
  // WWATP_PEERS_BACKEND=memory is for diagnosis only (how much is storage, how much
  // transport): results are always measured on SQLite.
  const memory = process.env['WWATP_PEERS_BACKEND'] === 'memory';
  const sqlite = memory ? undefined : await SqliteBackend.open({ path: join(dir, 'tree.db'), synchronous: 'FULL' });
  const backend = sqlite ?? new SimpleBackend();
  const server = await startServer({ backend, host: '127.0.0.1', port: 0, certsDir: join(dir, 'certs') });
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      await server.close().catch(() => undefined);
      await sqlite?.close().catch(() => undefined);
      // process.exit (not a signal) so `--cpu-prof` gets to write its profile.
      process.exit(0);
    })());
  process.on('message', (m: ToServer) => {
    if (m === 'close') void stop();
    else if (m === 'stats') {
      const cpu = process.cpuUsage();
      process.send?.({ stats: { ...(sqlite?.stats() ?? { commits: 0, writes: 0 }), cpuMicros: cpu.user + cpu.system, datagramsOut: datagrams.out, datagramsIn: datagrams.in } } satisfies FromServer);
    }
  });
  process.once('disconnect', () => void stop());
  process.send?.({ ready: { url: server.url, certificateHash: server.certificateHash } } satisfies FromServer);
}

const dir = process.argv[2];
if (!dir || !process.send) {
  console.error('wwatp-server.ts is started by bench/peers/run.ts');
  process.exit(2);
}
main(dir).catch((error: unknown) => {
  process.send?.({ failed: error instanceof Error ? (error.stack ?? error.message) : String(error) } satisfies FromServer);
  process.exit(1);
});
