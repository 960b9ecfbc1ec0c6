/**
 * A composite server mounting a remote tree over real QUIC: server R serves a
 * SimpleBackend; server C serves CompositeBackend(SimpleBackend) with R mounted at
 * `remote` through a WWATP client; a third client X talks only to C.
 *
 *   X ──QUIC──▶ C [Composite: root Simple, remote → Http3Client] ──QUIC──▶ R [Simple]
 */
import t from 'tap';
import { CompositeBackend } from '../../src/backends/composite-backend.js';
import { SimpleBackend } from '../../src/backends/simple-backend.js';
import { connect } from '../../src/frontends/client/connect.js';
import { Closer, client, eventLog, serve, textNode, textOf, within } from '../support/transport-env.js';

t.test('a client of a composite server reads, writes and watches a mounted remote tree', { timeout: 60_000 }, async (t) => {
  const closer = new Closer(t);
  const rStore = new SimpleBackend();
  await rStore.upsertNode([textNode('docs', 'docs on R'), textNode('docs/readme', 'hello from R')]);
  const r = await serve(t, closer, { backend: rStore });

  const cRoot = new SimpleBackend();
  const composite = new CompositeBackend(cRoot);
  const mount = await within(connect(r.url, { certificateHash: r.certificateHash }), 10_000, 'C connecting to R');
  closer.add('C\'s client of R', () => mount.close(), mount);
  await composite.mountBackend('remote', mount);
  await composite.upsertNode([textNode('local', 'lives on C')]);
  const c = await serve(t, closer, { backend: composite });
  const x = await client(closer, c);

  // Reads through C reach R, with labels prefixed by the mount.
  const readme = await within(x.getNode('remote/docs/readme'), 5000, 'X reads remote/docs/readme');
  t.equal(readme?.labelRule, 'remote/docs/readme', 'the label carries the mount prefix');
  t.equal(textOf(readme), 'hello from R', 'X reads R\'s node through C');
  t.equal(textOf(await x.getNode('local')), 'lives on C', 'X reads C\'s own node');
  const query = await within(x.queryNodes('remote/docs/*'), 5000, 'X queries the mount');
  t.same(query.map((n) => n.labelRule), ['remote/docs/readme'], 'queries reach into the mount');

  // X's listener on the mounted branch, registered through C.
  const onX = eventLog();
  x.registerNodeListener('x-watch', 'remote/docs', true, onX.listener);
  await x.heartbeat();

  // X writes under the mount: the write lands on R.
  await within(x.upsertNode([textNode('remote/docs/from-x', 'written by X')]), 5000, 'X writes through C');
  const onR = await rStore.getNode('docs/from-x');
  t.equal(onR?.labelRule, 'docs/from-x', 'R stores the node under its own label (no prefix)');
  t.equal(textOf(onR), 'written by X', 'the write is visible directly on R');
  t.equal(await cRoot.getNode('remote/docs/from-x'), undefined, 'nothing was written into C\'s root store');

  // A direct client of R sees it too.
  const direct = await client(closer, r);
  t.equal(textOf(await direct.getNode('docs/from-x')), 'written by X', 'a direct client of R reads X\'s write');

  // A write made on R itself reaches X's listener through C.
  await rStore.upsertNode([textNode('docs/from-r', 'written on R')]);
  await within(
    (async () => {
      while (!onX.events.includes('remote/docs/from-r=written on R')) {
        await x.processNotifications();
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })(),
    10_000,
    'X\'s listener seeing R\'s write',
  );
  t.ok(onX.events.includes('remote/docs/from-x=written by X'), 'X\'s listener saw its own write come back through C');
  t.ok(onX.events.includes('remote/docs/from-r=written on R'), 'X\'s listener saw the write made on R, with C\'s label');
  t.equal(textOf(await x.getNode('remote/docs/from-r')), 'written on R', 'X reads R\'s new node through C');

  // A write by R's direct client, and a delete on R: both reach X.
  await within(direct.upsertNode([textNode('docs/from-direct', 'written by R\'s client')]), 5000, 'direct write on R');
  t.equal(await rStore.deleteNode('docs/from-r'), true, 'R deletes docs/from-r');
  await within(
    (async () => {
      while (!onX.events.includes('remote/docs/from-r=<deleted>') || !onX.events.includes('remote/docs/from-direct=written by R\'s client')) {
        await x.processNotifications();
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })(),
    10_000,
    'X\'s listener seeing the direct write and the delete',
  );
  t.pass('X saw the direct client\'s write and R\'s delete');
  t.equal(await x.getNode('remote/docs/from-r'), undefined, 'X\'s view (cache included) lost the deleted node');

  // C's journal recorded the remote changes, so X's cache follows them too.
  t.ok(x.lastSequence >= 4, `X's journal sequence advanced with remote changes (${x.lastSequence})`);
});
