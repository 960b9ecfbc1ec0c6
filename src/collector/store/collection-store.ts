import Database from 'better-sqlite3';
import { GroupCommit, type JobOutcome } from '../../backends/sqlite/group-commit.js';
import { storageError } from '../../backends/sqlite/errors.js';
import { LOCK_POLL_MS } from '../../backends/sqlite/open-database.js';
import { WwatpError } from '../../tree/errors.js';
import { checkFilePath, checkRecordId } from '../names.js';
import { compileSearch, pageOf } from '../search/compile.js';
import { checkField, fieldExpression } from '../search/field-path.js';
import type {
  CollectionFile,
  CollectionInfo,
  CollectionRecord,
  CollectorChange,
  JsonObject,
  RecordInput,
  SearchHit,
  SearchQuery,
} from '../types.js';
import { isJsonObject, type RecordCodec } from './record-codec.js';
import { recordText } from './record-text.js';
import { migrate } from './schema.js';
import { COUNT_SQL, prepareStatements, rowToFile, rowToRecord, type FileRow, type RecordRow, type Statements } from './statements.js';

export const MAX_RECORD_BYTES = 16 * 1024 * 1024;
export const MAX_FILE_BYTES = 64 * 1024 * 1024;
export const DEFAULT_BUSY_TIMEOUT_MS = 5000;
const OPTIMIZE_EVERY = 10_000;
const SEARCH_CACHE_SIZE = 128;

export interface CollectionStoreOptions {
  readonly path: string;
  readonly namespace: string;
  readonly name: string;
  /** Looked up on every write, so a re-registered type applies at once. */
  readonly codec: () => RecordCodec;
  /** The collection's description as the repo keeps it (recordCount is added here). */
  readonly describe: () => Omit<CollectionInfo, 'recordCount'>;
  /** Called once per write, after it is durable. */
  readonly emit: (change: CollectorChange) => void;
  /** When set, writes from outside the owner fail with this reason (system collections). */
  readonly readOnlyReason?: string;
  readonly busyTimeoutMs?: number;
}

export interface ListOptions {
  offset?: number;
  limit?: number;
}

/** A file to store: bytes or a URI to them (exactly one). */
export interface FileInput {
  path: string;
  data?: Uint8Array;
  uri?: string;
}

interface PendingWrite {
  readonly run: () => JobOutcome<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * One collection: its own SQLite database (WAL, synchronous=FULL) holding records as
 * protobuf bytes plus a JSON(B) copy for search, a full-text index kept in the same
 * transaction, expression indexes for the indexed fields, and files. Writes from any
 * number of callers share commits (GroupCommit) and resolve only once on disk.
 */
export class CollectionStore {
  readonly namespace: string;
  readonly name: string;
  readonly path: string;
  readonly #db: Database.Database;
  readonly #commits: GroupCommit;
  readonly #options: CollectionStoreOptions;
  readonly #stmt: Statements;
  #closed = false;
  #writes = 0;
  readonly #searches = new Map<string, Database.Statement>();
  #pending: PendingWrite[] = [];

  private constructor(options: CollectionStoreOptions, db: Database.Database) {
    this.namespace = options.namespace;
    this.name = options.name;
    this.path = options.path;
    this.#options = options;
    this.#db = db;
    const busy = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
    this.#commits = new GroupCommit(db, options.path, busy, { beforeCommit() {}, mark: () => 0, restore() {} });
    this.#stmt = prepareStatements(db);
  }

  /** Opens (creating if needed) a collection database and brings its schema up to date. */
  static open(options: CollectionStoreOptions): CollectionStore {
    const busy = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
    let db: Database.Database | undefined;
    try {
      db = new Database(options.path, { timeout: busy });
      const mode = db.pragma('journal_mode = WAL', { simple: true });
      if (mode !== 'wal') throw new WwatpError('STORAGE', `collection database ${options.path} could not switch to WAL mode (got ${String(mode)})`);
      // FULL: a COMMIT returns only once the WAL is on disk, so a resolved write survives a crash.
      db.pragma('synchronous = FULL');
      migrate(db, options.path);
      // Keeps the planner's statistics fresh enough to pick an indexed field over id order.
      db.pragma('optimize = 0x10002');
      // Short in-statement waits; longer lock waits are retried off the event loop by GroupCommit.
      db.pragma(`busy_timeout = ${Math.min(busy, LOCK_POLL_MS)}`);
      return new CollectionStore(options, db);
    } catch (error) {
      try {
        db?.close();
      } catch {
        // The original error is the one worth reporting.
      }
      throw storageError(options.path, 'opening', error);
    }
  }

