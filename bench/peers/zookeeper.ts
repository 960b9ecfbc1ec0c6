import { createWriteStream, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import zookeeper from 'node-zookeeper-client';
import { freePort, removeDir, retryUntil, spawnTracked, stopChild, tempDir, within } from './processes.js';
import { type ChangeCallback, type Entry, type PeerClient, type PeerSystem } from './system.js';

const JARS = '/usr/share/java';
const MAIN = 'org.apache.zookeeper.server.ZooKeeperServerMain';

type Callback<T> = (error: Error | zookeeper.Exception | null, result: T) => void;

/** Runs a node-zookeeper-client call as a promise. */
function call<T>(start: (done: Callback<T>) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => start((error, result) => (error ? reject(error instanceof Error ? error : new Error(error.toString())) : resolve(result))));
}

const pathOf = (key: string): string => `/${key}`;
const keyOf = (path: string): string => path.slice(1);

function asBuffer(value: Uint8Array): Buffer {
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

class ZooKeeperPeerClient implements PeerClient {
  constructor(private readonly client: zookeeper.Client) {}

  async create(key: string, value: Uint8Array): Promise<void> {
    await call<string>((done) => this.client.create(pathOf(key), asBuffer(value), done));
  }

  async update(key: string, value: Uint8Array): Promise<void> {
    await call<zookeeper.Stat>((done) => this.client.setData(pathOf(key), asBuffer(value), done));
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    return new Promise((resolve, reject) =>
      this.client.getData(pathOf(key), (error, data) => {
        if (!error) resolve(data ?? new Uint8Array(0));
        else if ('code' in error && error.code === zookeeper.Exception.NO_NODE) resolve(undefined);
        else reject(error instanceof Error ? error : new Error(error.toString()));
      }),
    );
  }

  async createBatch(entries: readonly Entry[]): Promise<void> {
    // multi(): ZooKeeper's atomic batch, one transaction-log entry.
    const tx = this.client.transaction();
    for (const e of entries) tx.create(pathOf(e.key), asBuffer(e.value));
    await call<unknown>((done) => tx.commit(done));
  }

  async readSubtree(key: string): Promise<number> {
    // ZooKeeper has no subtree read: walk it, every request issued at once (they pipeline
    // on the session), getChildren for each node and getData for each node below `key`.
    const walk = async (path: string): Promise<number> => {
      const children = await call<string[]>((done) => this.client.getChildren(path, done));
      const counts = await Promise.all(children.map(async (name) => {
        const child = `${path}/${name}`;
        const [, below] = await Promise.all([call<Buffer>((done) => this.client.getData(child, done)), walk(child)]);
        return 1 + below;
      }));
      return counts.reduce((a, b) => a + b, 0);
    };
    return walk(pathOf(key));
  }

  async watchSubtree(_key: string, keys: readonly string[], onChange: ChangeCallback): Promise<void> {
    // Watches are one-shot and per node: a data watch on every node of the subtree, set
    // again (with getData, which also fetches the new value) each time one fires.
    const arm = (path: string): Promise<void> =>
      call<Buffer>((done) => this.client.getData(path, watcher, done)).then(() => undefined);
    const watcher = (event: zookeeper.Event): void => {
      if (event.getType() !== zookeeper.Event.NODE_DATA_CHANGED) return;
      const path = event.getPath();
      onChange(keyOf(path), undefined, arm(path));
    };
    await Promise.all(keys.map((k) => arm(pathOf(k))));
  }

  async close(): Promise<void> {
    this.client.close();
  }
}

async function openClient(port: number): Promise<zookeeper.Client> {
  const client = zookeeper.createClient(`127.0.0.1:${port}`, { sessionTimeout: 30_000, spinDelay: 100, retries: 0 });
  const connected = new Promise<void>((resolve) => client.once('connected', () => resolve()));
  client.connect();
  try {
    await within(connected, 10_000, 'ZooKeeper session not established within 10 s');
  } catch (error) {
    client.close();
    throw error;
  }
  return client;
}

function zookeeperJar(): string {
  const jar = join(JARS, 'zookeeper.jar');
  if (!existsSync(jar)) throw new Error(`${jar} is missing: run scripts/ensure-peers.sh`);
  return jar;
}

/** Starts a standalone ZooKeeper on loopback with its data in a temporary directory, durability as shipped. */
export async function startZooKeeper(): Promise<PeerSystem> {
  const dir = tempDir('zookeeper');
  const port = await freePort();
  const config = join(dir, 'zoo.cfg');
  // forceSync is left at its default (yes): the transaction log is fsynced before a write
  // is acknowledged. maxClientCnxns=0 lifts the 60-connections-per-address limit, as the
  // watch workload opens over 100 sessions from 127.0.0.1; the admin server is off.
  writeFileSync(config, [
    'tickTime=2000',
    `dataDir=${join(dir, 'data')}`,
    `clientPort=${port}`,
    'clientPortAddress=127.0.0.1',
    'maxClientCnxns=0',
    'admin.enableServer=false',
    '',
  ].join('\n'));
  const log = createWriteStream(join(dir, 'zookeeper.log'));
  // The Debian jar's manifest names its dependencies; slf4j-simple gives its log a place to go.
  const classPath = [zookeeperJar(), join(JARS, 'slf4j-simple.jar')].join(':');
  const child = spawnTracked('java', ['-cp', classPath, MAIN, config], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  try {
    await retryUntil(async () => {
      if (child.exitCode !== null) throw new Error(`ZooKeeper exited (${child.exitCode}): ${readFileSync(join(dir, 'zookeeper.log'), 'utf8').slice(-2000)}`);
      (await openClient(port)).close();
    }, 60_000, 'ZooKeeper');
  } catch (error) {
    await stopChild(child);
    removeDir(dir);
    throw error;
  }
  return {
    name: 'zookeeper',
    describe: 'ZooKeeper 3.8 (Debian zookeeper), standalone, defaults: forceSync=yes (transaction log fsynced before acknowledging); client node-zookeeper-client over TCP (plaintext)',
    prepare: async (parents) => {
      const client = await openClient(port);
      try {
        for (const key of parents) await call<string>((done) => client.mkdirp(pathOf(key), done));
      } finally {
        client.close();
      }
    },
    open: async () => new ZooKeeperPeerClient(await openClient(port)),
    stop: async () => {
      await stopChild(child);
      log.end();
      removeDir(dir);
    },
  };
}
