/**
 * Malformed input against a real server over QUIC fails only the request or connection
 * that carried it. After every bad input a separate, already-connected good client does
 * an upsert + getNode round trip (no cache, so both cross the wire), and at the end a new
 * client connects and finds every good write.
 *
 * - UDP: garbage datagrams to the server port (random, short-header, fake Initials,
 *   an unknown QUIC version, which must get Version Negotiation).
 * - HTTP/3 control stream garbage: the server closes that connection with the H3 code.
 * - Request streams with bad frames, varints or QPACK: the server resets that stream
 *   with the H3 code (isolateRequestErrors); the same connection keeps serving.
 * - WWATP bodies on a valid POST /wwatp: bad chunk headers, bad CBOR, unknown signals,
 *   truncation: ERROR replies with PROTOCOL / MALFORMED / TOO_LARGE, the rest of the
 *   batch answered, the connection still serving.
 */
import t, { type Test } from 'tap';
import { randomBytes } from 'node:crypto';
import { SimpleBackend } from '../../src/backends/simple-backend.js';
import { H3_ERROR, h3ErrorName } from '../../src/transport/h3/errors.js';
import { encodeFrame, encodeFrameHeader, FRAME } from '../../src/transport/h3/frames.js';
import type { HeaderList } from '../../src/transport/h3/headers.js';
import { encodeMessage } from '../../src/transport/wwatp/chunk-codec.js';
import { encodePayload } from '../../src/transport/wwatp/payloads.js';
import { Signal } from '../../src/transport/wwatp/signals.js';
import { Closer, client, prng, serve, textNode, textOf, within } from '../support/transport-env.js';
import {
  bytes, chunk, closedWithin, concat, criticalStreams, encodeVarint, exchange, headersFrame, hex, rawH3, rawQuic, settingsFrame, sprayUdp,
  wwatpExchange, wwatpHeaders, type WwatpReply,
} from '../support/transport-raw.js';

const KiB = 1024;
const MAX_CONTENT = 256 * KiB;
/** What the server accepts in one WWATP message: the content limit plus 1 MiB. */
const MAX_MESSAGE = MAX_CONTENT + 1024 * KiB;

const message = (signal: number, id: number, body: unknown): Uint8Array => concat(encodeMessage(signal, id, encodePayload(body)));
const summary = (replies: readonly WwatpReply[]): string[] => replies.map((r) => `${r.requestId}:${r.signal === Signal.ERROR ? `ERROR ${String(r.body['code'])}` : `0x${r.signal.toString(16)}`}`);

