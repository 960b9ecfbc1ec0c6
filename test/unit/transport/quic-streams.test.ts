import t, { type Test } from 'tap';
import { createDevCertificate } from '../../../src/transport/certs/index.js';
import { connectQuic, listenQuic, type QuicConnection, type QuicIncomingStream, type QuicUniSendStream } from '../../../src/transport/quic/index.js';
import { QuicheConnection } from '../../../src/transport/quic/connection.js';

const dev = await createDevCertificate();
const ALPN = ['wwatp-test'];
const enc = new TextEncoder();
const dec = new TextDecoder();

/** A server whose connections run `onConnection`, and a client connected to it. */
async function pair(t: Test, onConnection: (c: QuicConnection) => void): Promise<QuicConnection> {
  const server = await listenQuic({ cert: dev.cert, key: dev.key, alpn: ALPN, onConnection });
  t.teardown(() => server.close());
  const client = await connectQuic({ ...server.address, alpn: ALPN, certificateHash: dev.sha256 });
  t.teardown(() => client.close());
  return client;
}

async function readAll(s: AsyncIterable<Uint8Array>): Promise<string> {
  const parts: Uint8Array[] = [];
  for await (const p of s) parts.push(p);
  return dec.decode(Buffer.concat(parts));
}

function echo(c: QuicConnection): void {
  c.onStream = async (s) => {
    if (s.kind !== 'bidi') return;
    for await (const chunk of s) await s.write(chunk);
    await s.end();
  };
}

t.test('echo on a bidirectional stream; ids count up from 0 by 4', { timeout: 15_000 }, async (t) => {
  const c = await pair(t, echo);
  for (const [i, text] of ['hello', 'world', ''].entries()) {
    const s = c.openBidiStream();
    t.equal(s.id, i * 4);
    t.equal(s.kind, 'bidi');
    if (text) await s.write(enc.encode(text));
    await s.end();
    t.equal(await readAll(s), text);
    t.equal(await s.read(), undefined, 'read after FIN stays at the end');
  }
  const empty = c.openBidiStream();
  await empty.end();
  t.equal(await readAll(empty), '', 'a stream ended at once echoes nothing');
});

t.test('write after end is refused', { timeout: 15_000 }, async (t) => {
  const c = await pair(t, echo);
  const s = c.openBidiStream();
  await s.end();
  await t.rejects(s.write(enc.encode('late')), { code: 'CLOSED' });
});

t.test('1000 concurrent streams on one connection', { timeout: 60_000 }, async (t) => {
  const c = await pair(t, echo);
  const results = await Promise.all(
    Array.from({ length: 1000 }, async (_, i) => {
      const s = c.openBidiStream();
      await s.write(enc.encode(`message ${i} `.repeat(20)));
      await s.end();
      return (await readAll(s)) === `message ${i} `.repeat(20);
    }),
  );
  t.equal(results.filter(Boolean).length, 1000);
});

t.test('unidirectional streams both ways; server-opened bidi stream', { timeout: 15_000 }, async (t) => {
  let serverGot!: (text: string) => void;
  const atServer = new Promise<string>((r) => (serverGot = r));
  let serverDone!: () => void;
  const serverFinished = new Promise<void>((r) => (serverDone = r));
  const c = await pair(t, (sc) => {
    sc.onStream = async (s) => {
      if (s.kind !== 'uni-recv') return;
      t.equal(s.id % 4, 2, 'client-initiated uni ids end in 2');
      serverGot(await readAll(s));
      const back = sc.openUniStream();
      t.equal(back.id, 3, 'the first server-initiated uni stream is 3');
      await back.write(enc.encode('uni from server'));
      await back.end();
      const bidi = sc.openBidiStream();
      t.equal(bidi.id, 1, 'the first server-initiated bidi stream is 1');
      await bidi.write(enc.encode('ping'));
      await bidi.end();
      t.equal(await readAll(bidi), 'pong');
      serverDone();
    };
  });
  const incoming: QuicIncomingStream[] = [];
  let more!: () => void;
  let wanted = 2;
  const gotBoth = new Promise<void>((r) => (more = r));
  c.onStream = (s) => {
    incoming.push(s);
    if (--wanted === 0) more();
  };
  const up = c.openUniStream();
  t.equal(up.kind, 'uni-send');
  t.equal(up.id, 2);
  await up.write(enc.encode('uni from client'));
  await up.end();
  t.equal(await atServer, 'uni from client');
  await gotBoth;
  const uni = incoming.find((s) => s.kind === 'uni-recv');
  const bidi = incoming.find((s) => s.kind === 'bidi');
  t.ok(uni && bidi);
  if (!uni || !bidi || bidi.kind !== 'bidi') return;
  t.equal(await readAll(uni), 'uni from server');
  t.equal(await readAll(bidi), 'ping');
  await bidi.write(enc.encode('pong'));
  await bidi.end();
  await serverFinished;
});

