import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CompositeBackend } from '../../../backends/composite-backend.js';
import type { Backend } from '../../../backends/backend.js';
import { startServer } from '../../server/start-server.js';
import { connect, type ConnectOptions } from '../../client/connect.js';
import { parseBackendSpec, parseMount, type BackendSpec } from '../../config/backend-spec.js';
import { openBackend, type OpenedBackend } from '../../config/build-backend.js';
import { readServerConfig } from '../../config/server-config.js';
import { COLLECTOR_MOUNT, JOURNAL_FILE, mountCollector, openCollectorMount } from '../../config/default-backend.js';
import { isJournaled, type JournaledBackend } from '../../../backends/journal.js';
import { startGrpcServer } from '../../grpc/index.js';
import type { Collector } from '../../../collector/collector.js';
import { normalizeLabel } from '../../../tree/labels.js';
import type { Command } from '../command.js';
import { UsageError } from '../exit-codes.js';

const HELP = `wwatp serve [options]

Serves a tree over QUIC (HTTP/3). With no options: the SQLite tree in ./data, with the
Collector's collections (./data/collector) mounted at /collector, on port 4433. A tree
with mounts keeps its journal in DATA/journal.db, so clients resume across restarts
(unless some part of it is not durable: memory, files or remote trees).

  --backend SPEC      memory | sqlite:PATH | postgres:URL | file:DIR   (default sqlite:DATA/tree.db)
  --data DIR          the data directory DATA (default ./data): the tree in DATA/tree.db unless
                      --backend says otherwise, the Collector in DATA/collector
  --collector DIR     keep the Collector's databases in DIR instead of DATA/collector
  --no-collector      do not mount the Collector at /collector (also: collector: off in the config)
  --grpc-port N       also serve the Collector over gRPC on TCP port N (docs/GRPC.md), same collections
  --grpc-host ADDR    address of the gRPC server (default: --host)
  --mount LABEL=SPEC  mount another backend (or a remote tree: wwatp://host:port/?hash=HEX) at LABEL; repeatable
  --config FILE       read all of this from a YAML file (see docs)
  --host ADDR         address to listen on (default 127.0.0.1; 0.0.0.0 for every interface)
  --port N            UDP port (default 4433)
  --http-port N|off   TCP port of the web page, /wwatp-info and the WebSocket tunnel (default: the UDP port)
  --cert FILE --key FILE   your own certificate; otherwise a development certificate is made in certs/
  --static DIR        files served for GET requests`;

/** Remote mounts carry their verification in the URL: ?hash=HEX, ?ca=FILE or ?insecure. */
function remoteOptions(url: string): ConnectOptions {
  const query = new URL(url.replace(/^wwatp:/, 'https:')).searchParams;
  return {
    ...(query.get('hash') ? { certificateHash: query.get('hash') as string } : {}),
    ...(query.get('ca') ? { ca: query.get('ca') as string } : {}),
    insecure: query.has('insecure'),
  };
}

async function connectRemote(url: string): Promise<Backend & { close(): Promise<void> }> {
  return connect(url, remoteOptions(url));
}

