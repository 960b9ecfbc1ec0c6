/**
 * The process the crash test kills: writes to a SqliteBackend in a loop from 8
 * concurrent writers (so writes group-commit), printing "ack <label> <sequence>" for
 * each node only after its upsert resolved. Prints "ready <latest>" once open.
 *   node --import tsx sqlite-crash-writer.ts <path> <tag>
 * stdout to a pipe is synchronous on Linux: a printed line is in the pipe before the
 * next write starts, so a SIGKILL cannot lose an acknowledgement that was printed.
 */
import { SqliteBackend } from '../../src/backends/sqlite/index.js';
import { crashNode } from './sqlite-nodes.js';

const [path, tag] = process.argv.slice(2);
if (!path || !tag) throw new Error('usage: sqlite-crash-writer <path> <tag>');
const backend = await SqliteBackend.open({ path });
process.stdout.write(`ready ${await backend.latestSequence()}\n`);

let next = 0;
async function writer(w: number): Promise<never> {
  for (;;) {
    const i = next++;
    // Every fifth call writes three nodes at once: all-or-nothing must hold across a kill.
    const nodes = Array.from({ length: i % 5 === 0 ? 3 : 1 }, (_, k) => crashNode(`${tag}/w${w}/n${i}-${k}`));
    await backend.upsertNode(nodes);
    const acks: string[] = [];
    for (const node of nodes) acks.push(`ack ${node.labelRule} ${String(await backend.sequenceOf(node.labelRule))}`);
    process.stdout.write(`${acks.join('\n')}\n`);
  }
}
await Promise.all(Array.from({ length: 8 }, (_, w) => writer(w)));
