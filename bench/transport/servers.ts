/**
 * The two servers under test, each holding the same seeded nodes: wwatp (startServer
 * over a SimpleBackend) and the HTTP/2 peer (a Map). By default each runs in a child
 * process of its own, as a real server would, so client and server each have an event
 * loop; `where: 'same'` runs it on the caller's thread instead.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SimpleBackend } from '../../src/backends/simple-backend.js';
import { startServer } from '../../src/frontends/server/start-server.js';
import type { TreeNode } from '../../src/tree/tree-node.js';
import { smallLabel, smallNode } from './data.js';
import { startH2Server } from './h2-peer.js';

export type ServerKind = 'wwatp' | 'h2';

export interface ServerSpec {
  kind: ServerKind;
  cert: string;
  key: string;
  maxContentBytes: number;
  /** Small nodes to seed: smallLabel(i) for i < seedNodes. */
  seedNodes: number;
}

export interface ServerInfo {
  port: number;
  /** wwatp only: wwatp://127.0.0.1:port/ */
  url: string;
  /** wwatp only: the SHA-256 the client pins. */
  certificateHash: string;
}

export interface ServerHandle extends ServerInfo {
  /** CPU time the server's process has used (user + system, µs); 0 when it shares this thread. */
  cpuMicros(): Promise<number>;
  close(): Promise<void>;
}

/** Starts one server on this thread. */
export async function startBenchServer(spec: ServerSpec): Promise<ServerHandle> {
  const seeded: TreeNode[] = [];
  for (let i = 0; i < spec.seedNodes; i++) seeded.push(smallNode(smallLabel(i), i));
  if (spec.kind === 'wwatp') {
    const backend = new SimpleBackend({ maxContentBytes: spec.maxContentBytes });
    for (const node of seeded) await backend.upsertNode([node]);
    const server = await startServer({ backend, host: '127.0.0.1', port: 0, cert: spec.cert, key: spec.key, maxContentBytes: spec.maxContentBytes });
    return { port: server.port, url: server.url, certificateHash: server.certificateHash, cpuMicros: async () => 0, close: () => server.close() };
  }
  const nodes = new Map<string, TreeNode>(seeded.map((n) => [n.labelRule, n]));
  const server = await startH2Server(nodes, spec);
  return { port: server.port, url: `https://127.0.0.1:${server.port}/`, certificateHash: '', cpuMicros: async () => 0, close: () => server.close() };
}

type ToMain = { ready: ServerInfo } | { failed: string } | { cpu: number };
type ToChild = { spec: ServerSpec } | 'cpu' | 'close';
const CHILD_FLAG = '--wwatp-bench-server';

/**
 * Starts one server in a child process of its own (or on this thread with where: 'same').
 * A process rather than a worker thread: the native quiche binding is not safe to use
 * from several threads of one process (it aborts in napi_reference_unref), and a
 * separate process is what a real server is anyway.
 */
export async function launchServer(spec: ServerSpec, where: 'process' | 'same' = 'process'): Promise<ServerHandle> {
  if (where === 'same') return startBenchServer(spec);
  const self = fileURLToPath(import.meta.url);
  // Run from TypeScript source, the child needs tsx's loader too.
  const execArgv = self.endsWith('.ts') ? [...process.execArgv, '--import', 'tsx'] : process.execArgv;
  const child = fork(self, [CHILD_FLAG], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const info = await new Promise<ServerInfo>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`server process exited (${code})`)));
    child.once('message', (m: ToMain) => ('ready' in m ? resolve(m.ready) : reject(new Error('failed' in m ? m.failed : 'unexpected message'))));
    child.send({ spec } satisfies ToChild);
  });
  child.removeAllListeners('exit');
  return {
    ...info,
    cpuMicros: () =>
      new Promise<number>((resolve) => {
        const onMessage = (m: ToMain): void => {
          if (!('cpu' in m)) return;
          child.off('message', onMessage);
          resolve(m.cpu);
        };
        child.on('message', onMessage);
        child.send('cpu' satisfies ToChild);
      }),
    close: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.send('close' satisfies ToChild);
      // A server that leaves a handle open would keep its process alive: stop it after a grace period.
      const grace = setTimeout(() => child.kill(), 5000);
      await exited;
      clearTimeout(grace);
    },
  };
}

if (process.argv[2] === CHILD_FLAG && process.send) {
  process.once('message', (first: ToChild) => {
    if (typeof first !== 'object') return;
    startBenchServer(first.spec).then(
      (server) => {
        const { close, cpuMicros: _, ...info } = server;
        process.send?.({ ready: info } satisfies ToMain);
        // Leave when told to, or when the parent goes away.
        const stop = (): void => void close().finally(() => process.exit(0));
        process.on('message', (m: ToChild) => {
          if (m === 'cpu') {
            const u = process.cpuUsage();
            process.send?.({ cpu: u.user + u.system } satisfies ToMain);
          } else if (m === 'close') stop();
        });
        process.once('disconnect', stop);
      },
      (error: unknown) => {
        process.send?.({ failed: error instanceof Error ? (error.stack ?? error.message) : String(error) } satisfies ToMain);
        process.exit(1);
      },
    );
  });
}