export const serveCommand: Command = {
  name: 'serve',
  summary: 'serve a tree (default: SQLite in ./data, port 4433)',
  help: HELP,
  async run(args) {
    let parsed;
    try {
      parsed = parseArgs({
        args,
        options: {
          backend: { type: 'string' }, data: { type: 'string' }, mount: { type: 'string', multiple: true }, config: { type: 'string' },
          collector: { type: 'string' }, 'no-collector': { type: 'boolean', default: false }, 'grpc-port': { type: 'string' }, 'grpc-host': { type: 'string' },
          host: { type: 'string' }, port: { type: 'string' }, 'http-port': { type: 'string' }, cert: { type: 'string' }, key: { type: 'string' }, static: { type: 'string' },
          help: { type: 'boolean', short: 'h', default: false },
        },
        strict: true,
      });
    } catch (error) {
      throw new UsageError(error instanceof Error ? error.message : String(error));
    }
    const v = parsed.values;
    const config = v.config ? readServerConfig(v.config) : undefined;
    const spec: BackendSpec = v.backend ? parseBackendSpec(v.backend) : v.data ? { kind: 'sqlite', path: `${v.data}/tree.db` } : (config?.backend ?? { kind: 'sqlite', path: './data/tree.db' });
    const mounts = [...(config?.mounts ?? []), ...(v.mount ?? []).map(parseMount)];
    if (v['no-collector'] === true && v.collector !== undefined) throw new UsageError('--collector and --no-collector contradict each other');
    // The Collector lives in the data directory whatever the root is; a mount of the user's own at `collector` wins.
    const collectorDir = v['no-collector'] === true ? undefined : (v.collector ?? (config?.collector === undefined ? join(v.data ?? config?.dataDir ?? './data', COLLECTOR_MOUNT) : config.collector || undefined));
    const mountsCollector = collectorDir !== undefined && !mounts.some((m) => normalizeLabel(m.label) === COLLECTOR_MOUNT);
    const grpcPort = v['grpc-port'] === undefined ? undefined : Number(v['grpc-port']);
    if (grpcPort !== undefined && (!Number.isInteger(grpcPort) || grpcPort < 0 || grpcPort > 65535)) throw new UsageError('--grpc-port takes a number from 0 to 65535');
    if (grpcPort !== undefined && collectorDir === undefined) throw new UsageError('--grpc-port serves the Collector; it cannot go with --no-collector');
    const port = v.port !== undefined ? Number(v.port) : (config?.port ?? 4433);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('--port takes a number from 0 to 65535');
    const httpPort = v['http-port'] === 'off' ? undefined : v['http-port'] !== undefined ? Number(v['http-port']) : port;
    if (httpPort !== undefined && (!Number.isInteger(httpPort) || httpPort < 0 || httpPort > 65535)) throw new UsageError('--http-port takes a number from 0 to 65535, or off');
    const certFile = v.cert ?? config?.certFile;
    const keyFile = v.key ?? config?.keyFile;
    if ((certFile === undefined) !== (keyFile === undefined)) throw new UsageError('--cert and --key go together');

    const opened: OpenedBackend[] = [];
    const closeAll = async (): Promise<void> => {
      for (const o of opened.reverse()) await o.close().catch((e: unknown) => console.error('wwatp serve: closing a backend failed', e));
    };
    try {
      const root = await openBackend(spec, connectRemote);
      opened.push(root);
      let backend: Backend = root.backend;
      let collector: Collector | undefined;
      let journal: { journalPath: string; journalWatermarks: JournaledBackend[] } | undefined;
      if (mounts.length > 0 || mountsCollector) {
        const composite = new CompositeBackend(root.backend);
        if (mountsCollector) {
          const mount = await mountCollector(composite, collectorDir as string);
          opened.push(mount);
          collector = mount.collector;
        }
        const watermarks = isJournaled(root.backend) ? [root.backend] : [];
        for (const m of mounts) {
          const mounted = await openBackend(m.spec, connectRemote);
          opened.push(mounted);
          await composite.mountBackend(m.label, mounted.backend);
          if (isJournaled(mounted.backend)) watermarks.push(mounted.backend);
        }
        backend = composite;
        // A composite keeps no journal: the server keeps one in the data directory, when every
        // part is durable and has a journal to check for changes made while it was down (the
        // Collector is durable and changes only through this server or its gRPC frontend).
        if ([spec, ...mounts.map((m) => m.spec)].every((s) => s.kind === 'sqlite' || s.kind === 'postgres')) {
          const dataDir = v.data ?? config?.dataDir ?? './data';
          mkdirSync(dataDir, { recursive: true });
          journal = { journalPath: join(dataDir, JOURNAL_FILE), journalWatermarks: watermarks };
        }
      }
      if (grpcPort !== undefined && collector === undefined) {
        // Not mounted (a mount of the user's own holds /collector): gRPC still gets the Collector.
        const own = await openCollectorMount(collectorDir as string);
        opened.push(own);
        collector = own.collector;
      }
      // The same Collector instance as the mount, so gRPC writes reach tree watchers.
      const grpc = grpcPort !== undefined && collector ? await startGrpcServer({ collector, port: grpcPort, host: v['grpc-host'] ?? v.host ?? config?.host ?? '127.0.0.1' }) : undefined;
      if (grpc) opened.push({ backend, close: () => grpc.close() });
      const server = await startServer({
        backend,
        ...journal,
        port,
        host: v.host ?? config?.host ?? '127.0.0.1',
        ...(httpPort !== undefined ? { httpPort } : {}),
        ...(v.static ?? config?.staticDir ? { staticDir: v.static ?? config?.staticDir } : {}),
        ...(certFile && keyFile ? { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') } : {}),
      });
      const shown = [...(mountsCollector ? [`${COLLECTOR_MOUNT} → the Collector in ${collectorDir as string}`] : []), ...mounts.map((m) => `${m.label} → ${describe(m.spec)}`)];
      console.log(`wwatp serving ${describe(spec)}${shown.length ? ` with ${shown.join(', ')}` : ''}`);
      console.log(`url:              ${server.url}`);
      console.log(`certificate hash: ${server.certificateHash}`);
      if (server.httpUrl) console.log(`web:              ${server.httpUrl}  (explorer; WebSocket tunnel at /wwatp-ws)`);
      if (grpc) console.log(`grpc:             ${grpc.endpoint}  (the Collector's gRPC services)`);
      if (journal) console.log(`journal:          ${journal.journalPath}`);
      console.log(`try:              wwatp tree ${server.url} --hash ${server.certificateHash}`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      console.log('wwatp serve: stopping');
      // gRPC first: a Collector write after the journal closed would be missed by resuming clients.
      await grpc?.close();
      await server.close();
      await closeAll();
      return 0;
    } catch (error) {
      await closeAll();
      throw error;
    }
  },
};

function describe(spec: BackendSpec): string {
  switch (spec.kind) {
    case 'memory':
      return 'an in-memory tree';
    case 'sqlite':
      return `SQLite at ${spec.path}`;
    case 'postgres':
      return 'PostgreSQL';
    case 'file':
      return `files in ${spec.dir}`;
    case 'remote':
      return spec.url.split('?')[0] as string;
  }
}
