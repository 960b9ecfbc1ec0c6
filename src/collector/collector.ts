import { mkdirSync } from 'node:fs';
import { WwatpError } from '../tree/errors.js';
import { Registry } from './registry/registry.js';
import { CollectionRepo, SYSTEM_COLLECTIONS } from './repo/collection-repo.js';
import type { CollectorChange } from './types.js';

export interface CollectorOptions {
  /** Data directory: `repo.db` plus `<namespace>/<collection>.db` for each collection. */
  dir: string;
}

/**
 * The Collector: typed collections (records in SQLite with CRUD and search), the protobuf
 * registry and the repo of collections, opened from one directory. Every write reports
 * exactly one CollectorChange to onChange listeners, after it is durable.
 */
export class Collector {
  readonly repo: CollectionRepo;
  readonly registry: Registry;
  readonly dir: string;
  readonly #listeners = new Set<(change: CollectorChange) => void>();
  #closing: Promise<void> | undefined;

  private constructor(dir: string, repo: CollectionRepo, registry: Registry) {
    this.dir = dir;
    this.repo = repo;
    this.registry = registry;
  }

  static async open(options: CollectorOptions): Promise<Collector> {
    if (!options || typeof options.dir !== 'string' || options.dir === '') throw new WwatpError('STORAGE', 'Collector.open needs { dir }');
    mkdirSync(options.dir, { recursive: true });
    // Changes are routed through a late-bound function: the repo exists before the Collector.
    let deliver: (change: CollectorChange) => void = () => {};
    const repo = CollectionRepo.open({ dir: options.dir, emit: (change) => deliver(change) });
    try {
      const registry = await Registry.open(repo.systemStore(SYSTEM_COLLECTIONS.protos), repo.systemStore(SYSTEM_COLLECTIONS.services));
      repo.attachRegistry(registry);
      const collector = new Collector(options.dir, repo, registry);
      deliver = (change) => collector.#deliver(change);
      return collector;
    } catch (error) {
      await repo.close();
      throw error;
    }
  }

  /** Calls `listener` after each durable change; returns a function that stops it. */
  onChange(listener: (change: CollectorChange) => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** Waits for queued writes, then closes every database. Safe to call twice. */
  close(): Promise<void> {
    this.#closing ??= this.repo.close();
    return this.#closing;
  }

  #deliver(change: CollectorChange): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(change);
      } catch (error) {
        // One failing listener must not keep the others (or the writer) from hearing.
        console.error('wwatp collector: change listener failed', error);
      }
    }
  }
}
