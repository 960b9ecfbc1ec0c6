import pg from 'pg';
import t, { type Test } from 'tap';
import { PostgresBackend, SCHEMA_VERSION, type PostgresBackendOptions } from '../../../src/backends/postgres/index.js';
import type { Transaction } from '../../../src/backends/backend.js';
import { TreeNode } from '../../../src/tree/tree-node.js';
import { freshDatabase, startPostgres } from '../../support/postgres.js';

// What the conformance suite does not cover: schema, journal, label ranges in SQL,
// group commit, validation across servers, closing, restarting with data intact.
const server = await startPostgres({ needsControl: true });
t.teardown(() => server.stop());

async function open(t: Test, options: Partial<PostgresBackendOptions> = {}, url?: string): Promise<{ backend: PostgresBackend; url: string }> {
  const connectionString = url ?? (await freshDatabase(server.url));
  const backend = await PostgresBackend.open({ connectionString, ...options });
  t.teardown(() => backend.close());
  return { backend, url: connectionString };
}

async function sql<R extends pg.QueryResultRow>(url: string, text: string, values: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<R>(text, values)).rows;
  } finally {
    await client.end();
  }
}

const node = (label: string, description = label, versionNumber = 0): TreeNode => new TreeNode({ labelRule: label, description, version: { versionNumber } });

t.test('migrations run once, and a newer schema is refused', async (t) => {
  const { url } = await open(t);
  await open(t, {}, url);
  t.same(await sql(url, 'SELECT version FROM wwatp_schema_version'), [{ version: SCHEMA_VERSION }], 'one row at the current version');
  await sql(url, 'UPDATE wwatp_schema_version SET version = $1', [SCHEMA_VERSION + 1]);
  await t.rejects(PostgresBackend.open({ connectionString: url }), { code: 'STORAGE', message: /schema version/ });
});

t.test('bad options are refused before connecting', async (t) => {
  await t.rejects(PostgresBackend.open({ connectionString: server.url, channel: 'x; DROP TABLE y' }), { code: 'STORAGE' });
  await t.rejects(PostgresBackend.open({ connectionString: '' }), { code: 'STORAGE' });
  await t.rejects(PostgresBackend.open({ connectionString: server.url, journalRetention: 0 }), { code: 'STORAGE' });
});

t.test('labels full of SQL and pattern characters stay literal; subtrees are exact ranges', async (t) => {
  const { backend } = await open(t);
  const labels = ['a', 'a-b', 'a.b', 'a0', 'a/b', 'a/b/c', "it's", '100%', 'a_b', 'x/%', 'x/_', 'λ', 'λ/中', 'a/🌳'];
  await backend.upsertNode(labels.map((l) => node(l)));
  for (const l of labels) t.equal((await backend.getNode(l))?.labelRule, l, `${l} reads back`);
  t.same((await backend.queryNodes('a/**')).map((n) => n.labelRule).sort(), ['a/b', 'a/b/c', 'a/🌳'].sort());
  t.same((await backend.queryNodes('x/*')).map((n) => n.labelRule).sort(), ['x/%', 'x/_']);
  t.same((await backend.queryNodes('λ/*')).map((n) => n.labelRule), ['λ/中']);
  t.equal(await backend.deleteNode('a'), true);
  const left = (await backend.getFullTree()).map((n) => n.labelRule).sort();
  t.same(left, ['a-b', 'a.b', 'a0', "it's", '100%', 'a_b', 'x/%', 'x/_', 'λ', 'λ/中'].sort(), 'only a and what lies below it went');
});

t.test('the journal numbers every change and resumes from any point it still holds', async (t) => {
  const { backend } = await open(t);
  t.equal(await backend.latestSequence(), 0);
  await backend.upsertNode([node('j/a'), node('j/b')]);
  await backend.upsertNode([node('j/a', 'changed')]);
  await backend.deleteNode('j/b');
  t.equal(await backend.latestSequence(), 4);
  const all = await backend.getJournal(0);
  if (all.kind !== 'entries') throw new Error('expected entries');
  t.same(
    all.entries.map((e) => [e.sequence, e.label, e.node?.description ?? null]),
    [
      [1, 'j/a', 'changed'],
      [2, 'j/b', null],
      [3, 'j/a', 'changed'],
      [4, 'j/b', null],
    ],
    'each entry carries the node as it is now',
  );
  t.equal(all.latest, 4);
  const page = await backend.getJournal(1, 2);
  t.same(page.kind === 'entries' && page.entries.map((e) => e.sequence), [2, 3]);
  t.same(await backend.getJournal(4), { kind: 'entries', entries: [], latest: 4 });
  t.same(await backend.getJournal(9), { kind: 'resync', oldest: 1, latest: 4 }, 'a client ahead of us is of some other history');
  await t.rejects(backend.getJournal(-1), { code: 'MALFORMED' });
  await t.rejects(backend.getJournal(1.5), { code: 'MALFORMED' });
  t.equal(await backend.sequenceOf('j/a'), 3);
  t.equal(await backend.sequenceOf('j/b'), undefined);
});

