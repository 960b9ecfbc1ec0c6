/**
 * Opens a SqliteBackend at a path, writes and reads one node, and prints the outcome as
 * one JSON line: {"ok":true} or {"ok":false,"code":...,"message":...}. Run as another
 * user to see permission faults that root would bypass.
 */
import { SqliteBackend } from '../../src/backends/sqlite/index.js';
import { TreeNode } from '../../src/tree/tree-node.js';
import { WwatpError } from '../../src/tree/errors.js';

const [path] = process.argv.slice(2);
if (!path) throw new Error('usage: sqlite-open-probe <path>');
try {
  const backend = await SqliteBackend.open({ path });
  await backend.upsertNode([new TreeNode({ labelRule: 'probe', description: 'written by the probe' })]);
  const node = await backend.getNode('probe');
  await backend.close();
  process.stdout.write(`${JSON.stringify({ ok: node?.description === 'written by the probe' })}\n`);
} catch (error) {
  const code = error instanceof WwatpError ? error.code : 'NOT_A_WWATP_ERROR';
  const message = error instanceof Error ? error.message : String(error);
  process.stdout.write(`${JSON.stringify({ ok: false, code, message })}\n`);
}
