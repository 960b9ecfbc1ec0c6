import { printTable, rawPeerRows } from '../table.js';
import { runSqliteBench } from './sqlite.js';
import { runPostgresBench } from './postgres.js';

/**
 * bench:storage — SqliteBackend and PostgresBackend beside raw better-sqlite3 and raw pg
 * doing the same rows with the same durability, in one run. `--quick` for small sizes;
 * `--pg URL` to use a running PostgreSQL instead of starting a throwaway one.
 */
const quick = process.argv.includes('--quick');
const pgAt = process.argv.indexOf('--pg');
const pgUrl = pgAt > 0 ? process.argv[pgAt + 1] : undefined;

console.log(`bench:storage${quick ? ' --quick' : ''} — node ${process.version}, durable writes (SQLite synchronous=FULL, PostgreSQL synchronous_commit=on, fsync=on)`);
console.log('SQLite ...');
const sqlite = await runSqliteBench(quick ? { sequentialWrites: 300, concurrentWrites: 3000, gets: 20_000, subtreeNodes: 20_000 } : {});
printTable('SqliteBackend vs raw better-sqlite3', 'raw sqlite', rawPeerRows(sqlite));
console.log('\nPostgreSQL ...');
const postgres = await runPostgresBench({ ...(pgUrl ? { url: pgUrl } : {}), ...(quick ? { sizes: { sequentialWrites: 200, concurrentWrites: 2000, gets: 5000, subtreeNodes: 20_000 } } : {}) });
printTable('PostgresBackend vs raw pg', 'raw pg', rawPeerRows(postgres));
