import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Collector, compileSearch, type CollectionStore, type JsonObject, type SearchQuery } from '../../src/collector/index.js';
import { printTable, rawPeerRows, secondsSince, type RawPeerRow } from '../table.js';

/**
 * bench:collector — a typed Collector collection beside raw better-sqlite3 running the
 * same SQL on the same table shape (records with protobuf bytes and JSONB, an FTS5 index,
 * expression indexes on year and author) with the same durability (WAL, synchronous=FULL),
 * in one run. Raw rows are encoded before its clock starts, so raw measures SQLite alone;
 * the Collector's figures include checking and encoding each record and decoding results.
 * `--quick` for a smaller run.
 */
const quick = process.argv.includes('--quick');
/** `--explain` prints the query plans SQLite chose. */
const explain = process.argv.includes('--explain');
const RECORDS = quick ? 10_000 : 100_000;
const SEARCHES = quick ? 300 : 2000;
const GETS = quick ? 5000 : 50_000;
/** Writes in flight at once; they share commits, as concurrent clients' writes do. */
const WINDOW = 1000;
const AUTHORS = 2000;
const WORDS = 5000;

const PROTO = `
syntax = "proto3";
package bench;
message Book {
  string title = 1;
  string author = 2;
  int32 year = 3;
  double price = 4;
  repeated string tags = 5;
  string blurb = 6;
}`;

// Deterministic (xorshift, as bench/picks.ts), so every run stores and asks the same.
let state = 0x9e3779b9;
function rand(n: number): number {
  state ^= state << 13;
  state ^= state >>> 17;
  state ^= state << 5;
  return (state >>> 0) % n;
}
const word = (i: number): string => `w${i.toString(36)}x`;

function book(i: number): JsonObject {
  const blurb = Array.from({ length: 8 }, () => word(rand(WORDS))).join(' ');
  return { title: `Book number ${i}`, author: `author${rand(AUTHORS)}`, year: 1900 + rand(120), price: rand(10_000) / 100, tags: [`t${rand(20)}`, `t${rand(20)}`], blurb };
}

const idOf = (i: number): string => `book${String(i).padStart(7, '0')}`;

interface Workloads {
  eq: SearchQuery[];
  range: SearchQuery[];
  text: SearchQuery[];
  gets: string[];
}

function workloads(): Workloads {
  const eq: SearchQuery[] = [];
  const range: SearchQuery[] = [];
  const text: SearchQuery[] = [];
  for (let i = 0; i < SEARCHES; i++) {
    eq.push({ filters: [{ field: 'author', operator: 'EQUALS', value: `author${rand(AUTHORS)}` }] });
    const from = 1900 + rand(118);
    range.push({ filters: [{ field: 'year', operator: 'GREATER_EQUAL', value: from }, { field: 'year', operator: 'LESS_THAN', value: from + 2 }], orderBy: [{ field: 'year', ascending: true }], limit: 100 });
    text.push({ fullText: word(rand(WORDS)), limit: 20 });
  }
  const gets = Array.from({ length: GETS }, () => idOf(rand(RECORDS)));
  return { eq, range, text, gets };
}

function perSecond(count: number, start: bigint): number {
  return count / secondsSince(start);
}

async function runCollector(dir: string, books: JsonObject[], w: Workloads): Promise<Record<string, number>> {
  const collector = await Collector.open({ dir });
  try {
    await collector.registry.registerProto({ namespace: 'bench', fileName: 'bench/book.proto', source: PROTO });
    await collector.repo.createCollection({ namespace: 'bench', name: 'books', messageType: 'bench.Book', indexedFields: ['year', 'author'] });
    const store = (await collector.repo.collection('bench', 'books')) as CollectionStore;
    let start = process.hrtime.bigint();
    for (let i = 0; i < books.length; i += WINDOW) {
      const batch: Array<Promise<unknown>> = [];
      for (let j = i; j < Math.min(i + WINDOW, books.length); j++) batch.push(store.create({ id: idOf(j), json: books[j] as JsonObject }));
      await Promise.all(batch);
    }
    const inserts = perSecond(books.length, start);
    const out: Record<string, number> = { inserts };
    let hits = 0;
    for (const [name, queries] of [['eq', w.eq], ['range', w.range], ['text', w.text]] as const) {
      if (explain) console.log(name, store.explain(queries[0] as SearchQuery));
      start = process.hrtime.bigint();
      for (const q of queries) hits += (await store.search(q)).length;
      out[name] = perSecond(queries.length, start);
    }
    start = process.hrtime.bigint();
    for (const id of w.gets) if (await store.get(id)) hits++;
    out.gets = perSecond(w.gets.length, start);
    out.hits = hits;
    return out;
  } finally {
    await collector.close();
  }
}

