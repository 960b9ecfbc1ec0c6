/**
 * 1% packet loss in each direction, through a seeded lossy UDP proxy between the clients
 * and the server: 2000 upserts of varied sizes (some 1 MiB) and 2000 reads all arrive
 * intact, in bounded time. QUIC's loss recovery has to do all the work: the WWATP layer
 * above it sees reliable ordered streams.
 */
import t from 'tap';
import { SimpleBackend } from '../../src/backends/simple-backend.js';
import type { TreeNode } from '../../src/tree/tree-node.js';
import { blobNode, Closer, client, prng, serve, sha256, within } from '../support/transport-env.js';
import { UdpProxy } from '../support/udp-proxy.js';

const COUNT = 2000;
/** Requests in flight at once. */
const WAVE = 100;
const MiB = 1024 * 1024;

/** Sizes: every 400th node 1 MiB (5), every 20th 64 KiB (100), the rest 0..4 KiB: about 15 MiB. */
function sizeOf(i: number, rand: () => number): number {
  if (i % 400 === 7) return MiB;
  if (i % 20 === 3) return 64 * 1024;
  return Math.floor(rand() * 4096);
}

/** Runs `jobs` in waves of WAVE: in each wave half go out batched on one stream, half on their own streams. */
async function inWaves<T>(jobs: (() => Promise<T>)[]): Promise<T[]> {
  const out: T[] = [];
  for (let at = 0; at < jobs.length; at += WAVE) {
    const wave = jobs.slice(at, at + WAVE).map((job, k) => (k % 2 === 0 ? job() : new Promise<T>((resolve, reject) => setImmediate(() => job().then(resolve, reject)))));
    out.push(...(await Promise.all(wave)));
  }
  return out;
}

const digestOf = (node: TreeNode | undefined): string => {
  const data = node?.getProperty('data');
  return data instanceof Uint8Array ? sha256(data) : 'no data';
};

t.test(`${COUNT} upserts and reads of varied sizes through 1% loss`, { timeout: 90_000 }, async (t) => {
  const closer = new Closer(t);
  const store = new SimpleBackend();
  const server = await serve(t, closer, { backend: store });
  const proxy = await UdpProxy.start({ target: { host: '127.0.0.1', port: server.port }, lossToServer: 0.01, lossToClient: 0.01, delayMs: 1, seed: 2024 });
  closer.add('lossy proxy', () => proxy.close(), proxy);
  const through = { url: proxy.url, certificateHash: server.certificateHash };
  const started = Date.now();
  const writer = await client(closer, through, { reconnect: false });

  const rand = prng(77);
  const nodes = Array.from({ length: COUNT }, (_, i) => blobNode(`lossy/${i % 40}/n${i}`, sizeOf(i, rand), i));
  const digests = nodes.map(digestOf);
  const totalBytes = nodes.reduce((sum, n) => sum + n.contentSize, 0);

  const acks = await within(inWaves(nodes.map((n) => () => writer.upsertNode([n]))), 50_000, `${COUNT} upserts through the lossy proxy`);
  const wroteMs = Date.now() - started;
  t.equal(acks.filter((ok) => ok === true).length, COUNT, `all ${COUNT} upserts acknowledged (${(totalBytes / MiB).toFixed(1)} MiB in ${wroteMs} ms)`);

  const stored = await Promise.all(nodes.map((n) => store.getNode(n.labelRule)));
  const storedBad = stored.filter((s, i) => !s?.equals(nodes[i] as TreeNode)).length;
  t.equal(storedBad, 0, 'every node arrived at the server intact');

  // A second client, connected through the same proxy once the writes are in, reads
  // everything back over the wire (no cache).
  const reader = await client(closer, through, { reconnect: false, cacheSize: 0 });
  const reads = await within(inWaves(nodes.map((n) => () => reader.getNode(n.labelRule))), 50_000, `${COUNT} reads through the lossy proxy`);
  const readBad = reads.map((r, i) => (r?.equals(nodes[i] as TreeNode) && digestOf(r) === digests[i] ? 0 : 1)).reduce((a: number, b) => a + b, 0);
  t.equal(readBad, 0, `every node read back intact (${Date.now() - started} ms in all)`);

  // The push streams made it through too: both clients caught up with the journal.
  await within(Promise.all([writer.processNotifications(), reader.processNotifications()]), 20_000, 'processNotifications');
  t.equal(writer.lastSequence, COUNT, 'the writer\'s push stream delivered every journal entry');
  t.equal(reader.lastSequence, COUNT, 'the reader is at the latest journal sequence too');

  const stats = proxy.stats;
  t.ok(stats.toServer.dropped > 0 && stats.toClient.dropped > 0, `the proxy dropped datagrams both ways (to server ${stats.toServer.dropped}/${stats.toServer.forwarded + stats.toServer.dropped}, to client ${stats.toClient.dropped}/${stats.toClient.forwarded + stats.toClient.dropped})`);
  const rate = (d: { dropped: number; forwarded: number }): number => d.dropped / (d.dropped + d.forwarded);
  t.ok(rate(stats.toServer) > 0.005 && rate(stats.toServer) < 0.02 && rate(stats.toClient) > 0.005 && rate(stats.toClient) < 0.02, 'at about 1% each way');
  t.equal(stats.clients, 2, 'one upstream socket per client');
  t.ok(Date.now() - started < 60_000, `done in ${Date.now() - started} ms (< 60 s)`);
});

t.test('the proxy itself: seeded drops, delay, and a cut path that heals', { timeout: 90_000 }, async (t) => {
  const closer = new Closer(t);
  const server = await serve(t, closer, { backend: new SimpleBackend() });
  const proxy = await UdpProxy.start({ target: { host: '127.0.0.1', port: server.port }, delayMs: 20, seed: 9 });
  closer.add('proxy', () => proxy.close(), proxy);
  const c = await client(closer, { url: proxy.url, certificateHash: server.certificateHash }, { reconnect: false });
  let started = Date.now();
  await c.heartbeat();
  t.ok(Date.now() - started >= 40, `a round trip takes at least two delays (${Date.now() - started} ms)`);

  // Cut the path for a moment: the request waits, QUIC retransmits, it completes once healed.
  proxy.setLoss(1);
  started = Date.now();
  const pending = c.upsertNode([blobNode('cut/x', 10_000, 1)]);
  await new Promise((resolve) => setTimeout(resolve, 300));
  proxy.setLoss(0);
  t.equal(await within(pending, 20_000, 'upsert across a healed cut'), true, `the upsert completed after the path healed (${Date.now() - started} ms)`);
  t.ok(proxy.stats.toServer.dropped > 0, 'packets were dropped while the path was cut');
});
