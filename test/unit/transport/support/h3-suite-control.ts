/**
 * Critical streams: what each side must send, what it must reject (connection errors with
 * the RFC's code) and what it must ignore (GREASE, unknown frames, settings and streams).
 * One side runs H3Connection, the other is a RawPeer writing bytes by hand.
 */
import type { Test } from 'tap';
import { H3Connection } from '../../../../src/transport/h3/connection.js';
import { H3_ERROR, h3ErrorName } from '../../../../src/transport/h3/errors.js';
import { FrameReader } from '../../../../src/transport/h3/frame-reader.js';
import { encodeFrame, encodeGoawayFrame, encodeMaxPushIdFrame, FRAME } from '../../../../src/transport/h3/frames.js';
import { parseSettingsPayload } from '../../../../src/transport/h3/settings.js';
import { concatBytes } from '../../../../src/transport/bytes.js';
import { quicErrorCode } from '../../../../src/transport/h3/stream-util.js';
import type { QuicIncomingStream } from '../../../../src/transport/quic/types.js';
import { encodeVarint } from '../../../../src/transport/varint.js';
import { bytes, closedWithin, closeBoth, getRequest, headersFrame, RawPeer, rejection, settingsFrame, within, type MakePair } from './h3-harness.js';

const SETTINGS = settingsFrame([[0x1, 0], [0x6, 65536]]);
const frame = (type: number, payload: number[] = []): Uint8Array => encodeFrame(type, new Uint8Array(payload));

type RawAction = (raw: RawPeer) => Promise<unknown>;

/**
 * Waits until the other side surely read `stream`'s type: a RESET_STREAM arriving first
 * may discard it, and a stream reset before its type is legitimately ignored (RFC 9114
 * §6.2). A request sent afterwards and answered proves the earlier bytes were processed.
 */
async function settled<T>(raw: RawPeer, stream: T): Promise<T> {
  await raw.exchange(headersFrame(getRequest('/')));
  // The exchange does not prove that the critical streams' own bytes arrived: a packet
  // carrying a stream's type byte may have been lost and await retransmission, and a
  // reset stops that, leaving the server a stream of unknown type it must ignore (RFC
  // 9114 §6.2). A retransmission comes within a PTO (about 30 ms on loopback).
  await new Promise((resolve) => setTimeout(resolve, 100));
  return stream;
}

