import type Database from 'better-sqlite3';
import type { CollectionFile, CollectionRecord, JsonObject } from '../types.js';
import { supportsJsonb } from './schema.js';

/**
 * The SQL a collection database is read and written with: prepared statements and the
 * rows they return, turned into records and files. Kept apart from collection-store.ts,
 * which holds the store's behaviour (checks, write batching, lifecycle), because this
 * part is plain data layout with no state of its own.
 */

export interface RecordRow {
  id: string;
  type: string;
  proto_data: Buffer;
  json_text: string;
  data_uri: string;
  version: number;
  created_at: number;
  updated_at: number;
  score?: number;
}

export interface FileRow {
  path: string;
  uri: string | null;
  updated_at: number;
  data?: Buffer | null;
  size: number | null;
}

export function rowToRecord(row: RecordRow): CollectionRecord {
  return {
    id: row.id,
    type: row.type,
    json: JSON.parse(row.json_text) as JsonObject,
    protoData: row.proto_data,
    dataUri: row.data_uri,
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function rowToFile(row: FileRow): CollectionFile {
  return {
    path: row.path,
    ...(row.data ? { data: row.data } : {}),
    ...(row.uri !== null ? { uri: row.uri } : {}),
    ...(row.size !== null ? { size: row.size } : {}),
    updatedAt: row.updated_at,
  };
}

/** The record count migration 2 keeps (see schema.ts); never a count(*) over records. */
export const COUNT_SQL = 'SELECT n FROM record_count WHERE one = 1';

const RECORD_SELECT = 'SELECT id, type, proto_data, json(json) AS json_text, data_uri, version, created_at, updated_at FROM records';

type StatementName =
  | 'get' | 'head' | 'list' | 'ids' | 'count' | 'insert' | 'update' | 'delete' | 'ftsInsert' | 'ftsUpdate' | 'ftsDelete'
  | 'putFile' | 'getFile' | 'allFiles' | 'filesUnder' | 'deleteFile';

/** The statements a store runs, each prepared once when it opens. */
export type Statements = Record<StatementName, Database.Statement>;

export function prepareStatements(db: Database.Database): Statements {
  const toJson = supportsJsonb(db) ? 'jsonb(?)' : 'json(?)';
  return {
    get: db.prepare(`${RECORD_SELECT} WHERE id = ?`),
    head: db.prepare('SELECT rowid, version, created_at, data_uri FROM records WHERE id = ?'),
    list: db.prepare(`${RECORD_SELECT} ORDER BY id LIMIT ? OFFSET ?`),
    ids: db.prepare('SELECT id FROM records WHERE id > ? ORDER BY id LIMIT ?'),
    count: db.prepare(COUNT_SQL),
    insert: db.prepare(`INSERT INTO records (id, type, version, created_at, updated_at, data_uri, json, proto_data) VALUES (?, ?, ?, ?, ?, ?, ${toJson}, ?)`),
    update: db.prepare(`UPDATE records SET type = ?, version = ?, updated_at = ?, data_uri = ?, json = ${toJson}, proto_data = ? WHERE id = ?`),
    delete: db.prepare('DELETE FROM records WHERE id = ?'),
    ftsInsert: db.prepare('INSERT INTO records_fts (rowid, text) VALUES (?, ?)'),
    ftsUpdate: db.prepare('UPDATE records_fts SET text = ? WHERE rowid = ?'),
    ftsDelete: db.prepare('DELETE FROM records_fts WHERE rowid = ?'),
    putFile: db.prepare('INSERT INTO files (path, uri, updated_at, data) VALUES (?, ?, ?, ?) ON CONFLICT (path) DO UPDATE SET uri = excluded.uri, updated_at = excluded.updated_at, data = excluded.data'),
    getFile: db.prepare('SELECT path, uri, updated_at, data, length(data) AS size FROM files WHERE path = ?'),
    allFiles: db.prepare('SELECT path, uri, updated_at, length(data) AS size FROM files ORDER BY path'),
    filesUnder: db.prepare('SELECT path, uri, updated_at, length(data) AS size FROM files WHERE path = ? OR (path >= ? AND path < ?) ORDER BY path'),
    deleteFile: db.prepare('DELETE FROM files WHERE path = ?'),
  };
}
