/**
 * A second OS process writing to a PostgresBackend, for cross-process notification tests.
 * Run with node_modules/.bin/tsx:
 *   postgres-writer.ts <connectionString> <prefix> <count> <intervalMs>
 * Writes `count` nodes `<prefix>/n<i>` one every intervalMs and prints one JSON line per
 * acknowledged write: {"label": ..., "ackAt": <epoch ms, fractional>}.
 */
import { PostgresBackend } from '../../src/backends/postgres/index.js';
import { TreeNode } from '../../src/tree/tree-node.js';

const [connectionString, prefix, countText, intervalText] = process.argv.slice(2);
if (!connectionString || !prefix || !countText || !intervalText) {
  console.error('usage: postgres-writer.ts <connectionString> <prefix> <count> <intervalMs>');
  process.exit(2);
}
const now = (): number => performance.timeOrigin + performance.now();
const backend = await PostgresBackend.open({ connectionString });
try {
  for (let i = 0; i < Number(countText); i++) {
    const label = `${prefix}/n${i}`;
    await backend.upsertNode([new TreeNode({ labelRule: label, description: `written by process ${process.pid}` })]);
    process.stdout.write(`${JSON.stringify({ label, ackAt: now() })}\n`);
    await new Promise((resolve) => setTimeout(resolve, Number(intervalText)));
  }
} finally {
  await backend.close();
}
