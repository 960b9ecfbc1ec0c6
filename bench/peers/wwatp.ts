import { connect } from '../../src/frontends/client/connect.js';
import type { Http3ClientBackend } from '../../src/backends/http3-client/http3-client-backend.js';
import { TreeNode } from '../../src/tree/tree-node.js';
import { askToStop, siblingScript, spawnTracked, stopChild, tempDir, removeDir, within } from './processes.js';
import { valueIndex, type ChangeCallback, type Entry, type PeerClient, type PeerSystem } from './system.js';
import type { FromServer, ServerReady, ServerStats, ToServer } from './wwatp-server.js';

function nodeOf(key: string, value: Uint8Array): TreeNode {
  const node = new TreeNode({ labelRule: key });
  node.insertProperty('value', 'bytes', value);
  return node;
}

function valueOf(node: TreeNode | undefined): Uint8Array | undefined {
  const value = node?.getProperty('value');
  return value instanceof Uint8Array ? value : undefined;
}

/** wwatp's own client: one QUIC connection, its cache off so every read reaches the server. */
class WwatpPeerClient implements PeerClient {
  #listeners = 0;
  constructor(private readonly backend: Http3ClientBackend) {}

  async create(key: string, value: Uint8Array): Promise<void> {
    if (!(await this.backend.upsertNode([nodeOf(key, value)]))) throw new Error(`wwatp refused ${key}`);
  }

  update(key: string, value: Uint8Array): Promise<void> {
    return this.create(key, value);
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    return valueOf(await this.backend.getNode(key));
  }

  async createBatch(entries: readonly Entry[]): Promise<void> {
    if (!(await this.backend.upsertNode(entries.map((e) => nodeOf(e.key, e.value))))) throw new Error('wwatp refused a batch');
  }

  async readSubtree(key: string): Promise<number> {
    return (await this.backend.queryNodes(`${key}/**`)).length;
  }

  async watchSubtree(key: string, _keys: readonly string[], onChange: ChangeCallback): Promise<void> {
    // childNotify: one listener covers every node below `key`, and stays registered.
    this.backend.registerNodeListener(`peers-watch-${++this.#listeners}`, key, true, (_b, label, node) => {
      const value = valueOf(node);
      onChange(label, value ? valueIndex(value) : undefined);
    });
    // The registration goes out ahead of this marker: once it returns, the listener is in place.
    await this.backend.processNotifications();
  }

  close(): Promise<void> {
    return this.backend.close();
  }
}

export interface WwatpOptions {
  /** Directory for `--cpu-prof` profiles of the server process; none when absent. */
  profileDir?: string;
}

/** Starts the wwatp server (SqliteBackend, synchronous=FULL) in a process of its own. */
export async function startWwatp(options: WwatpOptions = {}): Promise<PeerSystem> {
  const dir = tempDir('wwatp');
  const { script, execArgv } = siblingScript('wwatp-server');
  if (options.profileDir) execArgv.push('--cpu-prof', `--cpu-prof-dir=${options.profileDir}`);
  const child = spawnTracked(process.execPath, [...execArgv, script, dir], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let ready: ServerReady;
  try {
    ready = await within(
      new Promise<ServerReady>((resolve, reject) => {
        child.once('error', reject);
        child.once('exit', (code) => reject(new Error(`wwatp server exited (${code})`)));
        child.once('message', (m: FromServer) => ('ready' in m ? resolve(m.ready) : reject(new Error('failed' in m ? m.failed : 'unexpected message'))));
      }),
      30_000,
      'wwatp server did not start within 30 s',
    );
  } catch (error) {
    await stopChild(child);
    removeDir(dir);
    throw error;
  }
  child.removeAllListeners('exit');
  const stats = (): Promise<ServerStats> =>
    new Promise((resolve) => {
      const onMessage = (m: FromServer): void => {
        if (!('stats' in m)) return;
        child.off('message', onMessage);
        resolve(m.stats);
      };
      child.on('message', onMessage);
      child.send('stats' satisfies ToServer);
    });
  let last: ServerStats = { commits: 0, writes: 0, cpuMicros: 0, datagramsOut: 0, datagramsIn: 0 };
  return {
    diagnostics: async () => {
      const now = await stats();
      const [commits, writes, cpu] = [now.commits - last.commits, now.writes - last.writes, (now.cpuMicros - last.cpuMicros) / 1e6];
      const [out, inn] = [now.datagramsOut - last.datagramsOut, now.datagramsIn - last.datagramsIn];
      last = now;
      return `server: ${commits} commits for ${writes} write calls (${commits > 0 ? (writes / commits).toFixed(1) : '—'} per commit), ${cpu.toFixed(2)} s CPU, ${out} datagrams out, ${inn} in`;
    },
    name: 'wwatp',
    describe: 'wwatp: SqliteBackend (WAL, synchronous=FULL), QUIC + HTTP/3 with TLS 1.3, server in its own Node process',
    prepare: async () => undefined,
    open: async () => new WwatpPeerClient(await connect(ready.url, { certificateHash: ready.certificateHash, cacheSize: 0, reconnect: false })),
    stop: async () => {
      // Asked first, so the server closes the database and a profile gets written; killed if it hangs.
      await askToStop(child, 'close' satisfies ToServer, 15_000);
      removeDir(dir);
    },
  };
}