  // ---- records ----------------------------------------------------------------------

  async get(id: string): Promise<CollectionRecord | undefined> {
    this.#open();
    checkRecordId(id);
    const row = this.#read('reading a record', () => this.#stmt.get.get(id) as RecordRow | undefined);
    return row ? rowToRecord(row) : undefined;
  }

  /** Fails with ALREADY_EXISTS when the id is taken. */
  async create(input: RecordInput): Promise<CollectionRecord> {
    this.#writable();
    return this.#writeRecord(input, 'create');
  }

  /** Fails with NOT_FOUND when absent, VERSION_CONFLICT when priorVersion is given and differs. */
  async update(input: RecordInput, priorVersion?: number): Promise<CollectionRecord> {
    this.#writable();
    return this.#writeRecord(input, 'update', priorVersion);
  }

  async upsert(input: RecordInput): Promise<CollectionRecord> {
    this.#writable();
    return this.#writeRecord(input, 'upsert');
  }

  /** True when a record was deleted; deleting an absent id changes nothing and emits nothing. */
  async delete(id: string): Promise<boolean> {
    this.#writable();
    return this.#deleteRecord(id);
  }

  /** Writes for the collection's owner (the registry) past a read-only guard. */
  async ownerUpsert(input: RecordInput): Promise<CollectionRecord> {
    this.#open();
    return this.#writeRecord(input, 'upsert');
  }

  async ownerDelete(id: string): Promise<boolean> {
    this.#open();
    return this.#deleteRecord(id);
  }

  /** Records in id order. */
  async list(options: ListOptions = {}): Promise<CollectionRecord[]> {
    this.#open();
    const { limit, offset } = pageOf(options);
    const rows = this.#read('listing records', () => this.#stmt.list.all(limit, offset) as RecordRow[]);
    return rows.map(rowToRecord);
  }

  /** Ids in id order, from after `after` (exclusive), for paging through large collections. */
  async ids(after = '', limit = 1000): Promise<string[]> {
    this.#open();
    const rows = this.#read('listing ids', () => this.#stmt.ids.all(after, limit) as Array<{ id: string }>);
    return rows.map((r) => r.id);
  }

  async search(query: SearchQuery): Promise<SearchHit[]> {
    this.#open();
    const compiled = compileSearch(query);
    let rows: RecordRow[];
    try {
      rows = this.#prepared(compiled.sql).all(...compiled.params) as RecordRow[];
    } catch (error) {
      // FTS5 reports query syntax errors when the statement runs.
      const message = error instanceof Error ? error.message : String(error);
      if (compiled.fullText && /fts5|syntax error|no such column|unterminated|unknown special query/i.test(message)) {
        throw new WwatpError('INVALID_FILTER', `full-text query ${JSON.stringify(query.fullText)} is not valid FTS5 syntax: ${message}`);
      }
      throw storageError(this.path, 'searching', error);
    }
    return rows.map((row) => ({ record: rowToRecord(row), ...(compiled.fullText ? { score: row.score as number } : {}) }));
  }

  async count(): Promise<number> {
    this.#open();
    return this.countNow();
  }

  /**
   * count(), synchronously (the repo describes many collections at once). Reads the count
   * the schema's triggers keep in the same transaction as each insert and delete, so it
   * costs one row whatever the collection's size.
   */
  countNow(): number {
    return this.#read('counting records', () => (this.#stmt.count.get() as { n: number }).n);
  }

  /**
   * SQLite's data_version for this collection's file: it moves when another connection
   * (another process on the same directory) commits, never for this one's own writes.
   */
  dataVersionNow(): number {
    this.#open();
    return this.#read('checking for changes', () => this.#db.pragma('data_version', { simple: true }) as number);
  }