t.test('history beyond the retention is gone: the answer says resync', async (t) => {
  const { backend } = await open(t, { journalRetention: 5 });
  for (let i = 0; i < 20; i++) await backend.upsertNode([node(`r/n${i}`)]);
  t.same(await backend.getJournal(3), { kind: 'resync', oldest: 16, latest: 20 });
  const kept = await backend.getJournal(15);
  t.same(kept.kind === 'entries' && kept.entries.map((e) => e.label), ['r/n15', 'r/n16', 'r/n17', 'r/n18', 'r/n19']);
});

t.test('concurrent writers share transactions (group commit) and each is acknowledged', async (t) => {
  const { backend, url } = await open(t);
  const listener = new pg.Client({ connectionString: url });
  await listener.connect();
  t.teardown(() => listener.end());
  const batches: string[] = [];
  listener.on('notification', (m) => batches.push(m.payload ?? ''));
  await listener.query('LISTEN wwatp_changes');
  const results = await Promise.all(Array.from({ length: 64 }, (_, i) => backend.upsertNode([node(`g/n${i}`)])));
  t.ok(results.every((r) => r === true));
  t.equal(await backend.latestSequence(), 64);
  await backend.processNotifications();
  await new Promise((resolve) => setTimeout(resolve, 100));
  t.ok(batches.length >= 1 && batches.length <= 4, `64 writes committed in ${batches.length} transaction(s)`);
  t.equal((await backend.getFullTree()).length, 64);
});

t.test("one caller's failing write does not fail the others batched with it", async (t) => {
  const { backend } = await open(t);
  // Too long for a btree index entry, and random so that compression cannot shrink it.
  const huge = Array.from({ length: 6000 }, () => String.fromCharCode(97 + Math.floor(Math.random() * 26))).join('');
  const [bad, good] = await Promise.allSettled([backend.upsertNode([node(`long/${huge}`)]), backend.upsertNode([node('long/ok')])]);
  t.match(bad, { status: 'rejected', reason: { code: 'STORAGE' } });
  t.match(good, { status: 'fulfilled', value: true });
  t.equal((await backend.getNode('long/ok'))?.labelRule, 'long/ok');
});

t.test('two servers validating the same transaction: exactly one wins each time', async (t) => {
  const { backend: a, url } = await open(t);
  const { backend: b } = await open(t, {}, url);
  await a.upsertNode([node('counter')]);
  const bump = (v: number, by: string): Transaction => [
    { parent: { priorVersion: v, label: 'counter', node: node('counter', by, (v + 1) % 256) }, children: [{ priorVersion: undefined, label: `counter/${by}${v}`, node: node(`counter/${by}${v}`) }] },
  ];
  let wins = 0;
  for (let v = 0; v < 30; v++) {
    const outcome = await Promise.all([a.applyTransaction(bump(v, 'a')), b.applyTransaction(bump(v, 'b'))]);
    if (outcome.filter(Boolean).length === 1) wins++;
  }
  t.equal(wins, 30, 'one of the two won every round');
  t.equal((await a.getNode('counter'))?.version.versionNumber, 30);
  t.equal((await a.queryNodes('counter/*')).length, 30, 'only the winners wrote their children');
});

t.test('close lets queued writes finish, then every call rejects CLOSED', async (t) => {
  const { backend, url } = await open(t);
  const pending = backend.upsertNode([node('last')]);
  await backend.close();
  t.equal(await pending, true);
  await backend.close();
  await t.rejects(backend.getNode('last'), { code: 'CLOSED' });
  await t.rejects(backend.upsertNode([node('x')]), { code: 'CLOSED' });
  await t.rejects(backend.deleteNode('last'), { code: 'CLOSED' });
  await t.rejects(backend.getJournal(0), { code: 'CLOSED' });
  await t.rejects(backend.processNotifications(), { code: 'CLOSED' });
  t.throws(() => backend.registerNodeListener('l', 'last', false, () => undefined), { code: 'CLOSED' });
  const reopened = await PostgresBackend.open({ connectionString: url });
  t.equal((await reopened.getNode('last'))?.description, 'last', 'the queued write was committed');
  await reopened.close();
});

t.test('a server restart keeps every node and the journal continues', async (t) => {
  const connectionString = await freshDatabase(server.url);
  const first = await PostgresBackend.open({ connectionString });
  const nodes = Array.from({ length: 50 }, (_, i) => node(`keep/n${i}`, `kept ${i}`));
  await first.upsertNode(nodes);
  await first.close();
  await server.restart();
  const second = await PostgresBackend.open({ connectionString });
  t.teardown(() => second.close());
  for (const n of nodes) t.ok((await second.getNode(n.labelRule))?.equals(n), `${n.labelRule} intact`);
  t.equal(await second.latestSequence(), 50);
  await second.upsertNode([node('keep/after')]);
  t.equal(await second.sequenceOf('keep/after'), 51, 'numbering continues');
});