/** Things a client may do wrong on its critical streams, and the code the server must close with. */
const SERVER_REJECTS: [string, RawAction, number][] = [
  ['control stream not starting with SETTINGS', (r) => r.handshake(encodeGoawayFrame(0)), H3_ERROR.H3_MISSING_SETTINGS],
  ['a reserved frame before SETTINGS', (r) => r.handshake(concatBytes([frame(0x21, [1]), SETTINGS])), H3_ERROR.H3_MISSING_SETTINGS],
  ['SETTINGS twice', (r) => r.handshake(concatBytes([SETTINGS, SETTINGS])), H3_ERROR.H3_FRAME_UNEXPECTED],
  ['DATA on the control stream', (r) => r.handshake(concatBytes([SETTINGS, frame(FRAME.DATA, [1])])), H3_ERROR.H3_FRAME_UNEXPECTED],
  ['HEADERS on the control stream', (r) => r.handshake(concatBytes([SETTINGS, headersFrame([[':status', '200']])])), H3_ERROR.H3_FRAME_UNEXPECTED],
  ['PUSH_PROMISE on the control stream', (r) => r.handshake(concatBytes([SETTINGS, frame(FRAME.PUSH_PROMISE, [0, 0, 0])])), H3_ERROR.H3_FRAME_UNEXPECTED],
  ['HTTP/2 WINDOW_UPDATE frame', (r) => r.handshake(concatBytes([SETTINGS, frame(0x8, [0, 0, 0, 1])])), H3_ERROR.H3_FRAME_UNEXPECTED],
  ['a duplicate setting', (r) => r.handshake(settingsFrame([[0x6, 100], [0x6, 100]])), H3_ERROR.H3_SETTINGS_ERROR],
  ['an HTTP/2 setting', (r) => r.handshake(settingsFrame([[0x4, 65535]])), H3_ERROR.H3_SETTINGS_ERROR],
  ['H3_DATAGRAM = 2', (r) => r.handshake(settingsFrame([[0x33, 2]])), H3_ERROR.H3_SETTINGS_ERROR],
  ['SETTINGS ending mid-setting', (r) => r.handshake(frame(FRAME.SETTINGS, [0x06])), H3_ERROR.H3_FRAME_ERROR],
  ['an oversized SETTINGS frame', (r) => r.handshake(encodeFrame(FRAME.SETTINGS, new Uint8Array(20_000).fill(0x21))), H3_ERROR.H3_EXCESSIVE_LOAD],
  ['GOAWAY with a trailing byte', (r) => r.handshake(concatBytes([SETTINGS, frame(FRAME.GOAWAY, [4, 0])])), H3_ERROR.H3_FRAME_ERROR],
  ['GOAWAY push id rising', (r) => r.handshake(concatBytes([SETTINGS, encodeGoawayFrame(10), encodeGoawayFrame(20)])), H3_ERROR.H3_ID_ERROR],
  ['MAX_PUSH_ID falling', (r) => r.handshake(concatBytes([SETTINGS, encodeMaxPushIdFrame(9), encodeMaxPushIdFrame(3)])), H3_ERROR.H3_ID_ERROR],
  ['CANCEL_PUSH for a push never promised', (r) => r.handshake(concatBytes([SETTINGS, frame(FRAME.CANCEL_PUSH, [0])])), H3_ERROR.H3_ID_ERROR],
  ['closing the control stream', async (r) => (await r.handshake()).end(), H3_ERROR.H3_CLOSED_CRITICAL_STREAM],
  ['resetting the control stream', async (r) => (await settled(r, await r.handshake())).reset(0x101), H3_ERROR.H3_CLOSED_CRITICAL_STREAM],
  ['a second control stream', async (r) => { await r.handshake(); await r.uni(0x00, SETTINGS); }, H3_ERROR.H3_STREAM_CREATION_ERROR],
  ['a second QPACK encoder stream', async (r) => { await r.handshake(); await r.uni(0x02); }, H3_ERROR.H3_STREAM_CREATION_ERROR],
  ['closing the QPACK encoder stream', async (r) => { await r.uni(0x00, SETTINGS); await r.uni(0x02, undefined, true); }, H3_ERROR.H3_CLOSED_CRITICAL_STREAM],
  ['resetting the QPACK decoder stream', async (r) => { await r.uni(0x00, SETTINGS); (await settled(r, await r.uni(0x03))).reset(0x100); }, H3_ERROR.H3_CLOSED_CRITICAL_STREAM],
  ['a dynamic table insert', async (r) => { await r.uni(0x00, SETTINGS); await r.uni(0x02, new Uint8Array([0xc0 | 17, 0x01, 0x61])); }, H3_ERROR.QPACK_ENCODER_STREAM_ERROR],
  ['a Section Acknowledgment', async (r) => { await r.uni(0x00, SETTINGS); await r.uni(0x03, new Uint8Array([0x80])); }, H3_ERROR.QPACK_DECODER_STREAM_ERROR],
  ['a push stream from a client', async (r) => { await r.handshake(); await r.uni(0x01, new Uint8Array([0])); }, H3_ERROR.H3_STREAM_CREATION_ERROR],
];

