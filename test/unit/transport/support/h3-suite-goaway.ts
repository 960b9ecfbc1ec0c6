/** GOAWAY in both directions, graceful shutdown, and the hooks extensions build on. */
import type { Test } from 'tap';
import { H3Connection } from '../../../../src/transport/h3/connection.js';
import { H3_ERROR, H3Error } from '../../../../src/transport/h3/errors.js';
import { encodeGoawayFrame } from '../../../../src/transport/h3/frames.js';
import type { H3Request } from '../../../../src/transport/h3/request.js';
import { collect } from '../../../../src/transport/h3/request.js';
import { SETTING } from '../../../../src/transport/h3/settings.js';
import { concatBytes } from '../../../../src/transport/bytes.js';
import type { QuicBidiStream } from '../../../../src/transport/quic/types.js';
import { decodeVarint, encodeVarint } from '../../../../src/transport/varint.js';
import {
  bytes, closedWithin, closeBoth, getRequest, h3Pair, headersFrame, RawPeer, readRawResponse, rejection, settingsFrame, text, within, type MakePair,
} from './h3-harness.js';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

export function h3GoawaySuite(t: Test, makePair: MakePair): void {
  t.test('server GOAWAY: requests in flight finish, later ones are refused', async (t) => {
    const release = deferred();
    const held: H3Request[] = [];
    const allHeld = deferred();
    const pair = await h3Pair(makePair, {
      onRequest: async (req) => {
        held.push(req);
        if (held.length === 3) allHeld.resolve();
        await release.promise;
        await req.respond([[':status', '200']], { body: bytes(req.path ?? '') });
      },
    });
    try {
      let goawayId: number | undefined;
      pair.client.onGoaway = (id) => {
        goawayId = id;
      };
      const inFlight = [0, 1, 2].map((i) => pair.client.request(getRequest(`/r${i}`)));
      await within(allHeld.promise);
      const maxId = Math.max(...held.map((r) => r.stream.id));
      await pair.server.goaway();
      await within((async () => {
        while (goawayId === undefined) await new Promise((r) => setTimeout(r, 2));
      })());
      t.equal(goawayId, maxId + 4, 'GOAWAY names the first stream not processed');
      const refused = await rejection(pair.client.request(getRequest('/late')));
      t.ok(H3Error.isH3(refused, H3_ERROR.H3_REQUEST_REJECTED), 'the client opens no new request');
      const raw = await within(new RawPeer(pair.quic.client).exchange(headersFrame(getRequest('/sneaky'))));
      t.equal(raw.resetCode, H3_ERROR.H3_REQUEST_REJECTED, 'a request past the GOAWAY id is refused unprocessed');
      release.resolve();
      const bodies = await within(Promise.all(inFlight.map(async (p) => (await p).text())));
      t.same(bodies, ['/r0', '/r1', '/r2']);
    } finally {
      await pair.close();
    }
  });

  t.test('client: a GOAWAY below a pending request rejects it as retryable', async (t) => {
    const quic = await makePair();
    const client = new H3Connection(quic.client, { role: 'client' });
    const raw = new RawPeer(quic.server);
    const streams: QuicBidiStream[] = [];
    const two = deferred();
    quic.server.onStream = (stream) => {
      if (stream.kind !== 'bidi') return;
      streams.push(stream);
      if (streams.length === 2) two.resolve();
    };
    await client.start();
    try {
      const first = client.request(getRequest('/a'));
      const second = client.request(getRequest('/b'));
      await within(two.promise);
      const low = Math.min(...streams.map((s) => s.id));
      await raw.handshake(concatBytes([settingsFrame([[0x6, 1000]]), encodeGoawayFrame(low + 4)]));
      const err = await rejection(within(second));
      t.ok(H3Error.isH3(err, H3_ERROR.H3_REQUEST_REJECTED), 'the request the server never processed');
      t.equal((err as H3Error).remote, true);
      const lowStream = streams.find((s) => s.id === low) as QuicBidiStream;
      await lowStream.write(headersFrame([[':status', '200']]));
      await lowStream.end();
      t.equal((await within(first)).status, 200, 'the processed request still completes');
    } finally {
      await closeBoth(quic);
    }
  });

  t.test('a server GOAWAY before any request names stream 0', async (t) => {
    const pair = await h3Pair(makePair, { onRequest: (req) => req.respond([[':status', '204']]) });
    try {
      let goawayId: number | undefined;
      pair.client.onGoaway = (id) => {
        goawayId = id;
      };
      await pair.server.goaway();
      await within((async () => {
        while (goawayId === undefined) await new Promise((r) => setTimeout(r, 2));
      })());
      t.equal(goawayId, 0, 'no request was processed (3 would not even be a request stream)');
      t.ok(H3Error.isH3(await rejection(pair.client.request(getRequest('/'))), H3_ERROR.H3_REQUEST_REJECTED));
    } finally {
      await pair.close();
    }
  });

  t.test('shutdown drains requests in flight, then closes with H3_NO_ERROR', async (t) => {
    const started = deferred();
    const pair = await h3Pair(makePair, {
      onRequest: async (req) => {
        started.resolve();
        await new Promise((r) => setTimeout(r, 30));
        await req.respond([[':status', '200']], { body: bytes('done') });
      },
    });
    try {
      const pending = pair.client.request(getRequest('/slow'));
      await within(started.promise); // in flight on the server
      const shutdown = pair.server.shutdown({ timeoutMs: 5000, lingerMs: 200 });
      t.equal(await (await within(pending)).text(), 'done');
      await within(shutdown);
      const info = await closedWithin(pair.quic.client);
      t.same({ app: info.app, code: info.code }, { app: true, code: H3_ERROR.H3_NO_ERROR });
    } finally {
      await pair.close();
    }
  });

  t.test('client GOAWAY reaches the server and stops new requests', async (t) => {
    const pair = await h3Pair(makePair, { onRequest: (req) => req.respond([[':status', '204']]) });
    try {
      const got = new Promise<number>((resolve) => {
        pair.server.onGoaway = resolve;
      });
      t.equal((await within(pair.client.request(getRequest('/')))).status, 204);
      await pair.client.goaway();
      t.equal(await within(got), 0, 'push id 0: we accept no pushes');
      t.ok(H3Error.isH3(await rejection(pair.client.request(getRequest('/'))), H3_ERROR.H3_REQUEST_REJECTED));
    } finally {
      await pair.close();
    }
  });

  t.test('extension hooks: uni and bidi stream types, settings, extended CONNECT', async (t) => {
    const uniSeen = deferred();
    let uniPayload: Uint8Array = new Uint8Array(0);
    let connectStreamId = -1;
    const pair = await h3Pair(makePair, {
      enableConnectProtocol: true,
      settings: [[SETTING.H3_DATAGRAM, 1], [SETTING.ENABLE_WEBTRANSPORT, 1]],
      onRequest: async (req) => {
        t.equal(req.protocol, 'webtransport');
        connectStreamId = req.stream.id;
        await req.respond([[':status', '200'], ['sec-webtransport-http3-draft', 'draft02']], { endStream: false });
        await req.writer.write(bytes('session open'));
        for await (const _chunk of req.body) {
          // the session lives until the client ends the CONNECT stream
        }
        await req.writer.end();
      },
    });
    try {
      pair.server.onUniStream(0x54, (stream) => {
        void collect(stream).then((b) => {
          uniPayload = b;
          uniSeen.resolve();
        });
      });
      pair.server.onBidiStream(0x41, (stream) => {
        void (async () => {
          const got = await collect(stream);
          await stream.write(concatBytes([bytes('pong:'), got]));
          await stream.end();
        })();
      });
      const peer = await within(pair.client.peerSettingsReceived);
      t.ok(peer.enableConnectProtocol && peer.h3Datagram && peer.enableWebTransport, 'the WebTransport settings arrive');

      const res = await within(pair.client.request([
        [':method', 'CONNECT'], [':protocol', 'webtransport'], [':scheme', 'https'], [':authority', 'localhost'], [':path', '/wt'],
      ], undefined, { endStream: false }));
      t.equal(res.status, 200);
      t.equal(res.stream.id, connectStreamId, 'both sides see the CONNECT stream itself');
      let opening = '';
      while (opening.length < 'session open'.length) {
        const next = await within(res.body.next());
        if (next.done === true) break;
        opening += text(next.value);
      }
      t.equal(opening, 'session open', 'DATA on the CONNECT stream while it stays open');
      const sessionId = encodeVarint(res.stream.id);

      const uni = await pair.client.openUniStream(0x54);
      await uni.write(concatBytes([sessionId, bytes('datagram-ish')]));
      await uni.end();
      await within(uniSeen.promise);
      t.equal(decodeVarint(uniPayload)?.value, res.stream.id, 'the uni handler starts right after the type');
      t.equal(text(uniPayload.subarray(sessionId.length)), 'datagram-ish');

      const bidi = await pair.client.openBidiStream(0x41);
      await bidi.write(concatBytes([sessionId, bytes('ping')]));
      await bidi.end();
      const back = await within(collect(bidi));
      t.equal(text(back.subarray(0, 5)), 'pong:');
      t.equal(decodeVarint(back, 5)?.value, res.stream.id);
      t.equal(text(back.subarray(5 + sessionId.length)), 'ping');

      const serverBidi = deferred();
      pair.client.onBidiStream(0x41, (stream) => {
        void collect(stream).then((b) => {
          t.equal(text(b), 'from the server');
          serverBidi.resolve();
        });
      });
      const fromServer = await pair.server.openBidiStream(0x41);
      await fromServer.write(bytes('from the server'));
      await fromServer.end();
      await within(serverBidi.promise);
    } finally {
      await pair.close();
    }
  });

  t.test(':protocol is refused locally unless the server enabled extended CONNECT', async (t) => {
    const pair = await h3Pair(makePair, { onRequest: (req) => req.respond([[':status', '200']]) });
    try {
      const err = await rejection(within(pair.client.request([
        [':method', 'CONNECT'], [':protocol', 'webtransport'], [':scheme', 'https'], [':authority', 'h'], [':path', '/'],
      ])));
      t.ok(H3Error.isH3(err, H3_ERROR.H3_MESSAGE_ERROR));
      t.equal((await within(pair.client.request(getRequest('/')))).status, 200);
    } finally {
      await pair.close();
    }
  });

  t.test('raw responses can be read by hand (harness sanity)', async (t) => {
    const pair = await h3Pair(makePair, { onRequest: (req) => req.respond([[':status', '200']], { body: bytes('x') }) });
    try {
      const stream = pair.quic.client.openBidiStream();
      await stream.write(headersFrame(getRequest('/')));
      await stream.end();
      const res = await within(readRawResponse(stream));
      t.same(res.headers, [[[':status', '200']]]);
    } finally {
      await pair.close();
    }
  });
}