  /** Every record's JSON in id order, synchronously (the registry reloads from it). */
  allJsonNow(): JsonObject[] {
    this.#open();
    const out: JsonObject[] = [];
    for (let after = ''; ; ) {
      const ids = this.#read('listing ids', () => this.#stmt.ids.all(after, 500) as Array<{ id: string }>);
      if (ids.length === 0) return out;
      for (const { id } of ids) {
        const row = this.#read('reading a record', () => this.#stmt.get.get(id) as RecordRow | undefined);
        if (row) out.push(rowToRecord(row).json);
      }
      after = (ids[ids.length - 1] as { id: string }).id;
    }
  }

  /** The query plan of countNow() (tests check that it reads no records). */
  explainCount(): string[] {
    const rows = this.#db.prepare(`EXPLAIN QUERY PLAN ${COUNT_SQL}`).all() as Array<{ detail: string }>;
    return rows.map((r) => r.detail);
  }

  async info(): Promise<CollectionInfo> {
    this.#open();
    return { ...this.#options.describe(), recordCount: this.countNow() };
  }

  // ---- files (CollectionDirs / CollectionData) ---------------------------------------

  async putFile(file: FileInput): Promise<CollectionFile> {
    this.#writable();
    const path = checkFilePath(file?.path);
    const hasData = file.data !== undefined;
    const hasUri = file.uri !== undefined && file.uri !== '';
    if (hasData === hasUri) throw new WwatpError('INVALID_PROPERTY', `file ${path} needs either data or a uri, not both or neither`);
    if (hasData && !(file.data instanceof Uint8Array)) throw new WwatpError('INVALID_PROPERTY', `file ${path}: data must be bytes`);
    if (hasData && (file.data as Uint8Array).byteLength > MAX_FILE_BYTES) {
      throw new WwatpError('TOO_LARGE', `file ${path} is ${(file.data as Uint8Array).byteLength} bytes; at most ${MAX_FILE_BYTES}`);
    }
    if (hasUri && typeof file.uri !== 'string') throw new WwatpError('INVALID_PROPERTY', `file ${path}: uri must be a string`);
    return this.#enqueue(() => {
      const now = Date.now();
      const data = hasData ? file.data as Uint8Array : null;
      const uri = hasUri ? (file.uri as string) : null;
      this.#stmt.putFile.run(path, uri, now, data);
      const stored: CollectionFile = { path, ...(data ? { data, size: data.byteLength } : { uri: uri as string }), updatedAt: now };
      return this.#outcome(stored, { kind: 'file', namespace: this.namespace, collection: this.name, path, file: stored });
    });
  }

  async getFile(path: string): Promise<CollectionFile | undefined> {
    this.#open();
    checkFilePath(path);
    const row = this.#read('reading a file', () => this.#stmt.getFile.get(path) as FileRow | undefined);
    return row ? rowToFile(row) : undefined;
  }

