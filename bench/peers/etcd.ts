import { execFileSync } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { freePort, removeDir, retryUntil, spawnTracked, stopChild, tempDir } from './processes.js';
import { valueIndex, type ChangeCallback, type Entry, type PeerClient, type PeerSystem } from './system.js';

class EtcdPeerClient implements PeerClient {
  constructor(private readonly client: Etcd3) {}

  async create(key: string, value: Uint8Array): Promise<void> {
    await this.client.put(key).value(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
  }

  update(key: string, value: Uint8Array): Promise<void> {
    return this.create(key, value);
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    return (await this.client.get(key).buffer()) ?? undefined;
  }

  async createBatch(entries: readonly Entry[]): Promise<void> {
    // One transaction of puts: etcd's atomic batch (at most --max-txn-ops, 128 by default).
    const success = entries.map((e) => ({ request_put: { key: Buffer.from(e.key), value: Buffer.from(e.value.buffer, e.value.byteOffset, e.value.byteLength) } }));
    const reply = await this.client.kv.txn({ success });
    if (!reply.succeeded) throw new Error('etcd refused a batch');
  }

  async readSubtree(key: string): Promise<number> {
    // One prefix range, as etcd users read a "directory".
    return Object.keys(await this.client.getAll().prefix(`${key}/`).buffers()).length;
  }

  async watchSubtree(key: string, _keys: readonly string[], onChange: ChangeCallback): Promise<void> {
    const watcher = await this.client.watch().prefix(`${key}/`).create();
    watcher.on('put', (kv) => onChange(kv.key.toString(), valueIndex(kv.value)));
  }

  async close(): Promise<void> {
    this.client.close();
  }
}

function etcdVersion(): string {
  try {
    return execFileSync('etcd', ['--version'], { encoding: 'utf8' }).split('\n')[0]?.replace('etcd Version: ', '') ?? '?';
  } catch {
    return '?';
  }
}

/** Starts a one-member etcd on loopback with its data in a temporary directory, durability as shipped. */
export async function startEtcd(): Promise<PeerSystem> {
  const dir = tempDir('etcd');
  const [clientPort, peerPort] = [await freePort(), await freePort()];
  const clientUrl = `http://127.0.0.1:${clientPort}`;
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  const log = createWriteStream(join(dir, 'etcd.log'));
  // Durability flags left at their defaults: etcd fsyncs its WAL before acknowledging
  // (--unsafe-no-fsync is off). Only addresses, names and the data directory are set.
  const child = spawnTracked('etcd', [
    '--name', 'bench', '--data-dir', join(dir, 'data'),
    '--listen-client-urls', clientUrl, '--advertise-client-urls', clientUrl,
    '--listen-peer-urls', peerUrl, '--initial-advertise-peer-urls', peerUrl,
    '--initial-cluster', `bench=${peerUrl}`, '--initial-cluster-state', 'new',
    '--logger', 'zap', '--log-level', 'warn',
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const open = async (): Promise<EtcdPeerClient> =>
    new EtcdPeerClient(new Etcd3({
      hosts: clientUrl,
      // A connection of its own per client (grpc-js would otherwise share one between
      // clients with the same target), and room for a 10,000-node range answer.
      grpcOptions: { 'grpc.use_local_subchannel_pool': 1, 'grpc.max_receive_message_length': 256 * 1024 * 1024 },
    }));
  try {
    await retryUntil(async () => {
      if (child.exitCode !== null) throw new Error(`etcd exited (${child.exitCode}): ${readFileSync(join(dir, 'etcd.log'), 'utf8').slice(-2000)}`);
      const probe = await open();
      try {
        await probe.get('probe');
      } finally {
        await probe.close();
      }
    }, 30_000, 'etcd');
  } catch (error) {
    await stopChild(child);
    removeDir(dir);
    throw error;
  }
  return {
    name: 'etcd',
    describe: `etcd ${etcdVersion()} (Debian etcd-server), one member, defaults: WAL fsync on every commit; client etcd3 over gRPC (HTTP/2, plaintext), linearizable reads (the default)`,
    prepare: async () => undefined,
    open,
    stop: async () => {
      await stopChild(child);
      log.end();
      removeDir(dir);
    },
  };
}