t.test('a reset reaches the reader as PROTOCOL with the application code', { timeout: 15_000 }, async (t) => {
  let result!: (r: { reading: Promise<string> }) => void;
  const outcome = new Promise<{ reading: Promise<string> }>((r) => (result = r));
  const c = await pair(t, (sc) => {
    sc.onStream = (s) => result({ reading: readAll(s) });
  });
  const s = c.openBidiStream();
  await s.write(enc.encode('some bytes first'));
  const { reading } = await outcome;
  s.reset(0x10c);
  await t.rejects(reading, { code: 'PROTOCOL', applicationCode: 0x10c, message: /reset by the peer/ });
  await t.rejects(s.write(enc.encode('after reset')), { code: 'CLOSED' });
});

t.test('stopSending reaches the writer as PROTOCOL with the application code', { timeout: 15_000 }, async (t) => {
  const c = await pair(t, (sc) => {
    sc.onStream = async (s) => {
      await s.read();
      s.stopSending(0x42);
    };
  });
  const s = c.openBidiStream();
  const chunk = new Uint8Array(64 * 1024);
  const err = await (async () => {
    try {
      for (let i = 0; i < 10_000; i++) await s.write(chunk);
    } catch (e) {
      return e;
    }
    return undefined;
  })();
  t.match(err, { code: 'PROTOCOL', applicationCode: 0x42, message: /stopped by the peer/ });
});

t.test('a stream opened before onStream is set is delivered once it is', { timeout: 15_000 }, async (t) => {
  let serverConn!: (c: QuicConnection) => void;
  const gotConn = new Promise<QuicConnection>((r) => (serverConn = r));
  const c = await pair(t, (sc) => serverConn(sc));
  const sc = await gotConn;
  // Nobody listens on the server yet; its connection buffers the stream.
  const s = c.openBidiStream();
  await s.write(enc.encode('early'));
  await s.end();
  await new Promise((r) => setTimeout(r, 100));
  const got = await new Promise<string>((resolve) => {
    sc.onStream = (incoming) => void readAll(incoming).then(resolve);
  });
  t.equal(got, 'early');
});

t.test('breaking out of for-await stops the peer from sending', { timeout: 15_000 }, async (t) => {
  let writerError!: (e: unknown) => void;
  const stopped = new Promise<unknown>((r) => (writerError = r));
  const c = await pair(t, (sc) => {
    sc.onStream = async (s) => {
      if (s.kind !== 'bidi') return;
      try {
        for (;;) await s.write(new Uint8Array(16 * 1024));
      } catch (e) {
        writerError(e);
      }
    };
  });
  const s = c.openBidiStream();
  await s.write(enc.encode('go'));
  let chunks = 0;
  for await (const _ of s) if (++chunks === 3) break;
  t.match(await stopped, { code: 'PROTOCOL', applicationCode: 0 });
});

