/**
 * Holds a lock on a SQLite database from another process until told to let go.
 *   node --import tsx sqlite-lock-holder.ts <path> write|exclusive
 * `write` takes the write lock (BEGIN IMMEDIATE): other writers wait, readers go on.
 * `exclusive` uses locking_mode=EXCLUSIVE and writes, so no other connection can read.
 * Prints "locked" once held; on a "release" line on stdin commits, closes, prints "released".
 */
import Database from 'better-sqlite3';
import { createInterface } from 'node:readline';

const [path, mode] = process.argv.slice(2);
if (!path || (mode !== 'write' && mode !== 'exclusive')) throw new Error('usage: sqlite-lock-holder <path> write|exclusive');
const db = new Database(path);
if (mode === 'exclusive') db.pragma('locking_mode = EXCLUSIVE');
db.exec('BEGIN IMMEDIATE');
db.exec('CREATE TABLE IF NOT EXISTS lock_holder_probe (x INTEGER)');
if (mode === 'exclusive') {
  // In exclusive locking mode the locks taken by a write outlive its COMMIT; the table
  // is dropped again so the database's contents are unchanged.
  db.exec('DROP TABLE lock_holder_probe');
  db.exec('COMMIT');
}
process.stdout.write('locked\n');
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() !== 'release') return;
  if (db.inTransaction) db.exec('ROLLBACK');
  db.close();
  process.stdout.write('released\n');
  process.exit(0);
});
