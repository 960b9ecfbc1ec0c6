import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { CompositeBackend } from '../../backends/composite-backend.js';
import type { JournaledBackend } from '../../backends/journal.js';
import { SqliteBackend } from '../../backends/sqlite/index.js';
import { Collector } from '../../collector/collector.js';
import { CollectorBackend } from '../../collector/tree/collector-backend.js';

/** Where the default composite mounts the Collector. */
export const COLLECTOR_MOUNT = 'collector';

/** The served composite's journal file inside the data directory. */
export const JOURNAL_FILE = 'journal.db';

export interface DefaultBackendOptions {
  /**
   * The data directory: the tree in `<dataDir>/tree.db`, collections in `<dataDir>/collector/`,
   * the served composite's journal in `<dataDir>/journal.db` (opened by the server).
   */
  dataDir: string;
  /** Mount the Collector at /collector (default true). */
  collector?: boolean;
}

export interface DefaultBackend {
  /** The composite to serve: the SQLite tree at the root, the Collector at /collector. */
  readonly backend: CompositeBackend;
  /** The SQLite tree at the root. */
  readonly root: SqliteBackend;
  /** The Collector behind /collector (for its functions: repo, registry, stores), when mounted. */
  readonly collector: Collector | undefined;
  /**
   * Where the composite's journal is kept (`<dataDir>/journal.db`), for startServer's
   * `journalPath`: a composite keeps no journal of its own, and with this one clients
   * resume across restarts instead of resyncing.
   */
  readonly journalPath: string;
  /** For startServer's `journalWatermarks`: the SQLite root, whose changes made while no server ran start a new epoch. */
  readonly journalWatermarks: readonly JournaledBackend[];
  /** Closes the collector mount, the Collector and the SQLite tree, in that order. Safe to call twice. */
  close(): Promise<void>;
}

/** A Collector opened in `dir` and its tree backend, closed together. */
export interface CollectorMount {
  readonly collector: Collector;
  readonly backend: CollectorBackend;
  close(): Promise<void>;
}

export async function openCollectorMount(dir: string): Promise<CollectorMount> {
  mkdirSync(dir, { recursive: true });
  const collector = await Collector.open({ dir });
  const backend = new CollectorBackend(collector);
  let closing: Promise<void> | undefined;
  return {
    collector,
    backend,
    close: () =>
      (closing ??= (async () => {
        await backend.close();
        await collector.close();
      })()),
  };
}

/** Mounts a Collector kept in `dir` at /collector of a composite; returns how to close it. */
export async function mountCollector(composite: CompositeBackend, dir: string): Promise<CollectorMount> {
  const mount = await openCollectorMount(dir);
  try {
    await composite.mountBackend(COLLECTOR_MOUNT, mount.backend);
  } catch (error) {
    await mount.close();
    throw error;
  }
  return mount;
}

/**
 * The tree `wwatp serve` serves with default options, for applications embedding wwatp:
 * SQLite at `<dataDir>/tree.db` at the root and the Collector over `<dataDir>/collector`
 * mounted at /collector. Serve it with its journal:
 * `startServer({ backend, journalPath, journalWatermarks, ... })`.
 */
export async function createDefaultBackend(options: DefaultBackendOptions): Promise<DefaultBackend> {
  const { dataDir } = options;
  mkdirSync(dataDir, { recursive: true });
  const root = await SqliteBackend.open({ path: join(dataDir, 'tree.db') });
  const backend = new CompositeBackend(root);
  let mount: CollectorMount | undefined;
  try {
    if (options.collector !== false) mount = await mountCollector(backend, join(dataDir, COLLECTOR_MOUNT));
  } catch (error) {
    await root.close();
    throw error;
  }
  let closing: Promise<void> | undefined;
  return {
    backend,
    root,
    collector: mount?.collector,
    journalPath: join(dataDir, JOURNAL_FILE),
    journalWatermarks: [root],
    close: () =>
      (closing ??= (async () => {
        if (mount) backend.unmountBackend(COLLECTOR_MOUNT);
        await mount?.close();
        await root.close();
      })()),
  };
}
