import Database from 'better-sqlite3';
import t from 'tap';
import { SqliteBackend } from '../../src/backends/sqlite/index.js';
import type { TreeNode } from '../../src/tree/tree-node.js';
import { prng } from '../conformance/random.js';
import { runSupportScript } from '../support/sqlite-child.js';
import { crashNode, sleep } from '../support/sqlite-nodes.js';
import { tempDbPath } from '../support/sqlite-temp.js';

const ROUNDS = 20;

t.test(`acknowledged writes survive SIGKILL at random moments (${ROUNDS} rounds)`, async (t) => {
  const path = tempDbPath(t);
  const rand = prng(0xdead);
  const acked = new Map<string, { sequence: number; node: TreeNode }>();
  const problems: string[] = [];
  let newestAcked = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const child = runSupportScript('./sqlite-crash-writer.ts', [path, `r${round}`]);
    const ready = await child.waitFor((l) => l.startsWith('ready '));
    const startedAt = Number(ready.split(' ')[1]);
    if (startedAt < newestAcked) problems.push(`round ${round} started at ${startedAt}, below the acknowledged ${newestAcked}`);
    await sleep(Math.floor(rand() * 250));
    child.process.kill('SIGKILL');
    const { signal } = await child.exited;
    if (signal !== 'SIGKILL') problems.push(`round ${round}: the writer ended by ${String(signal)}, not SIGKILL`);
    for (const line of child.lines) {
      if (!line.startsWith('ack ')) continue;
      const [, label, seq] = line.split(' ');
      const sequence = Number(seq);
      if (!label || !(sequence > startedAt)) problems.push(`round ${round}: bad acknowledgement "${line}"`);
      else acked.set(label, { sequence, node: crashNode(label) });
      newestAcked = Math.max(newestAcked, sequence);
    }

    const raw = new Database(path);
    const integrity = raw.pragma('integrity_check', { simple: true });
    raw.close();
    if (integrity !== 'ok') problems.push(`round ${round}: integrity_check says ${String(integrity)}`);
    const backend = await SqliteBackend.open({ path });
    if ((await backend.latestSequence()) < newestAcked) problems.push(`round ${round}: latest sequence below an acknowledged one`);
    // Everything acknowledged in every round so far, read back in bulk.
    const nodes = new Map((await backend.getFullTree()).map((node) => [node.labelRule, node]));
    const journal = await backend.getJournal(0);
    const journalLabels = new Map(journal.kind === 'entries' ? journal.entries.map((e) => [e.sequence, e.label]) : []);
    for (const [label, { sequence, node }] of acked) {
      if (!nodes.get(label)?.equals(node)) problems.push(`round ${round}: ${label} lost or changed`);
      if ((await backend.sequenceOf(label)) !== sequence) problems.push(`round ${round}: ${label} lost its sequence ${sequence}`);
      if (journalLabels.get(sequence) !== label) problems.push(`round ${round}: journal entry ${sequence} is not ${label}`);
    }
    await backend.close();
  }
  t.same(problems, [], 'every acknowledged write was there after every kill, with its sequence');
  t.ok(acked.size >= 200, `${acked.size} acknowledged writes were checked`);
});
