/**
 * The newest journal sequence any backend in this process has seen committed, per
 * database. A listener registered after a write returned must not be told of that write
 * when its NOTIFY reaches another backend on the same database a moment later (the write
 * happened before the listener existed, as with SimpleBackend). Writes from other
 * processes race with registration anyway; for those the feed's own position is the
 * horizon, so a change may at worst be reported once to a listener registered just after.
 */
const latestByDatabase = new Map<string, number>();

export function noteCommitted(database: string, sequence: number): void {
  if (sequence > (latestByDatabase.get(database) ?? 0)) latestByDatabase.set(database, sequence);
}

export function committedHere(database: string): number {
  return latestByDatabase.get(database) ?? 0;
}