t.test('malformed input fails only its request or connection', { timeout: 60_000 }, async (t) => {
  const closer = new Closer(t);
  const store = new SimpleBackend();
  const server = await serve(t, closer, { backend: store, maxContentBytes: MAX_CONTENT });
  const good = await client(closer, server, { cacheSize: 0 });
  const authority = `127.0.0.1:${server.port}`;
  let round = 0;

  /** The good client's round trip, after each bad input. */
  const stillServing = async (t: Test, after: string): Promise<void> => {
    const label = `good/${++round}`;
    const text = `after ${after}`;
    const ok = await within(good.upsertNode([textNode(label, text)]), 10_000, `good upsert after ${after}`);
    const back = await within(good.getNode(label), 10_000, `good getNode after ${after}`);
    t.ok(ok && textOf(back) === text, `the good client's round trip works after ${after}`);
  };

  t.test('garbage UDP datagrams to the server port', { timeout: 60_000 }, async (t) => {
    const rand = prng(0x5eed);
    const random = (n: number): Uint8Array => Uint8Array.from({ length: n }, () => Math.floor(rand() * 256));
    const datagrams: Uint8Array[] = [];
    for (const size of [0, 1, 7, 20, 100, 1199, 1200, 1350, 1500, 9000]) datagrams.push(random(size));
    // Short headers naming connection ids the server never issued.
    for (let i = 0; i < 20; i++) datagrams.push(concat([Uint8Array.of(0x40 | (i & 0x3f)), random(60)]));
    // Long-header Initials of version 1 with garbage where the protected payload goes.
    const initial = (dcid: Uint8Array): Uint8Array => {
      const head = concat([Uint8Array.of(0xc3), hex('00000001'), Uint8Array.of(dcid.length), dcid, Uint8Array.of(8), random(8), Uint8Array.of(0), encodeVarint(1150)]);
      return concat([head, random(1200 - head.length)]);
    };
    for (let i = 0; i < 5; i++) datagrams.push(initial(random(8)));
    datagrams.push(initial(new Uint8Array(0)), initial(random(20)));
    // A truncated long header, and an Initial too short to be answered.
    datagrams.push(hex('c0 00000001 08'), concat([Uint8Array.of(0xc0), hex('00000001'), Uint8Array.of(8), random(8), Uint8Array.of(0), random(30)]));
    // A burst.
    for (let i = 0; i < 300; i++) datagrams.push(random(1 + Math.floor(rand() * 1400)));
    const answers = await sprayUdp(server.port, datagrams);
    t.pass(`${datagrams.length} garbage datagrams sent; ${answers.length} answers`);

    // An unknown QUIC version: the server answers with Version Negotiation (version 0).
    const unknownVersion = concat([Uint8Array.of(0xc0), hex('0a1a2a3a'), Uint8Array.of(8), random(8), Uint8Array.of(8), random(8)]);
    const vn = await sprayUdp(server.port, [concat([unknownVersion, new Uint8Array(1200 - unknownVersion.length)])]);
    t.equal(vn.length, 1, 'one answer to an unknown version');
    t.equal(vn[0]?.readUInt32BE(1), 0, 'it is a Version Negotiation packet');
    await stillServing(t, 'garbage UDP');
  });

  t.test('garbage on the HTTP/3 control stream closes that connection with the H3 code', { timeout: 60_000 }, async (t) => {
    const cases: [string, (q: Awaited<ReturnType<typeof rawQuic>>) => Promise<unknown>, number][] = [
      ['text instead of SETTINGS', (q) => criticalStreams(q, bytes('hello, world')), H3_ERROR.H3_MISSING_SETTINGS],
      ['random bytes', (q) => criticalStreams(q, concat([Uint8Array.of(0x00, 0x04), randomBytes(64)])), H3_ERROR.H3_MISSING_SETTINGS],
      ['DATA after SETTINGS', (q) => criticalStreams(q, concat([settingsFrame([[0x6, 4096]]), encodeFrame(FRAME.DATA, bytes('x'))])), H3_ERROR.H3_FRAME_UNEXPECTED],
      ['HEADERS on the control stream', (q) => criticalStreams(q, concat([settingsFrame([]), headersFrame([['a', 'b']])])), H3_ERROR.H3_FRAME_UNEXPECTED],
      ['a second SETTINGS', (q) => criticalStreams(q, concat([settingsFrame([]), settingsFrame([])])), H3_ERROR.H3_FRAME_UNEXPECTED],
      ['a duplicate setting', (q) => criticalStreams(q, settingsFrame([[0x6, 1], [0x6, 2]])), H3_ERROR.H3_SETTINGS_ERROR],
      ['an HTTP/2-only setting', (q) => criticalStreams(q, settingsFrame([[0x2, 1]])), H3_ERROR.H3_SETTINGS_ERROR],
      ['SETTINGS ending inside a setting', (q) => criticalStreams(q, encodeFrame(FRAME.SETTINGS, hex('06'))), H3_ERROR.H3_FRAME_ERROR],
      ['a frame length over 2^53', (q) => criticalStreams(q, hex('04 ffffffffffffffff')), H3_ERROR.H3_EXCESSIVE_LOAD],
      ['GOAWAY payload that is not one varint', (q) => criticalStreams(q, concat([settingsFrame([]), encodeFrame(FRAME.GOAWAY, hex('0000'))])), H3_ERROR.H3_FRAME_ERROR],
      ['the control stream closed (FIN)', async (q) => (await criticalStreams(q, settingsFrame([]))).end(), H3_ERROR.H3_CLOSED_CRITICAL_STREAM],
      ['a second control stream', async (q) => {
        await criticalStreams(q, settingsFrame([]));
        const second = q.openUniStream();
        await second.write(concat([encodeVarint(0x00), settingsFrame([])]));
      }, H3_ERROR.H3_STREAM_CREATION_ERROR],
      ['a push stream from a client', async (q) => {
        await criticalStreams(q, settingsFrame([]));
        await q.openUniStream().write(hex('01 00'));
      }, H3_ERROR.H3_STREAM_CREATION_ERROR],
    ];
    for (const [what, send, code] of cases) {
      const quic = await rawQuic(server);
      try {
        await send(quic).catch(() => undefined);
        const info = await closedWithin(quic);
        t.same({ remote: info.remote, app: info.app, code: h3ErrorName(info.code) }, { remote: true, app: true, code: h3ErrorName(code) }, `${what}: closed by the server with ${h3ErrorName(code)}`);
      } finally {
        await quic.close().catch(() => undefined);
      }
      await stillServing(t, what);
    }
  });

  t.test('bad frames, varints and QPACK on a request stream reset only that stream', { timeout: 60_000 }, async (t) => {
    const raw = await rawH3(server);
    try {
      const post = headersFrame(wwatpHeaders(authority));
      const heartbeat = message(Signal.HEARTBEAT, 1, {});
      const cases: [string, Uint8Array, number][] = [
        ['DATA before HEADERS', encodeFrame(FRAME.DATA, heartbeat), H3_ERROR.H3_FRAME_UNEXPECTED],
        ['QPACK reference into a dynamic table that does not exist', encodeFrame(FRAME.HEADERS, hex('0000 80')), H3_ERROR.QPACK_DECOMPRESSION_FAILED],
        ['QPACK Required Insert Count without a table', encodeFrame(FRAME.HEADERS, hex('0100 d1')), H3_ERROR.QPACK_DECOMPRESSION_FAILED],
        ['QPACK static index past the table', encodeFrame(FRAME.HEADERS, hex('0000 ff 30')), H3_ERROR.QPACK_DECOMPRESSION_FAILED],
        ['QPACK Huffman string with EOS', encodeFrame(FRAME.HEADERS, hex('0000 d1 d7 51 84 ffffffff')), H3_ERROR.QPACK_DECOMPRESSION_FAILED],
        ['QPACK literal longer than its block', encodeFrame(FRAME.HEADERS, hex('0000 5f 1d 7f')), H3_ERROR.QPACK_DECOMPRESSION_FAILED],
        ['a frame length varint over 2^53', hex('01 ffffffffffffffff 00'), H3_ERROR.H3_EXCESSIVE_LOAD],
        ['a frame type varint cut short by FIN', hex('40'), H3_ERROR.H3_FRAME_ERROR],
        ['a frame length varint cut short by FIN', concat([post, hex('00 80 00')]), H3_ERROR.H3_FRAME_ERROR],
        ['HEADERS cut short by FIN', post.subarray(0, post.length - 3), H3_ERROR.H3_FRAME_ERROR],
        ['DATA cut short by FIN', concat([post, encodeFrameHeader(FRAME.DATA, 100), heartbeat]), H3_ERROR.H3_FRAME_ERROR],
        ['an HTTP/2 PING frame', concat([post, encodeFrame(0x6, new Uint8Array(8))]), H3_ERROR.H3_FRAME_UNEXPECTED],
        ['SETTINGS on a request stream', concat([post, settingsFrame([])]), H3_ERROR.H3_FRAME_UNEXPECTED],
        ['an uppercase header name', headersFrame([...wwatpHeaders(authority), ['X-Upper', '1']] as HeaderList), H3_ERROR.H3_MESSAGE_ERROR],
        ['a request without :path', headersFrame([[':method', 'POST'], [':scheme', 'https'], [':authority', authority]]), H3_ERROR.H3_MESSAGE_ERROR],
        ['FIN before any HEADERS', new Uint8Array(0), H3_ERROR.H3_REQUEST_INCOMPLETE],
      ];
      for (const [what, payload, code] of cases) {
        const answer = await exchange(raw.quic, payload);
        t.equal(h3ErrorName(answer.resetCode ?? 0), h3ErrorName(code), `${what}: the stream was reset with ${h3ErrorName(code)}`);
        // The same connection still carries a good WWATP request.
        const ok = await wwatpExchange(raw.h3, authority, heartbeat);
        t.same(summary(ok.replies), ['1:0x2'], `${what}: the same connection still answers a HEARTBEAT`);
        await stillServing(t, what);
      }
      t.equal(raw.h3.error, undefined, 'the raw connection was never closed');
    } finally {
      await raw.close();
    }
  });

  t.test('bad WWATP bodies on a valid POST /wwatp get ERROR replies', { timeout: 60_000 }, async (t) => {
    const raw = await rawH3(server);
    try {
      const get1 = message(Signal.GET_NODE, 1, { label: 'good/1' });
      const cases: [string, Uint8Array, string[]][] = [
        ['a chunk flags byte with unknown bits', concat([get1, chunk(Signal.GET_NODE, 2, 0x82, encodePayload({ label: 'x' }))]), ['1:0x8', '0:ERROR PROTOCOL']],
        ['a chunk longer than 64 KiB', concat([get1, chunk(Signal.GET_NODE, 2, 0x01, new Uint8Array(0), 65_537)]), ['1:0x8', '0:ERROR PROTOCOL']],
        ['a signal varint over 2^53-1', concat([get1, hex('ffffffffffffffff 02 01 00')]), ['1:0x8', '0:ERROR PROTOCOL']],
        ['a request id varint over 2^53-1', concat([get1, hex('07 ffffffffffffffff 01 00')]), ['1:0x8', '0:ERROR PROTOCOL']],
        ['bad CBOR, a non-map payload and a wrongly typed field', concat([
          chunk(Signal.GET_NODE, 1, 0x01, hex('ff0013')),
          chunk(Signal.GET_NODE, 2, 0x01, hex('1c')),
          message(Signal.GET_NODE, 3, 42),
          message(Signal.GET_NODE, 4, { label: 42 }),
          message(Signal.UPSERT, 5, { nodes: [['not', 'a node']] }),
          chunk(Signal.GET_NODE, 6, 0x01, new Uint8Array(0)),
          message(Signal.GET_NODE, 7, { label: 'good/1' }),
        ]), ['1:ERROR MALFORMED', '2:ERROR MALFORMED', '3:ERROR MALFORMED', '4:ERROR MALFORMED', '5:ERROR MALFORMED', '6:ERROR MALFORMED', '7:0x8']],
        ['unknown and non-request signals', concat([
          message(0x6f, 1, {}),
          message(Signal.GET_NODE_RESPONSE, 2, { node: null }),
          message(Signal.PUSH_JOURNAL, 3, {}),
          message(Signal.ERROR, 4, { code: 'PROTOCOL' }),
          message(Signal.HEARTBEAT, 5, {}),
        ]), ['1:ERROR PROTOCOL', '2:ERROR PROTOCOL', '3:ERROR PROTOCOL', '4:ERROR PROTOCOL', '5:0x2']],
        ['a stream ending inside a chunk header', concat([get1, hex('07 40')]), ['1:0x8', '0:ERROR PROTOCOL']],
        ['a stream ending inside a chunk payload', concat([get1, chunk(Signal.GET_NODE, 2, 0x01, bytes('0123456789'), 100)]), ['1:0x8', '0:ERROR PROTOCOL']],
        ['a stream ending inside a message', concat([get1, chunk(Signal.UPSERT, 7, 0x00, bytes('part of a message'))]), ['1:0x8', '7:ERROR PROTOCOL']],
        ['a message changing signal midway', concat([chunk(Signal.GET_NODE, 5, 0x00, hex('a1')), chunk(Signal.UPSERT, 5, 0x01, hex('00'))]), ['5:ERROR PROTOCOL']],
      ];
      for (const [what, body, expected] of cases) {
        const answer = await wwatpExchange(raw.h3, authority, body);
        t.equal(answer.status, 200, `${what}: 200 (errors travel inside the WWATP stream)`);
        t.same(summary(answer.replies), expected, `${what}: ${expected.join(', ')}`);
        t.equal(answer.resetCode, undefined, `${what}: the stream ended cleanly`);
        await stillServing(t, what);
      }

      // A message over the size limit: TOO_LARGE, then the stream ends.
      const big = new Uint8Array(64 * KiB);
      const parts = Array.from({ length: Math.ceil(MAX_MESSAGE / big.length) + 1 }, () => chunk(Signal.UPSERT, 9, 0x00, big));
      const tooLarge = await wwatpExchange(raw.h3, authority, concat(parts));
      t.same(summary(tooLarge.replies), ['9:ERROR TOO_LARGE'], 'a message over the limit: TOO_LARGE');
      await stillServing(t, 'an oversized message');

      // A request body abandoned mid-chunk by the client (RESET_STREAM).
      const request = await raw.h3.openRequest(wwatpHeaders(authority));
      await request.writer.write(chunk(Signal.GET_NODE, 1, 0x01, bytes('0123'), 500));
      await new Promise((resolve) => setTimeout(resolve, 50));
      request.writer.reset(H3_ERROR.H3_REQUEST_CANCELLED);
      await within(request.response.then((r) => r.bytes()).catch(() => undefined), 10_000, 'the abandoned request to settle');
      await stillServing(t, 'a request body reset mid-chunk');

      // Not a POST: 405 from the HTTP layer, no WWATP stream.
      const get = await exchange(raw.quic, headersFrame([[':method', 'GET'], [':scheme', 'https'], [':authority', authority], [':path', '/wwatp']]));
      t.same(get.headers[0]?.find(([name]) => name === ':status'), [':status', '405'], 'GET /wwatp is answered 405');

      const last = await wwatpExchange(raw.h3, authority, message(Signal.HEARTBEAT, 1, {}));
      t.same(summary(last.replies), ['1:0x2'], 'the raw connection that sent all of it still works');
    } finally {
      await raw.close();
    }
  });

  t.test('afterwards the server is fine', { timeout: 60_000 }, async (t) => {
    const fresh = await client(closer, server, { cacheSize: 0 });
    const writes = await fresh.queryNodes('good/*');
    t.equal(writes.length, round, `a new client connects and finds all ${round} good writes`);
    t.ok(writes.every((n) => textOf(n)?.startsWith('after ')), 'each intact');
    t.equal(await store.getNode('x'), undefined, 'no bad request wrote anything');
    await within(server.close(), 10_000, 'server close');
    t.pass('the server closes cleanly');
  });
});
