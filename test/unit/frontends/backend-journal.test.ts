import t, { type Test } from 'tap';
import type { JournalEntry } from '../../../src/backends/journal.js';
import { SqliteBackend } from '../../../src/backends/sqlite/index.js';
import { journalFor } from '../../../src/frontends/server/memory-journal.js';
import { WwatpSession } from '../../../src/frontends/server/session.js';
import { decodePayload, encodePayload } from '../../../src/transport/wwatp/payloads.js';
import { Signal } from '../../../src/transport/wwatp/signals.js';
import { textNode } from '../../support/sqlite-nodes.js';
import { tempDbPath } from '../../support/sqlite-temp.js';

/** A SqliteBackend with its getJournal calls counted, and the server's journal over it. */
async function served(t: Test, path = tempDbPath(t)) {
  const backend = await SqliteBackend.open({ path });
  t.teardown(() => backend.close());
  let reads = 0;
  const getJournal = backend.getJournal.bind(backend);
  backend.getJournal = (since, limit) => {
    reads++;
    return getJournal(since, limit);
  };
  const journal = journalFor(backend);
  t.teardown(() => journal.close());
  await journal.latestSequence(); // the journal learns where numbering stands
  const seen: JournalEntry[] = [];
  journal.onEntry((entry) => seen.push(entry));
  return { backend, journal, seen, path, reads: () => reads };
}

async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !done(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
}

t.test('writes through the backend reach the journal at commit, with no read-back', async (t) => {
  const { backend, journal, seen, reads } = await served(t);
  const order: string[] = [];
  await backend.upsertNode([textNode('a'), textNode('b')]);
  journal.onEntry((entry) => order.push(`entry ${entry.sequence}`));
  await backend.upsertNode([textNode('c')]).then(() => order.push('writer resumes'));
  await backend.deleteNode('a');
  t.same(seen.map((e) => [e.sequence, e.label, e.node === undefined]), [[1, 'a', false], [2, 'b', false], [3, 'c', false], [4, 'a', true]]);
  t.same(order.slice(0, 2), ['entry 3', 'writer resumes'], 'an entry is out before its writer resumes');
  t.equal(reads(), 0, 'the journal was not read');
});

t.test('a gap (another process wrote the file) is filled from the journal, in order', async (t) => {
  const { backend, seen, path, reads } = await served(t);
  await backend.upsertNode([textNode('a')]);
  const other = await SqliteBackend.open({ path });
  await other.upsertNode([textNode('b'), textNode('c')]);
  await other.close();
  await backend.upsertNode([textNode('d')]);
  await until(() => seen.length >= 4);
  t.same(seen.map((e) => [e.sequence, e.label]), [[1, 'a'], [2, 'b'], [3, 'c'], [4, 'd']], 'every entry once, in order');
  t.ok(reads() >= 1, 'the missing entries were read');
  await backend.upsertNode([textNode('e')]);
  t.same(seen.at(-1)?.sequence, 5, 'and the next write is handed over directly again');
});

t.test('a cacheless client\'s listener push names the write\'s sequence', async (t) => {
  const { backend, journal } = await served(t);
  const session = new WwatpSession(backend, journal);
  t.teardown(() => session.close());
  const pushes: Array<{ signal: number; payload: Record<string, unknown> }> = [];
  await session.subscribe(0, (signal, payload) => pushes.push({ signal, payload: decodePayload(payload) }), undefined, 0);
  await session.handle({ signal: Signal.REGISTER_LISTENER, requestId: 1, payload: encodePayload({ name: 'l', rule: 'x', childNotify: false }) });
  await backend.upsertNode([textNode('w')]);
  await backend.upsertNode([textNode('x')]);
  await until(() => pushes.some((p) => p.signal === Signal.PUSH_LISTENER));
  const push = pushes.find((p) => p.signal === Signal.PUSH_LISTENER);
  t.equal(push?.payload['label'], 'x');
  t.equal(push?.payload['latest'], 2, 'the push carries the sequence of the write it reports');
});