export function h3ControlSuite(t: Test, makePair: MakePair): void {
  t.test('a server closes the connection for critical-stream violations', async (t) => {
    for (const [what, act, code] of SERVER_REJECTS) {
      const quic = await makePair();
      const server = new H3Connection(quic.server, { role: 'server' });
      await server.start();
      try {
        void act(new RawPeer(quic.client)).catch(() => undefined);
        const info = await closedWithin(quic.client);
        t.same({ app: info.app, code: h3ErrorName(info.code) }, { app: true, code: h3ErrorName(code) }, what);
      } finally {
        await closeBoth(quic);
      }
    }
  });

  t.test('a client closes the connection for a misbehaving server', async (t) => {
    const cases: [string, RawAction, number][] = [
      ['GOAWAY naming a server stream', (r) => r.handshake(concatBytes([SETTINGS, encodeGoawayFrame(1)])), H3_ERROR.H3_ID_ERROR],
      ['GOAWAY id rising', (r) => r.handshake(concatBytes([SETTINGS, encodeGoawayFrame(4), encodeGoawayFrame(8)])), H3_ERROR.H3_ID_ERROR],
      ['MAX_PUSH_ID from a server', (r) => r.handshake(concatBytes([SETTINGS, encodeMaxPushIdFrame(1)])), H3_ERROR.H3_FRAME_UNEXPECTED],
      ['a push stream without MAX_PUSH_ID', async (r) => { await r.handshake(); await r.uni(0x01, new Uint8Array([0])); }, H3_ERROR.H3_ID_ERROR],
      ['a server-initiated bidi stream', async (r) => { await r.handshake(); await r.quic.openBidiStream().write(frame(FRAME.HEADERS, [0, 0, 0xd9])); }, H3_ERROR.H3_STREAM_CREATION_ERROR],
    ];
    for (const [what, act, code] of cases) {
      const quic = await makePair();
      const client = new H3Connection(quic.client, { role: 'client' });
      await client.start();
      try {
        void act(new RawPeer(quic.server)).catch(() => undefined);
        const info = await closedWithin(quic.server);
        t.same({ app: info.app, code: h3ErrorName(info.code) }, { app: true, code: h3ErrorName(code) }, what);
      } finally {
        await closeBoth(quic);
      }
    }
  });

  t.test('a PUSH_PROMISE on a response is H3_ID_ERROR (no MAX_PUSH_ID was sent)', async (t) => {
    const quic = await makePair();
    const client = new H3Connection(quic.client, { role: 'client' });
    quic.server.onStream = (stream) => {
      if (stream.kind !== 'bidi') return;
      void stream.write(concatBytes([frame(FRAME.PUSH_PROMISE, [0, 0, 0, 0xd1]), headersFrame([[':status', '200']])])).catch(() => undefined);
    };
    await client.start();
    try {
      const err = await rejection(within(client.request(getRequest('/'))));
      t.equal((err as { h3Code?: number }).h3Code, H3_ERROR.H3_ID_ERROR);
      t.equal((await closedWithin(quic.server)).code, H3_ERROR.H3_ID_ERROR);
    } finally {
      await closeBoth(quic);
    }
  });

  t.test('what a server sends: control stream with SETTINGS first, silent QPACK streams that stay open', async (t) => {
    const quic = await makePair();
    const seen = new Map<number, Uint8Array[]>();
    const ended = new Set<number>();
    quic.client.onStream = (stream: QuicIncomingStream) => {
      void (async () => {
        const chunks: Uint8Array[] = [];
        seen.set(stream.id, chunks);
        for (;;) {
          const chunk = await stream.read().catch(() => undefined);
          if (chunk === undefined) break;
          chunks.push(chunk);
        }
        ended.add(stream.id);
      })();
    };
    const server = new H3Connection(quic.server, { role: 'server', enableConnectProtocol: true, settings: [[0x33, 1]] });
    await server.start();
    try {
      await within((async () => {
        while ([...seen.values()].filter((c) => c.length > 0).length < 3) await new Promise((r) => setTimeout(r, 5));
      })());
      await new Promise((r) => setTimeout(r, 50));
      const streams = [...seen.entries()].map(([id, chunks]) => [id, concatBytes(chunks)] as const);
      t.same(streams.map(([id]) => id % 4), [3, 3, 3], 'three server-initiated uni streams');
      const byType = new Map(streams.map(([id, b]) => [b[0], { id, b }]));
      t.same([...byType.keys()].sort(), [0, 2, 3]);
      t.equal(byType.get(2)?.b.length, 1, 'encoder stream: the type byte only');
      t.equal(byType.get(3)?.b.length, 1, 'decoder stream: the type byte only');
      t.equal(ended.size, 0, 'no critical stream was closed');
      const reader = new FrameReader();
      reader.push((byType.get(0)?.b ?? new Uint8Array(0)).subarray(1));
      const first = reader.next();
      t.equal(first?.kind === 'frame' ? first.type : -1, FRAME.SETTINGS, 'SETTINGS first');
      const settings = parseSettingsPayload(first?.kind === 'frame' ? first.payload : new Uint8Array(0));
      t.equal(settings.get(0x1), 0n, 'QPACK_MAX_TABLE_CAPACITY 0');
      t.equal(settings.get(0x7), 0n, 'QPACK_BLOCKED_STREAMS 0');
      t.equal(settings.get(0x6), 65536n, 'MAX_FIELD_SECTION_SIZE');
      t.equal(settings.enableConnectProtocol, true);
      t.equal(settings.h3Datagram, true);
      t.equal(settings.size, 6, 'five settings and one GREASE setting');
    } finally {
      await closeBoth(quic);
    }
  });

  t.test('a server ignores what it must ignore (Chromium-style GREASE and extensions)', async (t) => {
    const quic = await makePair();
    const server = new H3Connection(quic.server, {
      role: 'server',
      onRequest: (req) => req.respond([[':status', '200']], { body: bytes(`hi ${req.header('user-agent')}`) }),
    });
    await server.start();
    try {
      const raw = new RawPeer(quic.client);
      const greaseId = 0x1f * 0x2a2a2a2a + 0x21;
      const chromeSettings = settingsFrame([[0x1, 65536], [0x6, 262144], [0x7, 100], [0x33, 1], [greaseId, 0x1234], [0x5a5a5a, 7]]);
      // SETTINGS, then a reserved frame and a PRIORITY_UPDATE, both unknown here.
      await raw.uni(0x00, concatBytes([chromeSettings, frame(0x1f * 3 + 0x21, [1, 2, 3]), frame(0xf0700, [0, 0x75, 0x3d, 0x31])]));
      await raw.uni(0x02, new Uint8Array([0x20])); // Set Dynamic Table Capacity 0: legal
      await raw.uni(0x03, new Uint8Array([0x41])); // Stream Cancellation of stream 1: legal
      const unknown = await raw.uni(0x1f * 5 + 0x21, bytes('grease stream'));
      const unknownBig = await raw.uni(0x54, concatBytes([encodeVarint(0), bytes('no WebTransport here')]));
      const res = await within(raw.exchange(headersFrame([...getRequest('/'), ['user-agent', 'Chromium/120']])));
      t.equal(res.resetCode, undefined);
      t.equal(Buffer.from(res.body).toString(), 'hi Chromium/120');
      // Streams are independent: the SETTINGS may be read after the request was answered.
      t.equal((await within(server.peerSettingsReceived)).qpackMaxTableCapacity, 65536, 'the peer may offer a table; we simply never use it');
      for (const stream of [unknown, unknownBig]) {
        const code = await within((async () => {
          for (;;) {
            const err = await rejection(stream.write(bytes('more'))).catch(() => undefined);
            if (err !== undefined) return quicErrorCode(err);
            await new Promise((r) => setTimeout(r, 5));
          }
        })());
        t.equal(code, H3_ERROR.H3_STREAM_CREATION_ERROR, 'unknown stream types get STOP_SENDING');
      }
    } finally {
      await closeBoth(quic);
    }
  });
}
