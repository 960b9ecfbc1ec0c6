import Database from 'better-sqlite3';
import { storageError } from '../../backends/sqlite/errors.js';
import { WwatpError } from '../../tree/errors.js';
import type { CollectionSpec } from '../types.js';

export type NewCollection = Required<Omit<CollectionSpec, 'labels' | 'indexedFields'>> & { indexedFields: readonly string[]; labels: Readonly<Record<string, string>> };

/** A collection's description as the repo stores it (CollectionInfo without the count). */
export interface CollectionRow {
  namespace: string;
  name: string;
  messageType: string;
  indexedFields: string[];
  labels: Record<string, string>;
  serverEndpoint: string;
  createdAt: number;
  updatedAt: number;
  version: number;
}

interface SqlRow {
  namespace: string;
  name: string;
  message_type: string;
  indexed_fields: string;
  labels: string;
  server_endpoint: string;
  created_at: number;
  updated_at: number;
  version: number;
}

const MIGRATIONS: ReadonlyArray<{ version: number; what: string; sql: string }> = [
  {
    version: 1,
    what: 'the collection of collections',
    sql: `CREATE TABLE collections (
      namespace TEXT NOT NULL,
      name TEXT NOT NULL,
      message_type TEXT NOT NULL,
      indexed_fields TEXT NOT NULL DEFAULT '[]',
      labels TEXT NOT NULL DEFAULT '{}',
      server_endpoint TEXT NOT NULL DEFAULT '',
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL,
      version INTEGER NOT NULL,
      PRIMARY KEY (namespace, name)
    ) WITHOUT ROWID`,
  },
];

function fromSql(row: SqlRow): CollectionRow {
  return {
    namespace: row.namespace,
    name: row.name,
    messageType: row.message_type,
    indexedFields: JSON.parse(row.indexed_fields) as string[],
    labels: JSON.parse(row.labels) as Record<string, string>,
    serverEndpoint: row.server_endpoint,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    version: row.version,
  };
}

/**
 * `<dir>/repo.db`: which collections exist and how they are described. Kept apart from
 * the collections themselves so creating one is a single durable write (one change) and
 * a restart finds every collection again. Writes here are rare, so they run directly
 * (synchronous=FULL) rather than through a group commit.
 */
export class RepoDb {
  readonly #db: Database.Database;
  readonly #path: string;
  readonly #stmt;

  constructor(path: string) {
    this.#path = path;
    try {
      this.#db = new Database(path, { timeout: 5000 });
      this.#db.pragma('journal_mode = WAL');
      this.#db.pragma('synchronous = FULL');
      this.#migrate();
    } catch (error) {
      throw storageError(path, 'opening the collection repo', error);
    }
    const db = this.#db;
    this.#stmt = {
      get: db.prepare('SELECT * FROM collections WHERE namespace = ? AND name = ?'),
      all: db.prepare('SELECT * FROM collections ORDER BY namespace, name'),
      inNamespace: db.prepare('SELECT * FROM collections WHERE namespace = ? ORDER BY name'),
      namespaces: db.prepare('SELECT DISTINCT namespace FROM collections ORDER BY namespace'),
      insertIfAbsent: db.prepare(
        'INSERT OR IGNORE INTO collections (namespace, name, message_type, indexed_fields, labels, server_endpoint, created_at, updated_at, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      insert: db.prepare(
        'INSERT INTO collections (namespace, name, message_type, indexed_fields, labels, server_endpoint, created_at, updated_at, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      update: db.prepare('UPDATE collections SET indexed_fields = ?, labels = ?, server_endpoint = ?, updated_at = ?, version = ? WHERE namespace = ? AND name = ?'),
      delete: db.prepare('DELETE FROM collections WHERE namespace = ? AND name = ?'),
    };
  }

  #migrate(): void {
    const db = this.#db;
    db.exec('CREATE TABLE IF NOT EXISTS collector_migrations (version INTEGER PRIMARY KEY, what TEXT NOT NULL, applied_at INTEGER NOT NULL)');
    const current = (db.prepare('SELECT max(version) AS v FROM collector_migrations').get() as { v: number | null }).v ?? 0;
    if (current > MIGRATIONS.length) throw new WwatpError('STORAGE', `${this.#path} has schema version ${current}, newer than this wwatp knows; upgrade wwatp`);
    for (const m of MIGRATIONS) {
      if (m.version <= current) continue;
      db.transaction(() => {
        db.exec(m.sql);
        db.prepare('INSERT INTO collector_migrations (version, what, applied_at) VALUES (?, ?, ?)').run(m.version, m.what, Date.now());
      }).immediate();
    }
  }

  #run<T>(doing: string, fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      throw storageError(this.#path, doing, error);
    }
  }

  get(namespace: string, name: string): CollectionRow | undefined {
    const row = this.#run('reading a collection', () => this.#stmt.get.get(namespace, name) as SqlRow | undefined);
    return row ? fromSql(row) : undefined;
  }

  all(namespace?: string): CollectionRow[] {
    const rows = this.#run('listing collections', () => (namespace === undefined ? this.#stmt.all.all() : this.#stmt.inNamespace.all(namespace)) as SqlRow[]);
    return rows.map(fromSql);
  }

  namespaces(): string[] {
    return this.#run('listing namespaces', () => (this.#stmt.namespaces.all() as Array<{ namespace: string }>).map((r) => r.namespace));
  }

  /** Inserts; ALREADY_EXISTS if another connection created it first (or, with ifAbsent, keeps theirs). */
  insert(spec: NewCollection, now: number, ifAbsent = false): CollectionRow {
    try {
      (ifAbsent ? this.#stmt.insertIfAbsent : this.#stmt.insert).run(spec.namespace, spec.name, spec.messageType, JSON.stringify(spec.indexedFields), JSON.stringify(spec.labels), spec.serverEndpoint, now, now, 1);
    } catch (error) {
      if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
        throw new WwatpError('ALREADY_EXISTS', `collection ${spec.namespace}/${spec.name} was just created by another connection`);
      }
      throw storageError(this.#path, 'creating a collection', error);
    }
    return this.get(spec.namespace, spec.name) as CollectionRow;
  }

  update(row: CollectionRow): void {
    this.#run('updating a collection', () =>
      this.#stmt.update.run(JSON.stringify(row.indexedFields), JSON.stringify(row.labels), row.serverEndpoint, row.updatedAt, row.version, row.namespace, row.name),
    );
  }

  delete(namespace: string, name: string): boolean {
    return this.#run('deleting a collection', () => this.#stmt.delete.run(namespace, name).changes > 0);
  }

  close(): void {
    this.#db.close();
  }
}
