/**
 * Malformed input on request streams. Frame-layer and QPACK errors are connection errors
 * by RFC 9114/9204 (default), or reset only their stream with isolateRequestErrors;
 * malformed messages (H3_MESSAGE_ERROR) and oversized headers always reset only their stream.
 */
import type { Test } from 'tap';
import { H3_ERROR, h3ErrorName } from '../../../../src/transport/h3/errors.js';
import { encodeFrame, encodeFrameHeader, FRAME } from '../../../../src/transport/h3/frames.js';
import type { HeaderList } from '../../../../src/transport/h3/headers.js';
import { concatBytes } from '../../../../src/transport/bytes.js';
import { encodeVarint } from '../../../../src/transport/varint.js';
import { bytes, closedWithin, getRequest, h3Pair, headersFrame, RawPeer, within, type MakePair } from './h3-harness.js';

const GET = headersFrame(getRequest('/x'));
const data = (text: string): Uint8Array => encodeFrame(FRAME.DATA, bytes(text));
const hex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h.replace(/\s/g, ''), 'hex'));

/** Connection errors on a request stream: [what, bytes (FIN after), expected code]. */
const CONNECTION_ERRORS: [string, Uint8Array, number][] = [
  ['DATA before HEADERS', data('early'), H3_ERROR.H3_FRAME_UNEXPECTED],
  ['SETTINGS on a request stream', concatBytes([GET, encodeFrame(FRAME.SETTINGS, new Uint8Array(0))]), H3_ERROR.H3_FRAME_UNEXPECTED],
  ['GOAWAY on a request stream', concatBytes([encodeFrame(FRAME.GOAWAY, hex('00')), GET]), H3_ERROR.H3_FRAME_UNEXPECTED],
  ['MAX_PUSH_ID on a request stream', concatBytes([GET, encodeFrame(FRAME.MAX_PUSH_ID, hex('00'))]), H3_ERROR.H3_FRAME_UNEXPECTED],
  ['PUSH_PROMISE from a client', concatBytes([GET, encodeFrame(FRAME.PUSH_PROMISE, hex('000000'))]), H3_ERROR.H3_FRAME_UNEXPECTED],
  ['HTTP/2 PING frame type', concatBytes([GET, encodeFrame(0x6, new Uint8Array(8))]), H3_ERROR.H3_FRAME_UNEXPECTED],
  ['HEADERS cut short by FIN', GET.subarray(0, GET.length - 2), H3_ERROR.H3_FRAME_ERROR],
  ['frame type varint cut short by FIN', hex('40'), H3_ERROR.H3_FRAME_ERROR],
  ['frame length varint cut short by FIN', concatBytes([GET, hex('00 80 00')]), H3_ERROR.H3_FRAME_ERROR],
  ['DATA cut short by FIN', concatBytes([GET, encodeFrameHeader(FRAME.DATA, 10), bytes('abc')]), H3_ERROR.H3_FRAME_ERROR],
  ['QPACK dynamic table reference', encodeFrame(FRAME.HEADERS, hex('0000 80')), H3_ERROR.QPACK_DECOMPRESSION_FAILED],
  ['QPACK Required Insert Count 1', encodeFrame(FRAME.HEADERS, hex('0100 d1')), H3_ERROR.QPACK_DECOMPRESSION_FAILED],
  ['QPACK Huffman with EOS', encodeFrame(FRAME.HEADERS, hex('0000 d1 d7 51 84 ffffffff')), H3_ERROR.QPACK_DECOMPRESSION_FAILED],
  ['QPACK static index past the table', encodeFrame(FRAME.HEADERS, hex('0000 ff 30')), H3_ERROR.QPACK_DECOMPRESSION_FAILED],
  ['DATA after trailers', concatBytes([GET, headersFrame([['x-t', '1']]), data('late')]), H3_ERROR.H3_FRAME_UNEXPECTED],
  ['a second set of trailers', concatBytes([GET, headersFrame([['x-t', '1']]), headersFrame([['x-t', '2']])]), H3_ERROR.H3_FRAME_UNEXPECTED],
];