/** The same schema, statements and durability, driven directly. */
function runRaw(dir: string, books: JsonObject[], w: Workloads, collector: { encode(json: JsonObject): Uint8Array }): Record<string, number> {
  const db = new Database(join(dir, 'raw.db'));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec(`
      CREATE TABLE records (id TEXT PRIMARY KEY NOT NULL, type TEXT NOT NULL, version INTEGER NOT NULL, created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL, data_uri TEXT NOT NULL DEFAULT '', json BLOB NOT NULL, proto_data BLOB NOT NULL);
      CREATE VIRTUAL TABLE records_fts USING fts5(text, tokenize = 'unicode61 remove_diacritics 2');
      CREATE INDEX "ix:year" ON records (json_extract(json, '$.year'));
      CREATE INDEX "ix:author" ON records (json_extract(json, '$.author'));
    `);
    // Encoded before the clock starts: raw measures SQLite alone.
    const rows = books.map((b, i) => ({ id: idOf(i), json: JSON.stringify(b), proto: collector.encode(b), text: [b.title, b.author, ...(b.tags as string[]), b.blurb].join('\n') }));
    const insert = db.prepare("INSERT INTO records (id, type, version, created_at, updated_at, data_uri, json, proto_data) VALUES (?, 'bench.Book', 1, ?, ?, '', jsonb(?), ?)");
    const fts = db.prepare('INSERT INTO records_fts (rowid, text) VALUES (?, ?)');
    const batch = db.transaction((slice: typeof rows) => {
      const now = Date.now();
      for (const r of slice) fts.run(insert.run(r.id, now, now, r.json, r.proto).lastInsertRowid, r.text);
    });
    let start = process.hrtime.bigint();
    for (let i = 0; i < rows.length; i += WINDOW) batch(rows.slice(i, i + WINDOW));
    const out: Record<string, number> = { inserts: perSecond(rows.length, start) };
    db.pragma('optimize');
    let hits = 0;
    for (const [name, queries] of [['eq', w.eq], ['range', w.range], ['text', w.text]] as const) {
      // The Collector's own SQL for the shape, prepared once; raw reads the same columns.
      const statement = db.prepare(compileSearch(queries[0] as SearchQuery).sql);
      if (explain) console.log(name, db.prepare(`EXPLAIN QUERY PLAN ${compileSearch(queries[0] as SearchQuery).sql}`).all(...compileSearch(queries[0] as SearchQuery).params));
      start = process.hrtime.bigint();
      for (const q of queries) hits += statement.all(...compileSearch(q).params).length;
      out[name] = perSecond(queries.length, start);
    }
    const get = db.prepare('SELECT id, type, proto_data, json(json) AS json_text, data_uri, version, created_at, updated_at FROM records WHERE id = ?');
    start = process.hrtime.bigint();
    for (const id of w.gets) if (get.get(id)) hits++;
    out.gets = perSecond(w.gets.length, start);
    out.hits = hits;
    return out;
  } finally {
    db.close();
  }
}

console.log(`bench:collector${quick ? ' --quick' : ''} — node ${process.version}, ${RECORDS.toLocaleString('en-US')} typed records (bench.Book), writes ${WINDOW} in flight, WAL + synchronous=FULL`);
const dir = mkdtempSync(join(tmpdir(), 'wwatp-bench-collector-'));
try {
  const books = Array.from({ length: RECORDS }, (_, i) => book(i));
  const w = workloads();
  console.log('Collector ...');
  const ours = await runCollector(join(dir, 'collector'), books, w);
  console.log('raw better-sqlite3 ...');
  const helper = await Collector.open({ dir: join(dir, 'encoder') });
  await helper.registry.registerProto({ namespace: 'bench', fileName: 'bench/book.proto', source: PROTO });
  const raw = runRaw(dir, books, w, { encode: (json) => helper.registry.encode('bench', 'bench.Book', json) });
  await helper.close();
  if (ours.hits !== raw.hits) console.log(`warning: hit counts differ (collector ${ours.hits}, raw ${raw.hits})`);
  const row = (workload: string, unit: string, key: string): RawPeerRow => ({ workload, unit, higherIsBetter: true, wwatp: ours[key] as number, raw: raw[key] as number });
  printTable(`Collector vs raw better-sqlite3 at ${RECORDS.toLocaleString('en-US')} records`, 'raw sqlite', rawPeerRows([
    row(`insert (${WINDOW} concurrent, group commit)`, 'records/s', 'inserts'),
    row('search: indexed field equals', 'searches/s', 'eq'),
    row('search: indexed range, ordered', 'searches/s', 'range'),
    row('search: full text (bm25, top 20)', 'searches/s', 'text'),
    row('get by id', 'gets/s', 'gets'),
  ]));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