  /**
   * Files at or under `prefix` (a directory path; '' for all), without their bytes
   * (`size` says how many), in path order.
   */
  async listFiles(prefix = ''): Promise<CollectionFile[]> {
    this.#open();
    if (prefix === '') return (this.#read('listing files', () => this.#stmt.allFiles.all() as FileRow[])).map(rowToFile);
    const dir = checkFilePath(prefix);
    // '0' sorts right after '/', so [dir/, dir0) is exactly the paths under dir/.
    const rows = this.#read('listing files', () => this.#stmt.filesUnder.all(dir, `${dir}/`, `${dir}0`) as FileRow[]);
    return rows.map(rowToFile);
  }

  async deleteFile(path: string): Promise<boolean> {
    this.#writable();
    checkFilePath(path);
    return this.#enqueue(() => {
      const { changes } = this.#stmt.deleteFile.run(path);
      if (changes === 0) return { value: false };
      return this.#outcome(true, { kind: 'file', namespace: this.namespace, collection: this.name, path, file: undefined });
    });
  }

  // ---- indexes and lifecycle ---------------------------------------------------------

  /** Makes the expression indexes match `fields` exactly (adding and dropping as needed). */
  syncIndexes(fields: readonly string[]): void {
    this.#open();
    const wanted = new Map(fields.map((f) => [`ix:${checkField(f)}`, f]));
    const existing = (this.#db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'ix:%'").all() as Array<{ name: string }>).map((r) => r.name);
    this.#db.transaction(() => {
      for (const name of existing) if (!wanted.has(name)) this.#db.exec(`DROP INDEX "${name}"`);
      for (const [name, field] of wanted) {
        // Safe to splice: checkField admits only letters, digits, '_' and '.'.
        if (!existing.includes(name)) this.#db.exec(`CREATE INDEX "${name}" ON records (${fieldExpression(field)})`);
      }
    }).immediate();
  }

  /** Settles queued writes, then closes the database. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#commits.idle();
    try {
      this.#db.pragma('optimize');
    } catch {
      // Statistics are an optimisation; closing matters more.
    }
    this.#db.close();
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The query plan SQLite picks for a search (tests check that indexes are used). */
  explain(query: SearchQuery): string[] {
    const compiled = compileSearch(query);
    const rows = this.#db.prepare(`EXPLAIN QUERY PLAN ${compiled.sql}`).all(...compiled.params) as Array<{ detail: string }>;
    return rows.map((r) => r.detail);
  }

  // ---- internals ---------------------------------------------------------------------

  /** Searches repeat their shapes; compiling each SQL text once saves most of a small query's time. */
  #prepared(sql: string): Database.Statement {
    let statement = this.#searches.get(sql);
    if (statement) {
      this.#searches.delete(sql); // re-inserted below: Map order is the recency order
    } else {
      statement = this.#db.prepare(sql);
      if (this.#searches.size >= SEARCH_CACHE_SIZE) this.#searches.delete(this.#searches.keys().next().value as string);
    }
    this.#searches.set(sql, statement);
    return statement;
  }

  #open(): void {
    if (this.#closed) throw new WwatpError('CLOSED', `collection ${this.namespace}/${this.name} is closed`);
  }

  #writable(): void {
    this.#open();
    const reason = this.#options.readOnlyReason;
    if (reason !== undefined) throw new WwatpError('UNSUPPORTED', `${this.namespace}/${this.name} is read-only: ${reason}`);
  }

  #read<T>(doing: string, run: () => T): T {
    try {
      return run();
    } catch (error) {
      throw storageError(this.path, doing, error);
    }
  }

  /**
   * Queues a write. Writes queued in the same turn run as one GroupCommit job (one
   * savepoint, one COMMIT) instead of a savepoint each: every write here makes its checks
   * before touching a row, so one refused write (a WwatpError) needs no rollback and the
   * others proceed. Any other error means SQLite itself failed; the job's savepoint is
   * rolled back and every write of the batch fails with it.
   */
  #enqueue<T>(run: () => JobOutcome<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#pending.push({ run, resolve: resolve as (value: unknown) => void, reject });
      if (this.#pending.length > 1) return;
      let batch: PendingWrite[] = [];
      this.#commits
        .submit(() => {
          batch = this.#pending;
          this.#pending = [];
          const results = batch.map((write): { ok: true; outcome: JobOutcome<unknown> } | { ok: false; error: unknown } => {
            try {
              return { ok: true, outcome: write.run() };
            } catch (error) {
              if (error instanceof WwatpError) return { ok: false, error };
              throw error;
            }
          });
          return {
            value: undefined,
            after: () =>
              results.forEach((result, i) => {
                const write = batch[i] as PendingWrite;
                if (!result.ok) return write.reject(result.error);
                try {
                  result.outcome.after?.();
                } catch (error) {
                  // Durable whatever a listener does; never leave the writer hanging.
                  console.error('wwatp collector: after-commit work failed', error);
                }
                write.resolve(result.outcome.value);
              }),
          };
        })
        .catch((error: unknown) => {
          // Failed before the job ran (lock wait timed out) or SQLite failed within it.
          const failed = batch.length > 0 ? batch : this.#pending.splice(0);
          for (const write of failed) write.reject(error);
        });
    });
  }

  #outcome<T>(value: T, change: CollectorChange): JobOutcome<T> {
    return {
      value,
      after: () => {
        if (++this.#writes % OPTIMIZE_EVERY === 0) setImmediate(() => this.#optimize());
        this.#options.emit(change);
      },
    };
  }

  /** Refreshes planner statistics as the collection grows, so indexed fields get used. */
  #optimize(): void {
    if (this.#closed) return;
    try {
      this.#db.pragma('optimize');
    } catch {
      // Only an optimisation: a busy database can skip it this time.
    }
  }

  #writeRecord(input: RecordInput, mode: 'create' | 'update' | 'upsert', priorVersion?: number): Promise<CollectionRecord> {
    if (input === null || typeof input !== 'object') throw new WwatpError('INVALID_PROPERTY', 'a record input must be an object');
    const id = checkRecordId(input.id);
    if (input.json !== undefined && !isJsonObject(input.json)) throw new WwatpError('TYPE_MISMATCH', `record ${id}: json must be an object`);
    if (input.version !== undefined && (!Number.isSafeInteger(input.version) || input.version < 0)) {
      throw new WwatpError('INVALID_PROPERTY', `record ${id}: version must be a non-negative integer, got ${String(input.version)}`);
    }
    if (input.dataUri !== undefined && typeof input.dataUri !== 'string') throw new WwatpError('INVALID_PROPERTY', `record ${id}: dataUri must be a string`);
    // Encoding and type checks run before queueing: a bad record fails alone and fast.
    const codec = this.#options.codec();
    const { json, protoData } = codec.normalize({ ...(input.json !== undefined ? { json: input.json } : {}), ...(input.protoData !== undefined ? { protoData: input.protoData } : {}) });
    const jsonText = JSON.stringify(json);
    if (jsonText.length + protoData.byteLength > MAX_RECORD_BYTES) {
      throw new WwatpError('TOO_LARGE', `record ${id} is ${jsonText.length + protoData.byteLength} bytes (JSON plus protobuf); at most ${MAX_RECORD_BYTES}`);
    }
    const text = recordText(json);
    return this.#enqueue(() => {
      const prior = this.#stmt.head.get(id) as { rowid: number; version: number; created_at: number; data_uri: string } | undefined;
      if (prior && mode === 'create') throw new WwatpError('ALREADY_EXISTS', `record ${id} already exists in ${this.namespace}/${this.name}`);
      if (!prior && mode === 'update') throw new WwatpError('NOT_FOUND', `record ${id} does not exist in ${this.namespace}/${this.name}`);
      if (prior && priorVersion !== undefined && prior.version !== priorVersion) {
        throw new WwatpError('VERSION_CONFLICT', `record ${id} is at version ${prior.version}, not ${priorVersion}`);
      }
      const now = Date.now();
      const version = input.version ?? (prior ? prior.version + 1 : 1);
      const dataUri = input.dataUri ?? prior?.data_uri ?? '';
      if (prior) {
        this.#stmt.update.run(codec.messageType, version, now, dataUri, jsonText, protoData, id);
        this.#stmt.ftsUpdate.run(text, prior.rowid);
      } else {
        const { lastInsertRowid } = this.#stmt.insert.run(id, codec.messageType, version, now, now, dataUri, jsonText, protoData);
        this.#stmt.ftsInsert.run(lastInsertRowid, text);
      }
      const record: CollectionRecord = { id, type: codec.messageType, json, protoData, dataUri, version, createdAt: prior?.created_at ?? now, updatedAt: now };
      return this.#outcome(record, { kind: 'record', namespace: this.namespace, collection: this.name, id, record });
    });
  }

  #deleteRecord(id: string): Promise<boolean> {
    checkRecordId(id);
    return this.#enqueue(() => {
      const prior = this.#stmt.head.get(id) as { rowid: number } | undefined;
      if (!prior) return { value: false };
      this.#stmt.delete.run(id);
      this.#stmt.ftsDelete.run(prior.rowid);
      return this.#outcome(true, { kind: 'record', namespace: this.namespace, collection: this.name, id, record: undefined });
    });
  }
}
