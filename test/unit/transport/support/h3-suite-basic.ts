/** Request/response behaviour of H3Connection over any QUIC pair. */
import { createHash } from 'node:crypto';
import type { Test } from 'tap';
import { H3_ERROR, H3Error } from '../../../../src/transport/h3/errors.js';
import type { H3Request } from '../../../../src/transport/h3/request.js';
import { SETTING } from '../../../../src/transport/h3/settings.js';
import { bytes, getRequest, h3Pair, rejection, within, type MakePair } from './h3-harness.js';

/** A server handler that echoes method, path and body. */
async function echo(req: H3Request): Promise<void> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of req.body) chunks.push(chunk);
  await req.respond([[':status', '200'], ['x-method', req.method], ['x-path', req.path ?? '']], { body: chunksOf(chunks) });
}

async function* chunksOf(chunks: Uint8Array[]): AsyncGenerator<Uint8Array> {
  yield* chunks;
}

function pattern(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
}

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

export interface BasicSuiteOptions {
  /** Size of the body streamed each way in the large-body test (default 8 MiB). */
  readonly largeBody?: number;
}

export function h3BasicSuite(t: Test, makePair: MakePair, options: BasicSuiteOptions = {}): void {
  t.test('GET with a small response; settings are exchanged', async (t) => {
    // Names are lowercased on the way out (RFC 9114 §4.2), so 'Content-Type' is fine here.
    const pair = await h3Pair(makePair, { onRequest: (req) => req.respond([[':status', '200'], ['Content-Type', 'text/plain']], { body: bytes('hello') }) });
    try {
      const res = await within(pair.client.request(getRequest('/hello')));
      t.equal(res.status, 200);
      t.equal(res.header('content-type'), 'text/plain');
      t.equal(await res.text(), 'hello');
      const serverSeen = await within(pair.server.peerSettingsReceived);
      const clientSeen = await within(pair.client.peerSettingsReceived);
      t.equal(clientSeen.qpackMaxTableCapacity, 0);
      t.equal(clientSeen.maxFieldSectionSize, 65536);
      t.equal(serverSeen.get(SETTING.QPACK_MAX_TABLE_CAPACITY), 0n, 'QPACK_MAX_TABLE_CAPACITY 0 is sent explicitly');
      t.equal(pair.client.peerSettings, clientSeen);
    } finally {
      await pair.close();
    }
  });

  t.test('bodies of many sizes round-trip', async (t) => {
    const pair = await h3Pair(makePair, { onRequest: echo });
    try {
      const largest = options.largeBody ?? 300_000;
      for (const size of [0, 1, 2, 100, 4095, 4096, 70_000, 300_000].filter((n) => n <= largest)) {
        const body = pattern(size, size);
        const res = await within(pair.client.request(getRequest('/echo', 'POST'), body), 20_000);
        t.equal(res.header('x-method'), 'POST');
        const back = await res.bytes();
        t.equal(back.length, size, `size ${size}`);
        t.equal(sha(back), sha(body));
      }
    } finally {
      await pair.close();
    }
  });

  t.test('a body written in many tiny DATA frames', async (t) => {
    const pair = await h3Pair(makePair, { onRequest: echo });
    try {
      const request = await pair.client.openRequest(getRequest('/tiny', 'PUT'));
      const sent: Uint8Array[] = [];
      for (let i = 0; i < 500; i++) {
        const piece = pattern(1 + (i % 3), i);
        sent.push(piece);
        void request.writer.write(piece); // fire and forget: order is kept
      }
      await request.writer.end();
      const res = await within(request.response);
      const expected = Buffer.concat(sent);
      t.same(Buffer.from(await res.bytes()), expected);
    } finally {
      await pair.close();
    }
  });

  t.test('many concurrent requests', async (t) => {
    const pair = await h3Pair(makePair, { onRequest: echo });
    try {
      const results = await within(Promise.all(Array.from({ length: 100 }, async (_, i) => {
        const res = await pair.client.request(getRequest(`/n/${i}`, 'POST'), bytes(`body ${i}`.repeat(i)));
        return [res.header('x-path'), await res.text()];
      })), 20_000);
      results.forEach(([path, body], i) => {
        if (path !== `/n/${i}` || body !== `body ${i}`.repeat(i)) t.fail(`request ${i}`);
      });
      t.pass('100 requests answered, each with its own body');
    } finally {
      await pair.close();
    }
  });

  t.test('large bodies stream both ways with backpressure', async (t) => {
    const size = options.largeBody ?? 8 * 1024 * 1024;
    const pair = await h3Pair(makePair, {
      onRequest: async (req) => {
        const hash = createHash('sha256');
        let n = 0;
        for await (const chunk of req.body) {
          hash.update(chunk);
          n += chunk.length;
        }
        await req.respond([[':status', '200'], ['x-received', String(n)], ['x-sha', hash.digest('hex')]], { endStream: false });
        for (let off = 0; off < size; off += 256 * 1024) await req.writer.write(pattern(256 * 1024, off));
        await req.writer.end();
      },
    });
    try {
      async function* upload(): AsyncGenerator<Uint8Array> {
        for (let off = 0; off < size; off += 100_000) yield pattern(Math.min(100_000, size - off), off);
      }
      const expected = createHash('sha256');
      for await (const piece of upload()) expected.update(piece);
      const res = await within(pair.client.request(getRequest('/big', 'POST'), upload()), 60_000);
      t.equal(res.header('x-received'), String(size));
      t.equal(res.header('x-sha'), expected.digest('hex'));
      let received = 0;
      for await (const chunk of res.body) received += chunk.length;
      t.equal(received, size);
    } finally {
      await pair.close();
    }
  });

  t.test('trailers both ways, streamed response, interim responses', async (t) => {
    const pair = await h3Pair(makePair, {
      onRequest: async (req) => {
        const body = await req.text();
        await req.informational([[':status', '103'], ['link', '</style.css>; rel=preload']]);
        await req.respond([[':status', '200']], { endStream: false });
        await req.writer.write(bytes(`got ${body}`));
        await req.writer.write(bytes(` checksum=${req.trailers?.find(([n]) => n === 'x-checksum')?.[1]}`));
        await req.writer.end([['x-done', 'yes']]);
      },
    });
    try {
      const request = await pair.client.openRequest(getRequest('/t', 'POST'));
      await request.writer.write(bytes('abc'));
      await request.writer.end([['x-checksum', '123']]);
      const res = await within(request.response);
      t.equal(res.status, 200, 'the 103 is skipped');
      t.equal(await res.text(), 'got abc checksum=123');
      t.same(res.trailers, [['x-done', 'yes']]);
    } finally {
      await pair.close();
    }
  });

  t.test('HEAD and 204 ignore content-length; a wrong content-length is H3_MESSAGE_ERROR', async (t) => {
    const pair = await h3Pair(makePair, {
      onRequest: async (req) => {
        if (req.method === 'HEAD') await req.respond([[':status', '200'], ['content-length', '1234']]);
        else if (req.path === '/none') await req.respond([[':status', '204'], ['content-length', '5']]);
        else await req.respond([[':status', '200'], ['content-length', '10']], { body: bytes('short') });
      },
    });
    try {
      const head = await within(pair.client.request(getRequest('/h', 'HEAD')));
      t.equal((await head.bytes()).length, 0);
      const none = await within(pair.client.request(getRequest('/none')));
      t.equal(none.status, 204);
      t.equal((await none.bytes()).length, 0);
      const res = await within(pair.client.request(getRequest('/wrong')));
      const err = await rejection(res.bytes());
      t.ok(H3Error.isH3(err, H3_ERROR.H3_MESSAGE_ERROR), 'the client rejects the body');
      const again = await within(pair.client.request(getRequest('/h', 'HEAD')));
      t.equal(again.status, 200, 'the connection keeps serving');
    } finally {
      await pair.close();
    }
  });

  t.test('handler failures and missing handlers reset only their stream', async (t) => {
    const pair = await h3Pair(makePair);
    try {
      const none = await rejection(within(pair.client.request(getRequest('/'))));
      t.ok(H3Error.isH3(none, H3_ERROR.H3_REQUEST_REJECTED), 'no handler: H3_REQUEST_REJECTED');
      pair.server.onRequest((req) => {
        if (req.path === '/throw') throw new Error('boom');
        return req.respond([[':status', '200']], { body: bytes('ok') });
      });
      const boom = await rejection(within(pair.client.request(getRequest('/throw'))));
      t.ok(H3Error.isH3(boom, H3_ERROR.H3_INTERNAL_ERROR), 'a throwing handler: H3_INTERNAL_ERROR');
      t.equal(await (await within(pair.client.request(getRequest('/fine')))).text(), 'ok');
    } finally {
      await pair.close();
    }
  });

  t.test('a cancelled request surfaces at the server as the peer\'s code', async (t) => {
    let serverSaw: unknown;
    let markReading!: () => void;
    let markDone!: () => void;
    const reading = new Promise<void>((resolve) => {
      markReading = resolve;
    });
    const done = new Promise<void>((resolve) => {
      markDone = resolve;
    });
    const pair = await h3Pair(makePair, {
      onRequest: async (req) => {
        markReading();
        try {
          for await (const _chunk of req.body) {
            // keep reading until the client gives up
          }
        } catch (err) {
          serverSaw = err;
        }
        markDone();
      },
    });
    try {
      const request = await pair.client.openRequest(getRequest('/upload', 'POST'));
      await request.writer.write(bytes('partial'));
      await within(reading);
      request.writer.reset(H3_ERROR.H3_REQUEST_CANCELLED);
      await within(done);
      t.ok(H3Error.isH3(serverSaw, H3_ERROR.H3_REQUEST_CANCELLED));
      t.equal((serverSaw as H3Error).remote, true);
    } finally {
      await pair.close();
    }
  });

  t.test('a peer that stops reading fails our writes with its code', async (t) => {
    const pair = await h3Pair(makePair, {
      onRequest: async (req) => {
        await req.respond([[':status', '200']], { body: bytes('early answer') });
        req.stream.stopSending(H3_ERROR.H3_NO_ERROR); // RFC 9114 §4.1: the rest of the request is not needed
      },
    });
    try {
      const request = await pair.client.openRequest(getRequest('/upload', 'POST'));
      const res = await within(request.response);
      t.equal(await res.text(), 'early answer');
      const err = await within(rejection((async () => {
        for (;;) {
          await request.writer.write(new Uint8Array(1000));
          await new Promise((r) => setTimeout(r, 1));
        }
      })()));
      t.ok(H3Error.isH3(err, H3_ERROR.H3_NO_ERROR), 'the write fails with the code of the STOP_SENDING');
      t.equal((err as H3Error).remote, true);
    } finally {
      await pair.close();
    }
  });

  t.test('requests fail cleanly when the connection dies', async (t) => {
    const pair = await h3Pair(makePair, { onRequest: () => new Promise(() => undefined) });
    const pending = pair.client.request(getRequest('/never'));
    await new Promise((r) => setTimeout(r, 20));
    await pair.quic.server.close({ app: true, code: H3_ERROR.H3_INTERNAL_ERROR, reason: 'test' });
    const err = await rejection(within(pending));
    t.ok(H3Error.isH3(err, H3_ERROR.H3_INTERNAL_ERROR), 'the peer\'s close code reaches the pending request');
    const after = await rejection(pair.client.request(getRequest('/late')));
    t.ok(after instanceof Error);
    await pair.close();
  });
}
