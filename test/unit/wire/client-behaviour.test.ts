import t from 'tap';
import { SimpleBackend } from '../../../src/backends/simple-backend.js';
import { Http3ClientBackend } from '../../../src/backends/http3-client/http3-client-backend.js';
import { TreeNode } from '../../../src/tree/tree-node.js';
import { ChunkReader, encodeMessage } from '../../../src/transport/wwatp/chunk-codec.js';
import { MessageAssembler } from '../../../src/transport/wwatp/message-assembler.js';
import { decodePayload, encodePayload } from '../../../src/transport/wwatp/payloads.js';
import { Signal } from '../../../src/transport/wwatp/signals.js';
import { memoryServer, type MemoryServer } from '../../support/memory-wire.js';
import type { ByteStream } from '../../../src/transport/wwatp/byte-stream.js';

const node = (label: string, description = label): TreeNode => new TreeNode({ labelRule: label, description });

async function until(check: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A cacheless client of `server` whose streams are opened through `wrap` (to count, hold or cut them). */
function clientOver(server: MemoryServer, wrap: (open: () => Promise<ByteStream>) => Promise<ByteStream>): Promise<Http3ClientBackend> {
  return Http3ClientBackend.open({
    connect: async () => {
      const c = await server.connect();
      return { ...c, closed: c.closed, close: () => c.close(), openStream: () => wrap(() => c.openStream()) };
    },
    cacheSize: 0,
  });
}

t.test('requests made together travel as one batch, down the connection\'s one request stream', async (t) => {
  const server = memoryServer(new SimpleBackend());
  let streams = 0;
  let writes = 0;
  const client = await clientOver(server, async (open) => {
    streams++;
    const s = await open();
    return { write: (b: Uint8Array) => (writes++, s.write(b)), end: () => s.end(), abort: (r?: unknown) => s.abort(r), readable: s.readable };
  });
  await client.upsertNode(Array.from({ length: 100 }, (_, i) => node(`n/${i}`)));
  const before = { streams, writes };
  const found = await Promise.all(Array.from({ length: 1000 }, (_, i) => client.getNode(`n/${i % 100}`)));
  t.equal(found.filter(Boolean).length, 1000);
  t.equal(streams - before.streams, 0, 'no new stream: the request stream stays open');
  t.ok(writes - before.writes <= 2, `1000 gets went out packed in ${writes - before.writes} write(s)`);
  await client.upsertNode([node('n/0', 'again')]);
  t.equal(streams - before.streams, 0, 'a later batch goes down the same stream');
  const big = new TreeNode({ labelRule: 'big' });
  big.insertProperty('data', 'bytes', new Uint8Array(300 * 1024));
  const [bigDone, small] = await Promise.all([client.upsertNode([big]).then(() => client.getNode('n/1')), Promise.resolve().then(() => client.getNode('n/2'))]);
  t.equal(bigDone?.labelRule, 'n/1');
  t.equal(small?.labelRule, 'n/2');
  t.equal(streams - before.streams, 1, 'a batch over 256 KiB got a stream of its own');
  await client.close();
  server.close();
});

t.test('a bad request fails alone; the rest of its batch is answered', async (t) => {
  const server = memoryServer(new SimpleBackend());
  const client = await Http3ClientBackend.open({ connect: () => server.connect() });
  await client.upsertNode([node('ok')]);
  const results = await Promise.allSettled([client.getNode('ok'), client.queryNodes('a//b'), client.getNode('ok')]);
  t.same(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
  t.match((results[1] as PromiseRejectedResult).reason, { code: 'INVALID_RULE' });
  await client.close();
  server.close();
});

t.test('a malformed stream gets ERROR replies and the connection keeps serving', async (t) => {
  const server = memoryServer(new SimpleBackend());
  const raw = await server.connect();
  const read = async (stream: Awaited<ReturnType<typeof raw.openStream>>): Promise<Array<{ signal: number; body: Record<string, unknown> }>> => {
    const reader = new ChunkReader();
    const assembler = new MessageAssembler(1 << 20);
    const out = [];
    for await (const bytes of stream.readable) for (const c of reader.push(bytes)) {
      const m = assembler.add(c);
      if (m) out.push({ signal: m.signal, body: decodePayload(m.payload) });
    }
    return out;
  };
  const bad = await raw.openStream();
  await bad.write(Uint8Array.of(0x07, 0x01, 0x80, 0x00)); // flags with unknown bits
  await bad.end();
  const badReplies = await read(bad);
  t.equal(badReplies[0]?.signal, Signal.ERROR);
  t.equal(badReplies[0]?.body['code'], 'PROTOCOL');
  const cbor = await raw.openStream();
  for (const c of encodeMessage(Signal.GET_NODE, 9, Uint8Array.of(0xff, 0x00, 0x13))) await cbor.write(c);
  for (const c of encodeMessage(Signal.GET_NODE, 10, encodePayload({ label: 42 }))) await cbor.write(c);
  for (const c of encodeMessage(0x6f, 11, encodePayload({}))) await cbor.write(c);
  await cbor.end();
  const replies = await read(cbor);
  t.same(replies.map((r) => r.body['code']), ['MALFORMED', 'MALFORMED', 'PROTOCOL']);
  const client = await Http3ClientBackend.open({ connect: () => server.connect() });
  await client.upsertNode([node('still', 'serving')]);
  t.equal((await client.getNode('still'))?.description, 'serving');
  await client.close();
  await raw.close();
  server.close();
});

t.test('after a dropped connection the client reconnects and resumes from its last sequence', async (t) => {
  const server = memoryServer(new SimpleBackend());
  const states: string[] = [];
  const watcher = await Http3ClientBackend.open({ connect: () => server.connect(), onState: (s) => states.push(s) });
  const writer = await Http3ClientBackend.open({ connect: () => server.connect() });
  const seen: string[] = [];
  watcher.registerNodeListener('w', 'x', true, (_b, label, n) => seen.push(`${label}=${n?.description ?? 'deleted'}`));
  await writer.upsertNode([node('x/a', 'one')]);
  await watcher.processNotifications();
  t.equal((await watcher.getNode('x/a'))?.description, 'one', 'cached');
  server.refuse = true;
  server.drop();
  await until(() => states.includes('reconnecting'));
  server.refuse = false;
  const second = await Http3ClientBackend.open({ connect: () => server.connect() });
  await second.upsertNode([node('x/a', 'two'), node('x/b', 'three')]);
  await watcher.whenConnected();
  await until(() => watcher.lastSequence >= 3);
  t.equal((await watcher.getNode('x/a'))?.description, 'two', 'the cache caught up from the journal');
  await writer.close().catch(() => undefined);
  await second.upsertNode([node('x/c', 'four')]);
  await watcher.processNotifications();
  t.ok(seen.includes('x/c=four'), 'listeners are registered again after reconnecting');
  await watcher.close();
  await second.close();
  server.close();
});

t.test('when the journal no longer reaches back, the client drops its cache and resyncs', async (t) => {
  const server = memoryServer(new SimpleBackend(), { journalCapacity: 5 });
  const client = await Http3ClientBackend.open({ connect: () => server.connect() });
  const other = await Http3ClientBackend.open({ connect: () => server.connect() });
  await other.upsertNode([node('k', 'old')]);
  await client.processNotifications();
  t.equal((await client.getNode('k'))?.description, 'old');
  server.refuse = true;
  server.drop();
  server.refuse = false;
  const writer = await Http3ClientBackend.open({ connect: () => server.connect() });
  for (let i = 0; i < 20; i++) await writer.upsertNode([node(`filler/${i}`)]);
  await writer.upsertNode([node('k', 'new')]);
  await client.whenConnected();
  t.equal((await client.getNode('k'))?.description, 'new', 'stale cache dropped after resync');
  const journal = await client.getJournal(0);
  t.equal(journal.kind, 'resync', 'the server says plainly that history is gone');
  await client.close();
  await other.close().catch(() => undefined);
  await writer.close();
  server.close();
});

t.test('calls after close reject with CLOSED', async (t) => {
  const server = memoryServer(new SimpleBackend());
  const client = await Http3ClientBackend.open({ connect: () => server.connect() });
  await client.close();
  await t.rejects(client.getNode('a'), { code: 'CLOSED' });
  server.close();
});

t.test('a server that restarted without a durable journal is a new history: the client resyncs', async (t) => {
  let current = memoryServer(new SimpleBackend());
  const states: string[] = [];
  const client = await Http3ClientBackend.open({ connect: () => current.connect(), onState: (s) => states.push(s) });
  const first = await Http3ClientBackend.open({ connect: () => current.connect() });
  for (let i = 0; i < 5; i++) await first.upsertNode([node(`old/${i}`)]);
  await first.upsertNode([node('k', 'old')]);
  await client.processNotifications();
  t.equal((await client.getNode('k'))?.description, 'old', 'cached');
  const seen = client.lastSequence;
  await first.close();
  const old = current;
  current = memoryServer(new SimpleBackend());
  const writer = await Http3ClientBackend.open({ connect: () => current.connect() });
  // k changes early in the new history, at a sequence the client believes it has seen;
  // the numbering then passes the client's, so only the epoch tells the histories apart.
  await writer.upsertNode([node('k', 'new')]);
  for (let i = 0; i <= seen + 2; i++) await writer.upsertNode([node(`pad/${i}`)]);
  old.drop();
  await until(() => states.includes('reconnecting') && states.at(-1) === 'connected');
  await client.whenConnected();
  t.equal((await client.getNode('k'))?.description, 'new', 'the stale cache was dropped');
  await client.close();
  await writer.close();
  old.close();
  current.close();
});

/** A connection whose streams count the bytes the client reads. */
function counting(server: ReturnType<typeof memoryServer>, tally: { bytes: number; streams: number }) {
  return async () => {
    const c = await server.connect();
    return {
      ...c,
      closed: c.closed,
      close: () => c.close(),
      openStream: async () => {
        tally.streams++;
        const s = await c.openStream();
        const readable = (async function* () {
          for await (const bytes of s.readable) {
            tally.bytes += bytes.length;
            yield bytes;
          }
        })();
        return { write: (b: Uint8Array) => s.write(b), end: () => s.end(), abort: (r?: unknown) => s.abort(r), readable };
      },
    };
  };
}

/** A node whose contents are `bytes` long (a 4-byte length, then `fill` bytes). */
function sized(label: string, bytes: number, fill: number): TreeNode {
  const n = new TreeNode({ labelRule: label, description: label });
  n.insertProperty('data', 'bytes', new Uint8Array(bytes - 4).fill(fill));
  return n;
}

t.test('journal pushes carry small nodes to cached clients and withhold big ones', async (t) => {
  const server = memoryServer(new SimpleBackend(), { maxContentBytes: 4 << 20 });
  const tally = { bytes: 0, streams: 0 };
  const reader = await Http3ClientBackend.open({ connect: counting(server, tally), maxContentBytes: 4 << 20 });
  const writer = await Http3ClientBackend.open({ connect: () => server.connect(), maxContentBytes: 4 << 20 });

  await writer.upsertNode([sized('small', 1000, 1)]);
  await reader.processNotifications();
  let bytes = tally.bytes;
  t.equal((await reader.getNode('small'))?.contentSize, 1000);
  t.equal(tally.bytes, bytes, 'a small node came with its push: served from the cache');

  const big = 1 << 20;
  await writer.upsertNode([sized('big', 1000, 2)]);
  t.equal((await reader.getNode('big'))?.contentSize, 1000, 'cached while small');
  await reader.processNotifications();
  bytes = tally.bytes;
  await writer.upsertNode([sized('big', big, 3)]);
  await reader.processNotifications();
  t.ok(tally.bytes - bytes < 64 * 1024, `the big node was withheld from the push (${tally.bytes - bytes} bytes read)`);
  bytes = tally.bytes;
  const fresh = await reader.getNode('big');
  t.equal(fresh?.contentSize, big, 'the stale copy was evicted: the next get fetched the new node');
  t.equal(fresh?.propertyData[4], 3);
  t.ok(tally.bytes - bytes >= big, 'and the node travelled once, on request');
  await reader.close();
  await writer.close();
  server.close();
});

t.test('a client without a cache asks for no nodes in journal pushes', async (t) => {
  const server = memoryServer(new SimpleBackend());
  const tally = { bytes: 0, streams: 0 };
  const reader = await Http3ClientBackend.open({ connect: counting(server, tally), cacheSize: 0 });
  const writer = await Http3ClientBackend.open({ connect: () => server.connect() });
  await reader.processNotifications();
  const bytes = tally.bytes;
  await writer.upsertNode([sized('mid', 8000, 4)]);
  await reader.processNotifications();
  t.ok(tally.bytes - bytes < 2000, `an 8,000-byte node was not pushed (${tally.bytes - bytes} bytes read)`);
  t.equal(reader.lastSequence, 1, 'the sequence still moved on');
  t.equal((await reader.getNode('mid'))?.propertyData[4], 4);
  await reader.close();
  await writer.close();
  server.close();
});

t.test('a withheld change made while away reaches listeners with the node fetched', async (t) => {
  const server = memoryServer(new SimpleBackend(), { maxContentBytes: 4 << 20 });
  const states: string[] = [];
  const watcher = await Http3ClientBackend.open({ connect: () => server.connect(), onState: (s) => states.push(s), maxContentBytes: 4 << 20 });
  const seen: Array<[string, number | undefined]> = [];
  watcher.registerNodeListener('w', 'y', true, (_b, label, n) => seen.push([label, n?.contentSize]));
  await watcher.processNotifications();
  server.refuse = true;
  server.drop();
  await until(() => states.includes('reconnecting'));
  server.refuse = false;
  const writer = await Http3ClientBackend.open({ connect: () => server.connect(), maxContentBytes: 4 << 20 });
  await writer.upsertNode([sized('y/big', 1 << 20, 5), sized('y/small', 10, 6)]);
  await watcher.whenConnected();
  await until(() => seen.length >= 2);
  t.same(seen, [['y/big', 1 << 20], ['y/small', 10]], 'in journal order, the big node fetched');
  await watcher.close();
  await writer.close();
  server.close();
});

/** A real SimpleBackend whose writes take `delayMs` and which counts writes in progress. */
class SlowWrites extends SimpleBackend {
  inProgress = 0;
  most = 0;
  constructor(readonly delayMs: number) {
    super();
  }
  override async upsertNode(nodes: readonly TreeNode[]): Promise<boolean> {
    this.most = Math.max(this.most, ++this.inProgress);
    try {
      await new Promise((r) => setTimeout(r, this.delayMs));
      return await super.upsertNode(nodes);
    } finally {
      this.inProgress--;
    }
  }
}

t.test('writes in one batch run together; a read waits for the writes before it', async (t) => {
  const backend = new SlowWrites(20);
  const server = memoryServer(backend);
  const client = await Http3ClientBackend.open({ connect: () => server.connect(), cacheSize: 0 });
  const started = Date.now();
  const writes = Array.from({ length: 50 }, (_, i) => client.upsertNode([node(`w/${i}`, `v${i}`)]));
  const read = client.getNode('w/49');
  t.same(await Promise.all(writes), Array(50).fill(true));
  t.equal((await read)?.description, 'v49', 'the get after the upserts sees them');
  t.ok(backend.most > 1, `writes overlapped (at most ${backend.most} at once), so a durable backend can commit them together`);
  t.ok(Date.now() - started < 50 * 20, 'and did not take one delay each');
  await client.close();
  server.close();
});

t.test('writes to one label keep their order; a listener registered first sees the write after it', async (t) => {
  const backend = new SlowWrites(5);
  const server = memoryServer(backend);
  const client = await Http3ClientBackend.open({ connect: () => server.connect(), cacheSize: 0 });
  const seen: string[] = [];
  client.registerNodeListener('l', 'same', false, (_b, _l, n) => seen.push(n?.description ?? 'deleted'));
  const results = await Promise.all(['a', 'b', 'c', 'd'].map((d) => client.upsertNode([node('same', d)])));
  t.same(results, [true, true, true, true]);
  t.equal((await client.getNode('same'))?.description, 'd', 'the last write in the batch wins');
  await client.processNotifications();
  t.same(seen, ['a', 'b', 'c', 'd']);
  await client.close();
  server.close();
});

class OrderLog extends SimpleBackend {
  readonly order: string[] = [];
  override async upsertNode(nodes: readonly TreeNode[]): Promise<boolean> {
    for (const n of nodes) this.order.push(n.description);
    return super.upsertNode(nodes);
  }
}

t.test('batches made while a new request stream is opening keep their order with the ones after it', async (t) => {
  const backend = new OrderLog();
  const server = memoryServer(backend);
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  let gated = false;
  const cuts: Array<() => void> = [];
  const client = await clientOver(server, async (open) => {
    const s = await open();
    if (gated) await gate; // the replacement request stream opens when the loop says so
    let cut!: () => void;
    const cutOff = new Promise<'cut'>((resolve) => (cut = () => resolve('cut')));
    cuts.push(cut);
    // A fault injected on purpose: cut() fails this stream's reading side.
    async function* readable(): AsyncGenerator<Uint8Array> {
      const it = s.readable[Symbol.asyncIterator]();
      for (;;) {
        const next = await Promise.race([it.next(), cutOff]);
        if (next === 'cut') throw new Error('cut');
        if (next.done) return;
        yield next.value;
      }
    }
    return { write: (b: Uint8Array) => s.write(b), end: () => s.end(), abort: (r?: unknown) => s.abort(r), readable: readable() };
  });
  // The first stream opened is the request stream (open() sends a heartbeat on it): cut it,
  // so the next batch has to open another, which waits for the gate.
  gated = true;
  cuts[0]?.();
  await new Promise((resolve) => setTimeout(resolve, 10));
  // One batch per microtask; the new stream opens after the 20th, while the earlier ones wait.
  const done: Array<Promise<boolean>> = [];
  for (let i = 0; i < 200; i++) {
    done.push(client.upsertNode([node('ordered', String(i))]));
    if (i === 20) open();
    await Promise.resolve();
  }
  await Promise.all(done);
  t.same(backend.order, Array.from({ length: 200 }, (_, i) => String(i)), 'the server took them in the order they were made');
  t.equal((await client.getNode('ordered'))?.description, '199');
  await client.close();
  server.close();
});
