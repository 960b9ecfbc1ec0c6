import pg from 'pg';
import t from 'tap';
import { PostgresBackend } from '../../src/backends/postgres/index.js';
import { WwatpError } from '../../src/tree/errors.js';
import { TreeNode } from '../../src/tree/tree-node.js';
import { prng } from '../conformance/random.js';
import { freshDatabase, startPostgres } from '../support/postgres.js';

// Crash durability: while this process keeps acknowledged upserts coming, the server is
// killed (`pg_ctl stop -m immediate`: no checkpoint, no clean shutdown) and started again
// (crash recovery from the WAL). Every write acknowledged before the kill must be there,
// exactly as written, with a journal entry for it, numbered in acknowledgement order.
const ROUNDS = 4;
const WRITERS = 8;

const server = await startPostgres({ needsControl: true });
t.teardown(() => server.stop());

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const rand = prng(0xc7a54);

function payloadNode(label: string, size: number): TreeNode {
  const node = new TreeNode({ labelRule: label, description: `crash test ${label}` });
  node.insertProperty('payload', 'bytes', Uint8Array.from({ length: size }, () => Math.floor(rand() * 256)));
  return node;
}

t.test(`${ROUNDS} kills under load lose no acknowledged write`, async (t) => {
  const connectionString = await freshDatabase(server.url);
  // The database's own default is not durable; the backend must insist on
  // synchronous_commit = on for its writes (with 'off' this test loses writes).
  const admin = new pg.Client({ connectionString });
  await admin.connect();
  await admin.query(`ALTER DATABASE ${pg.escapeIdentifier(new URL(connectionString).pathname.slice(1))} SET synchronous_commit = off`);
  await admin.end();
  const writer = await PostgresBackend.open({ connectionString });
  t.teardown(() => writer.close());
  // Acknowledged writes, per writer in acknowledgement order.
  const acked: TreeNode[][] = Array.from({ length: WRITERS }, () => []);
  // A call that failed as its COMMIT was cut off may or may not have happened: every
  // such version of a label is a possible outcome.
  const doubtful = new Map<string, TreeNode[]>();
  let unexpected = 0;

  for (let round = 0; round < ROUNDS; round++) {
    let running = true;
    const load = acked.map(async (mine, w) => {
      for (let k = 0; running; k++) {
        // Some calls carry several nodes, some overwrite a node written earlier.
        const nodes = Array.from({ length: 1 + (k % 3) }, (_, i) => payloadNode(`crash/r${round}/w${w}/n${k}/${i}`, 64 + ((k * 37) % 2000)));
        if (k % 5 === 4 && mine.length > 0) nodes.push(payloadNode((mine.at(-1) as TreeNode).labelRule, 100));
        try {
          if (await writer.upsertNode(nodes)) {
            mine.push(...nodes);
            // Acknowledged after any doubtful one: only this version may be stored now.
            for (const node of nodes) doubtful.delete(node.labelRule);
          }
        } catch (error) {
          if (!WwatpError.is(error, 'UNAVAILABLE')) unexpected++;
          for (const node of nodes) doubtful.set(node.labelRule, [...(doubtful.get(node.labelRule) ?? []), node]);
          await sleep(10);
        }
      }
    });
    await sleep(300 + Math.floor(rand() * 500));
    const before = acked.flat().length;
    await server.stopImmediate();
    await sleep(100);
    await server.restart();
    const deadline = Date.now() + 20_000;
    while (acked.flat().length === before && Date.now() < deadline) await sleep(20);
    running = false;
    await Promise.all(load);
    t.ok(acked.flat().length > before, `round ${round}: writes resumed after crash recovery (${acked.flat().length} acknowledged so far)`);
  }
  t.equal(unexpected, 0, 'every failed call was UNAVAILABLE');

  const checker = await PostgresBackend.open({ connectionString });
  t.teardown(() => checker.close());
  const journal = await checker.getJournal(0);
  if (journal.kind !== 'entries') throw new Error('the journal should reach back to the start');
  const labelAt = new Map(journal.entries.map((e) => [e.sequence, e.label]));
  t.same(
    journal.entries.map((e) => e.sequence),
    Array.from({ length: journal.latest }, (_, i) => i + 1),
    `journal sequences 1..${journal.latest} without gaps`,
  );

  // The last acknowledged version of each label is what must be stored.
  const expected = new Map<string, TreeNode>();
  for (const mine of acked) for (const node of mine) expected.set(node.labelRule, node);
  let missing = 0;
  let different = 0;
  let unjournaled = 0;
  const stored = new Map((await checker.queryNodes('crash/**')).map((n) => [n.labelRule, n]));
  for (const [label, node] of expected) {
    const got = stored.get(label);
    if (!got) missing++;
    else if (!got.equals(node) && !doubtful.get(label)?.some((maybe) => maybe.equals(got))) different++;
  }
  for (const [w, mine] of acked.entries()) {
    // One writer's calls were sequential: their journal numbers must rise with them.
    let previous = 0;
    let outOfOrder = 0;
    const lastOf = new Map(mine.map((n, i) => [n.labelRule, i]));
    for (const [i, node] of mine.entries()) {
      if (lastOf.get(node.labelRule) !== i) continue; // overwritten later; its number moved on
      const seq = await checker.sequenceOf(node.labelRule);
      if (seq === undefined || labelAt.get(seq) !== node.labelRule) unjournaled++;
      else if (!stored.get(node.labelRule)?.equals(node)) continue; // a doubtful write came after
      else if (seq < previous) outOfOrder++;
      else previous = seq;
    }
    t.equal(outOfOrder, 0, `writer ${w}: journal order follows acknowledgement order`);
  }
  t.ok(expected.size > 0, `${expected.size} acknowledged labels checked`);
  t.equal(missing, 0, 'no acknowledged write is missing');
  t.equal(different, 0, 'every stored node is the last one acknowledged');
  t.equal(unjournaled, 0, 'every acknowledged write has its journal entry');
});