t.test('a FIN that waits for its data to be acknowledged costs a PING and a packet, not one per turn', { timeout: 15_000 }, async (t) => {
  // The FIN after data already on the wire waits about an RTT (StreamWriter.sendFin).
  // While it waited, the writer used to be retried after every flush, each retry
  // queuing a PING: hundreds of packets for one FIN, and an RTT estimate that grew
  // under them so the wait kept moving away.
  const ended: Array<() => void> = [];
  const c = await pair(t, (sc) => {
    sc.onStream = (s) => void readAll(s).then(() => ended.shift()?.());
  });
  t.ok(c instanceof QuicheConnection);
  const quic = c as QuicheConnection;
  for (let round = 0; round < 5; round++) {
    const s = c.openBidiStream();
    await s.write(enc.encode('data first'));
    await new Promise((r) => setImmediate(r)); // the data leaves: the FIN must wait now
    const before = quic.stats().sentBytes;
    const seen = new Promise<void>((r) => ended.push(r));
    await s.end();
    await seen;
    const spent = quic.stats().sentBytes - before;
    t.ok(spent < 400, `round ${round}: the FIN took ${spent} bytes on the wire`);
  }
});

t.test('ACKs are delayed: a packet at a time costs the receiver about one ACK per two, and answers carry theirs', { timeout: 15_000 }, async (t) => {
  let serverSide!: QuicheConnection;
  let opened!: (s: QuicUniSendStream) => void;
  const pushStream = new Promise<QuicUniSendStream>((resolve) => (opened = resolve));
  const client = (await pair(t, (sc) => {
    serverSide = sc as QuicheConnection;
    opened(sc.openUniStream());
  })) as QuicheConnection;
  const push = await pushStream;
  let received = 0;
  client.onStream = (s) => void (async () => {
    for await (const chunk of s) received += chunk.length;
  })().catch(() => undefined); // the connection closes under it at the end
  const MESSAGES = 40;
  await push.write(enc.encode('x'));
  await new Promise((r) => setTimeout(r, 30));
  const before = client.stats().sentPackets;
  // One small message every 2 ms: each arrives alone, well inside the ACK delay.
  for (let i = 0; i < MESSAGES; i++) {
    await push.write(enc.encode('x'));
    await new Promise((r) => setTimeout(r, 2));
  }
  await new Promise((r) => setTimeout(r, 40)); // the last ACK's delay runs out
  const acks = client.stats().sentPackets - before;
  t.equal(received, MESSAGES + 1, 'every message arrived');
  t.ok(acks <= MESSAGES * 0.7, `the client sent ${acks} packets for ${MESSAGES} received (immediate ACKs would be ${MESSAGES})`);
  t.ok(acks >= 1, 'but it does acknowledge');
  t.ok(serverSide.stats().lost === 0, 'and the server declared nothing lost waiting for them');

  // Request and answer: the ACK for the request rides with the answer.
  const echo = new Promise<void>((resolve) => {
    serverSide.onStream = async (s) => {
      if (s.kind !== 'bidi') return;
      for await (const chunk of s) await s.write(chunk);
      await s.end();
      resolve();
    };
  });
  const serverBefore = serverSide.stats().sentPackets;
  const s = client.openBidiStream();
  await s.write(enc.encode('ping'));
  await s.end();
  t.equal(await readAll(s), 'ping');
  await echo;
  t.ok(serverSide.stats().sentPackets - serverBefore <= 3, `the server answered in ${serverSide.stats().sentPackets - serverBefore} packets (answer, FIN, no ACK of its own)`);
});

t.test('sendNow puts what a stream wrote on the wire at once, not at the end of the turn', { timeout: 15_000 }, async (t) => {
  // The server only reads: nothing comes back that the client would have to acknowledge.
  let received!: (text: string) => void;
  const got = new Promise<string>((r) => (received = r));
  const client = (await pair(t, (sc) => {
    sc.onStream = (s) => void readAll(s).then(received);
  })) as QuicheConnection;
  const s = client.openBidiStream();
  await s.write(enc.encode('first')); // opens the stream; its packet leaves in this turn's flush
  await new Promise((r) => setTimeout(r, 30));
  const before = client.stats().sentPackets;
  await s.write(enc.encode('pushed'));
  t.equal(client.stats().sentPackets, before, 'a write alone waits for the turn');
  s.sendNow?.();
  t.equal(client.stats().sentPackets, before + 1, 'sendNow sent it right away');
  await new Promise((r) => setImmediate(r));
  t.equal(client.stats().sentPackets, before + 1, "the turn's flush found nothing more to send");
  await s.end();
  t.equal(await got, 'firstpushed', 'and the peer got both, in order');
});
