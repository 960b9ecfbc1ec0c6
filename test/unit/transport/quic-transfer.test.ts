import { createHash, randomBytes } from 'node:crypto';
import t from 'tap';
import { createDevCertificate } from '../../../src/transport/certs/index.js';
import { connectQuic, listenQuic, type QuicBidiStream } from '../../../src/transport/quic/index.js';

const dev = await createDevCertificate();
const ALPN = ['wwatp-test'];
const MiB = 1024 * 1024;

t.test('64 MiB on one stream: intact, and the sender never holds more than a chunk', { timeout: 120_000 }, async (t) => {
  let received!: (r: { digest: string; bytes: number; maxQueued: number }) => void;
  const done = new Promise<{ digest: string; bytes: number; maxQueued: number }>((r) => (received = r));
  const server = await listenQuic({
    cert: dev.cert,
    key: dev.key,
    alpn: ALPN,
    onConnection: (c) => {
      c.onStream = async (s) => {
        const h = createHash('sha256');
        let bytes = 0;
        let maxQueued = 0;
        for await (const chunk of s) {
          h.update(chunk);
          bytes += chunk.length;
          maxQueued = Math.max(maxQueued, (s as QuicBidiStream & { readableLength: number }).readableLength);
        }
        received({ digest: h.digest('hex'), bytes, maxQueued });
      };
    },
  });
  t.teardown(() => server.close());
  const c = await connectQuic({ ...server.address, alpn: ALPN, certificateHash: dev.sha256 });
  t.teardown(() => c.close());

  const total = 64 * MiB;
  const chunk = 256 * 1024;
  const source = randomBytes(4 * MiB); // cycled, so the data is not all the same
  const h = createHash('sha256');
  const s = c.openBidiStream() as QuicBidiStream & { bufferedAmount: number };
  let maxBuffered = 0;
  const started = Date.now();
  for (let sent = 0; sent < total; sent += chunk) {
    const part = source.subarray(sent % source.length, (sent % source.length) + chunk);
    h.update(part);
    const writing = s.write(part);
    maxBuffered = Math.max(maxBuffered, s.bufferedAmount);
    await writing;
  }
  await s.end();
  const result = await done;
  const seconds = (Date.now() - started) / 1000;
  t.equal(result.bytes, total, 'every byte arrived');
  t.equal(result.digest, h.digest('hex'), 'SHA-256 matches');
  t.ok(maxBuffered <= chunk, `the sender never had more than one chunk waiting in JS (max ${maxBuffered} bytes)`);
  t.ok(result.maxQueued <= 2 * MiB, `the reader's queue stayed bounded (max ${result.maxQueued} bytes)`);
  t.comment(`64 MiB in ${seconds.toFixed(2)} s (${((total * 8) / seconds / 1e6).toFixed(0)} Mbit/s)`);
});

t.test('a writer that does not await is still bounded by what it queued itself', { timeout: 60_000 }, async (t) => {
  let release!: () => void;
  const readerGo = new Promise<void>((r) => (release = r));
  let got!: (n: number) => void;
  const total = new Promise<number>((r) => (got = r));
  const server = await listenQuic({
    cert: dev.cert,
    key: dev.key,
    alpn: ALPN,
    onConnection: (c) => {
      c.onStream = async (s) => {
        await readerGo; // the reader is slow to start: flow control must push back
        let n = 0;
        for await (const part of s) n += part.length;
        got(n);
      };
    },
  });
  t.teardown(() => server.close());
  const c = await connectQuic({ ...server.address, alpn: ALPN, insecure: true });
  t.teardown(() => c.close());
  const s = c.openBidiStream() as QuicBidiStream & { bufferedAmount: number };
  const part = new Uint8Array(MiB);
  const writes = Array.from({ length: 32 }, () => s.write(part));
  await new Promise((r) => setTimeout(r, 300));
  // quiche holds at most the peer's flow-control window; the rest waits in JS, visibly.
  t.ok(s.bufferedAmount >= 32 * MiB - 20 * MiB, `unsent bytes are accounted (${s.bufferedAmount})`);
  release();
  await Promise.all(writes);
  await s.end();
  t.equal(await total, 32 * MiB);
  t.equal(s.bufferedAmount, 0);
});