/** Stream errors that never touch the connection: [what, bytes, expected code]. */
function streamErrors(): [string, Uint8Array, number][] {
  const headers = (list: HeaderList): Uint8Array => headersFrame(list);
  return [
    ['uppercase field name', headers([...getRequest('/'), ['X-Upper', '1']]), H3_ERROR.H3_MESSAGE_ERROR],
    ['missing :path', headers([[':method', 'GET'], [':scheme', 'https'], [':authority', 'h']]), H3_ERROR.H3_MESSAGE_ERROR],
    ['pseudo-header after a field', headers([[':method', 'GET'], ['x', '1'], [':scheme', 'https'], [':authority', 'h'], [':path', '/']]), H3_ERROR.H3_MESSAGE_ERROR],
    ['connection-specific field', headers([...getRequest('/'), ['connection', 'keep-alive']]), H3_ERROR.H3_MESSAGE_ERROR],
    [':protocol without extended CONNECT', headers([[':method', 'CONNECT'], [':protocol', 'websocket'], [':scheme', 'https'], [':authority', 'h'], [':path', '/']]), H3_ERROR.H3_MESSAGE_ERROR],
    ['pseudo-header in trailers', concatBytes([GET, headers([[':path', '/']])]), H3_ERROR.H3_MESSAGE_ERROR],
    ['body longer than content-length', concatBytes([headers([...getRequest('/', 'POST'), ['content-length', '2']]), data('abc')]), H3_ERROR.H3_MESSAGE_ERROR],
    ['body shorter than content-length', concatBytes([headers([...getRequest('/', 'POST'), ['content-length', '9']]), data('abc')]), H3_ERROR.H3_MESSAGE_ERROR],
    ['field section over MAX_FIELD_SECTION_SIZE', headers([...getRequest('/'), ['x-big', 'v'.repeat(5000)]]), H3_ERROR.H3_EXCESSIVE_LOAD],
    ['FIN before any HEADERS', new Uint8Array(0), H3_ERROR.H3_REQUEST_INCOMPLETE],
    ['only unknown frames, then FIN', encodeFrame(0x21, bytes('grease')), H3_ERROR.H3_REQUEST_INCOMPLETE],
  ];
}

/** A server that reads the whole body before answering, so body errors surface. */
const readAll = { maxFieldSectionSize: 4096, onRequest: async (req: import('../../../../src/transport/h3/request.js').H3Request) => {
  const body = await req.text();
  await req.respond([[':status', '200']], { body: bytes(`ok ${body}`) });
} };

export function h3RequestErrorSuite(t: Test, makePair: MakePair): void {
  t.test('frame and QPACK errors on a request stream close the connection (RFC 9114 §7.1, RFC 9204 §2.2)', async (t) => {
    for (const [what, payload, code] of CONNECTION_ERRORS) {
      const pair = await h3Pair(makePair, readAll);
      try {
        void new RawPeer(pair.quic.client).exchange(payload).catch(() => undefined);
        const info = await closedWithin(pair.quic.client);
        t.same({ app: info.app, code: h3ErrorName(info.code), remote: info.remote }, { app: true, code: h3ErrorName(code), remote: true }, what);
        t.equal(pair.server.error?.name, 'H3Error');
      } finally {
        await pair.close();
      }
    }
  });

  t.test('with isolateRequestErrors the same errors reset only their stream', async (t) => {
    const pair = await h3Pair(makePair, { ...readAll, isolateRequestErrors: true });
    try {
      for (const [what, payload, code] of CONNECTION_ERRORS) {
        const [bad, good] = await within(Promise.all([
          new RawPeer(pair.quic.client).exchange(payload),
          pair.client.request(getRequest('/good', 'POST'), bytes(what)),
        ]));
        t.equal(h3ErrorName(bad.resetCode ?? 0), h3ErrorName(code), what);
        t.equal(await good.text(), `ok ${what}`, `a concurrent request still succeeds (${what})`);
      }
    } finally {
      await pair.close();
    }
  });

  t.test('malformed messages reset only their stream; the connection keeps serving', async (t) => {
    const pair = await h3Pair(makePair, readAll);
    try {
      for (const [what, payload, code] of streamErrors()) {
        const [bad, good] = await within(Promise.all([
          new RawPeer(pair.quic.client).exchange(payload),
          pair.client.request(getRequest('/good', 'POST'), bytes(what)),
        ]));
        t.equal(h3ErrorName(bad.resetCode ?? 0), h3ErrorName(code), what);
        t.same(bad.headers, [], `no response for ${what}`);
        t.equal(await good.text(), `ok ${what}`);
      }
    } finally {
      await pair.close();
    }
  });

  t.test('unknown and reserved frames anywhere on a request stream are ignored', async (t) => {
    const pair = await h3Pair(makePair, readAll);
    try {
      const grease = (n: number): Uint8Array => encodeFrame(0x1f * n + 0x21, bytes('x'.repeat(n)));
      const huge = concatBytes([encodeVarint(0x1fn * 2n ** 50n + 0x21n), encodeVarint(3), bytes('abc')]);
      const request = concatBytes([
        grease(1), huge, headersFrame(getRequest('/', 'POST')), grease(2), data('he'), encodeFrame(0xf0700, hex('00')),
        data('llo'), grease(3), headersFrame([['x-trailer', 'yes']]), grease(4),
      ]);
      const res = await within(new RawPeer(pair.quic.client).exchange(request));
      t.equal(res.resetCode, undefined);
      t.same(res.headers[0], [[':status', '200']]);
      t.equal(Buffer.from(res.body).toString(), 'ok hello');
    } finally {
      await pair.close();
    }
  });
}
