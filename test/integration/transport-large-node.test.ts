/**
 * A 32 MiB node round trip over real QUIC: one `bytes` property of 32 MiB, with
 * maxContentBytes 64 MiB on the server, its store and the clients. The bytes are checked by SHA-256
 * and byte for byte on the server's store, on a second client that reads over the wire
 * (no cache), and on the writer's cache, which the push stream also refreshes.
 */
import t from 'tap';
import { SimpleBackend } from '../../src/backends/simple-backend.js';
import type { TreeNode } from '../../src/tree/tree-node.js';
import { blobNode, Closer, client, patternBytes, serve, sha256, within } from '../support/transport-env.js';

const MiB = 1024 * 1024;
const SIZE = 32 * MiB;
const LIMIT = 64 * MiB;

function dataOf(node: TreeNode | undefined): Uint8Array {
  const value = node?.getProperty('data');
  if (!(value instanceof Uint8Array)) throw new Error(`no bytes property on ${node?.labelRule ?? 'a missing node'}`);
  return value;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

t.test('a 32 MiB node survives the round trip intact', { timeout: 60_000 }, async (t) => {
  const closer = new Closer(t);
  // The store has a content limit of its own (16 MiB by default): raise it too.
  const store = new SimpleBackend({ maxContentBytes: LIMIT });
  const server = await serve(t, closer, { backend: store, maxContentBytes: LIMIT });
  const writer = await client(closer, server, { maxContentBytes: LIMIT });
  const reader = await client(closer, server, { maxContentBytes: LIMIT, cacheSize: 0 });

  const expected = patternBytes(SIZE, 32);
  const digest = sha256(expected);
  const node = blobNode('big/blob', SIZE, 32, 'thirty-two mebibytes');

  let started = Date.now();
  t.equal(await within(writer.upsertNode([node]), 40_000, 'upserting 32 MiB'), true, 'the upsert was acknowledged');
  const upMs = Date.now() - started;

  const stored = await store.getNode('big/blob');
  t.equal(dataOf(stored).length, SIZE, 'the server stored 32 MiB');
  t.equal(sha256(dataOf(stored)), digest, 'the stored bytes hash the same as the written ones');

  started = Date.now();
  const read = await within(reader.getNode('big/blob'), 40_000, 'reading 32 MiB');
  const downMs = Date.now() - started;
  t.ok(read, 'the second client read the node');
  t.equal(read?.description, 'thirty-two mebibytes', 'description intact');
  t.equal(read?.getProperty('text'), 'big/blob#32', 'the small property next to it intact');
  t.equal(sha256(dataOf(read)), digest, 'the bytes read over the wire hash the same');
  t.ok(sameBytes(dataOf(read), expected), 'and match byte for byte');
  t.ok(read?.equals(node), 'the whole node equals the one written');

  // The writer's cached copy (what it wrote, then what the push stream delivered).
  await within(writer.processNotifications(), 40_000, 'writer processNotifications');
  t.equal(sha256(dataOf(await writer.getNode('big/blob'))), digest, 'the writer\'s view hashes the same');
  t.comment(`32 MiB up in ${upMs} ms (${((SIZE * 8) / upMs / 1000).toFixed(0)} Mbit/s), down in ${downMs} ms (${((SIZE * 8) / downMs / 1000).toFixed(0)} Mbit/s)`);
});

t.test('over the limits: a node larger than maxContentBytes is refused with TOO_LARGE', { timeout: 60_000 }, async (t) => {
  const closer = new Closer(t);
  const server = await serve(t, closer, { backend: new SimpleBackend(), maxContentBytes: 4 * MiB });
  const writer = await client(closer, server, { maxContentBytes: 64 * MiB });
  // 6 MiB of contents: over the server's 4 MiB (+1 MiB) message bound.
  await t.rejects(within(writer.upsertNode([blobNode('too/big', 6 * MiB, 6)]), 20_000, 'oversized upsert'), { code: 'TOO_LARGE' });
  // The connection is still good after the failed stream.
  t.equal(await writer.upsertNode([blobNode('fits', 1 * MiB, 1)]), true, 'a node within the limit is still accepted');
  t.equal(await writer.heartbeat(), 1, 'only the fitting node was journaled');
});
