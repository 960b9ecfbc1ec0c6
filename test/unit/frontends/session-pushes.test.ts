import t from 'tap';
import { SimpleBackend } from '../../../src/backends/simple-backend.js';
import { journalFor } from '../../../src/frontends/server/memory-journal.js';
import { WwatpSession } from '../../../src/frontends/server/session.js';
import { TreeNode } from '../../../src/tree/tree-node.js';
import { decodePayload, encodePayload, field, journalEntriesFromWire } from '../../../src/transport/wwatp/payloads.js';
import { Signal } from '../../../src/transport/wwatp/signals.js';

const limits = { maxContentBytes: 1 << 20 };

async function setup() {
  const backend = new SimpleBackend();
  const journal = journalFor(backend);
  const sessions = [new WwatpSession(backend, journal), new WwatpSession(backend, journal)];
  const pushes = sessions.map(() => [] as Array<{ signal: number; payload: Uint8Array }>);
  for (const [i, s] of sessions.entries()) await s.subscribe(0, (signal, payload) => pushes[i]?.push({ signal, payload }));
  for (const p of pushes) p.length = 0; // the subscription's first push
  return { backend, sessions, pushes };
}

const request = (signal: number, body: Record<string, unknown>, requestId = 1) => ({ signal, requestId, payload: encodePayload(body) });

t.test('the entries of one write go out as one journal push, the same bytes for every session', async (t) => {
  const { backend, pushes } = await setup();
  await backend.upsertNode(['a', 'b', 'c'].map((l) => new TreeNode({ labelRule: l, description: l })));
  await Promise.resolve();
  t.same(pushes.map((p) => p.map((x) => x.signal)), [[Signal.PUSH_JOURNAL], [Signal.PUSH_JOURNAL]]);
  const entries = journalEntriesFromWire(decodePayload(pushes[0]?.[0]?.payload as Uint8Array)['entries'], limits);
  t.same(entries.map((e) => [e.sequence, e.label, e.node?.description]), [[1, 'a', 'a'], [2, 'b', 'b'], [3, 'c', 'c']]);
  t.equal(pushes[0]?.[0]?.payload, pushes[1]?.[0]?.payload, 'encoded once, shared');
});

t.test('a listener push carries the node, and pushes keep the order they were caused in', async (t) => {
  const { backend, sessions, pushes } = await setup();
  const [first] = sessions;
  await first?.handle(request(Signal.REGISTER_LISTENER, { name: 'l', rule: 'x', childNotify: false }));
  const node = new TreeNode({ labelRule: 'x', description: 'spliced' });
  node.insertProperty('n', 'int64', 42n);
  await backend.upsertNode([node]);
  // The marker is caused after the write: it must not overtake the write's journal push.
  await first?.handle(request(Signal.PROCESS_NOTIFICATION, { token: 7 }));
  const signals = pushes[0]?.map((p) => p.signal);
  t.same([...(signals ?? [])].sort(), [Signal.PUSH_JOURNAL, Signal.PUSH_LISTENER, Signal.PUSH_MARKER].sort(), 'one push of each kind');
  t.ok((signals?.indexOf(Signal.PUSH_JOURNAL) ?? 9) < (signals?.indexOf(Signal.PUSH_MARKER) ?? -1), 'the journal push before the marker');
  const listener = decodePayload(pushes[0]?.find((p) => p.signal === Signal.PUSH_LISTENER)?.payload as Uint8Array);
  t.same([listener['name'], listener['rule'], listener['label']], ['l', 'x', 'x']);
  const got = field.maybeNode(listener, 'node', limits);
  t.equal(got?.description, 'spliced');
  t.equal(got?.getProperty('n'), 42n);
  t.same(pushes[1]?.map((p) => p.signal), [Signal.PUSH_JOURNAL], 'the other session registered no listener');
});

/** A session on a fresh backend with a cacheless subscription (bodies: 0); pushes decoded, the first one dropped. */
async function cachelessSession(): Promise<{ backend: SimpleBackend; session: WwatpSession; pushes: Array<{ signal: number; body: Record<string, unknown> }> }> {
  const backend = new SimpleBackend();
  const session = new WwatpSession(backend, journalFor(backend));
  const pushes: Array<{ signal: number; body: Record<string, unknown> }> = [];
  await session.subscribe(0, (signal, payload) => pushes.push({ signal, body: decodePayload(payload) }), undefined, 0);
  pushes.length = 0;
  return { backend, session, pushes };
}

t.test('a cacheless subscription gets the latest sequence, not a push per write', async (t) => {
  const { backend, session, pushes } = await cachelessSession();
  for (let i = 0; i < 50; i++) await backend.upsertNode([new TreeNode({ labelRule: `w${i}` })]);
  t.same(pushes, [], 'nothing yet: no packet per write');
  await new Promise((r) => setTimeout(r, 250));
  t.same(pushes, [{ signal: Signal.PUSH_JOURNAL, body: { entries: [], latest: 50 } }], 'then one push with the latest sequence');
  await backend.upsertNode([new TreeNode({ labelRule: 'w50' })]);
  await session.handle(request(Signal.PROCESS_NOTIFICATION, { token: 1 }));
  t.same(pushes.slice(1).map((p) => [p.signal, p.body['latest']]), [[Signal.PUSH_JOURNAL, 51], [Signal.PUSH_MARKER, undefined]], 'and before any other push');
  session.close();
});

t.test('to a cacheless subscription, a listener push carries the latest sequence itself', async (t) => {
  const { backend, session, pushes } = await cachelessSession();
  await session.handle(request(Signal.REGISTER_LISTENER, { name: 'w', rule: 'x', childNotify: false }));
  await backend.upsertNode([new TreeNode({ labelRule: 'x', description: 'one' })]);
  await Promise.resolve();
  t.same(pushes.map((p) => [p.signal, p.body['latest']]), [[Signal.PUSH_LISTENER, 1]], 'one push, not a journal push and a listener push');
  await new Promise((r) => setTimeout(r, 250));
  t.equal(pushes.length, 1, 'and no journal push later for what it already said');
  session.close();
});
