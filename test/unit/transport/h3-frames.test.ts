import t from 'tap';
import { H3_ERROR, H3Error, h3ErrorName } from '../../../src/transport/h3/errors.js';
import { FrameReader, type FrameEvent } from '../../../src/transport/h3/frame-reader.js';
import {
  encodeCancelPushFrame, encodeDataFrame, encodeFrame, encodeFrameHeader, encodeGoawayFrame, encodeGreaseFrame,
  encodeHeadersFrame, encodeMaxPushIdFrame, FRAME, isReservedIdentifier, randomReservedIdentifier,
} from '../../../src/transport/h3/frames.js';
import { encodeVarint, MAX_VARINT } from '../../../src/transport/varint.js';
import { concatBytes } from '../../../src/transport/bytes.js';
import { WwatpError } from '../../../src/tree/errors.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

t.test('error codes are the RFC 9114 §8.1 and RFC 9204 §6 values', async (t) => {
  t.same(H3_ERROR, {
    H3_NO_ERROR: 0x100, H3_GENERAL_PROTOCOL_ERROR: 0x101, H3_INTERNAL_ERROR: 0x102, H3_STREAM_CREATION_ERROR: 0x103,
    H3_CLOSED_CRITICAL_STREAM: 0x104, H3_FRAME_UNEXPECTED: 0x105, H3_FRAME_ERROR: 0x106, H3_EXCESSIVE_LOAD: 0x107,
    H3_ID_ERROR: 0x108, H3_SETTINGS_ERROR: 0x109, H3_MISSING_SETTINGS: 0x10a, H3_REQUEST_REJECTED: 0x10b,
    H3_REQUEST_CANCELLED: 0x10c, H3_REQUEST_INCOMPLETE: 0x10d, H3_MESSAGE_ERROR: 0x10e, H3_CONNECT_ERROR: 0x10f,
    H3_VERSION_FALLBACK: 0x110, QPACK_DECOMPRESSION_FAILED: 0x200, QPACK_ENCODER_STREAM_ERROR: 0x201,
    QPACK_DECODER_STREAM_ERROR: 0x202,
  });
  const err = new H3Error(H3_ERROR.H3_FRAME_ERROR, 'connection', 'bad');
  t.ok(err instanceof WwatpError);
  t.equal(err.code, 'PROTOCOL');
  t.equal(err.h3Code, 0x106);
  t.match(err.message, /^H3_FRAME_ERROR: bad/);
  t.ok(H3Error.isH3(err, 0x106));
  t.notOk(H3Error.isH3(err, 0x105));
  t.equal(h3ErrorName(0x21), '0x21', 'unknown (GREASE) codes print as hex');
});

t.test('frame encoders', async (t) => {
  t.equal(hex(encodeDataFrame(new Uint8Array([1, 2, 3]))), '0003010203');
  t.equal(hex(encodeHeadersFrame(new Uint8Array([0, 0, 0xd1]))), '01030000d1');
  t.equal(hex(encodeGoawayFrame(0)), '070100');
  t.equal(hex(encodeGoawayFrame(16384)), '070480004000');
  t.equal(hex(encodeMaxPushIdFrame(5)), '0d0105');
  t.equal(hex(encodeCancelPushFrame(63)), '03013f');
  t.equal(hex(encodeFrameHeader(FRAME.DATA, 70000)), '0080011170');
  t.equal(hex(encodeFrame(0x2b603742, new Uint8Array(0))), 'ab60374200', 'types use varints too');
});

t.test('reserved identifiers', async (t) => {
  for (const id of [0x21, 0x40, 0x5f, 0x1f * 1000 + 0x21]) t.ok(isReservedIdentifier(id), `0x${id.toString(16)}`);
  for (const id of [0, 0x20, 0x22, 0x41, 0x54]) t.notOk(isReservedIdentifier(id), `0x${id.toString(16)}`);
  t.ok(isReservedIdentifier(0x1fn * (2n ** 57n) + 0x21n));
  for (let i = 0; i < 100; i++) t.ok(isReservedIdentifier(randomReservedIdentifier()));
});

/** Feeds `bytes` split at random places and collects events (DATA pieces merged per frame). */
function readAll(bytes: Uint8Array, reader = new FrameReader(), pieces = 7): { events: FrameEvent[]; data: Uint8Array[] } {
  const events: FrameEvent[] = [];
  const data: Uint8Array[] = [];
  let current: Uint8Array[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const n = 1 + Math.floor(Math.random() * pieces);
    reader.push(bytes.subarray(offset, offset + n));
    offset += n;
    for (let e = reader.next(); e !== undefined; e = reader.next()) {
      if (e.kind === 'data') {
        current.push(e.bytes);
        if (e.last) {
          data.push(concatBytes(current));
          current = [];
        }
      } else {
        events.push(e);
      }
    }
  }
  reader.end();
  return { events, data };
}

t.test('FrameReader: any chunking yields the same frames', async (t) => {
  const body = Uint8Array.from({ length: 3000 }, (_, i) => i % 251);
  const stream = concatBytes([
    encodeHeadersFrame(new Uint8Array([0, 0, 0xd1])),
    encodeFrame(0x21, new Uint8Array([9, 9, 9])), // reserved: skipped
    encodeDataFrame(body),
    encodeDataFrame(new Uint8Array(0)),
    encodeFrame(0xf0700, new Uint8Array(40)), // PRIORITY_UPDATE as Chromium sends it: unknown here
    encodeDataFrame(new Uint8Array([7])),
    encodeHeadersFrame(new Uint8Array([0, 0])),
  ]);
  for (const pieces of [1, 2, 3, 17, 4096]) {
    const { events, data } = readAll(stream, new FrameReader(), pieces);
    t.same(events.map((e) => e.kind === 'frame' ? [e.type, hex(e.payload)] : [e.kind, 'type' in e ? e.type : -1]), [
      [FRAME.HEADERS, '0000d1'], ['unknown', 0x21], ['unknown', 0xf0700], [FRAME.HEADERS, '0000'],
    ], `pieces up to ${pieces}`);
    t.same(data.map(hex), [hex(body), '', '07']);
  }
});

t.test('FrameReader: a huge GREASE type and length are skipped without buffering', async (t) => {
  const reader = new FrameReader();
  reader.push(concatBytes([encodeVarint(MAX_VARINT - 30n), encodeVarint(1_000_000)]));
  const e = reader.next();
  t.equal(e?.kind, 'unknown');
  for (let i = 0; i < 100; i++) reader.push(new Uint8Array(10_000));
  t.equal(reader.next(), undefined);
  reader.push(encodeGoawayFrame(4));
  const g = reader.next();
  t.same(g?.kind === 'frame' ? [g.type, hex(g.payload)] : undefined, [FRAME.GOAWAY, '04']);
  t.ok(reader.atFrameBoundary);
});

t.test('FrameReader: truncation at FIN is H3_FRAME_ERROR', async (t) => {
  const frame = encodeHeadersFrame(new Uint8Array([0, 0, 0xd1]));
  for (let cut = 1; cut < frame.length; cut++) {
    const reader = new FrameReader();
    reader.push(frame.subarray(0, cut));
    while (reader.next() !== undefined);
    t.throws(() => reader.end(), { code: 'PROTOCOL', h3Code: H3_ERROR.H3_FRAME_ERROR, scope: 'connection' }, `cut at ${cut}`);
  }
  const data = new FrameReader();
  data.push(encodeFrameHeader(FRAME.DATA, 10));
  data.push(new Uint8Array(5));
  t.equal(data.next()?.kind, 'data');
  t.throws(() => data.end(), { code: 'PROTOCOL', h3Code: H3_ERROR.H3_FRAME_ERROR });
  const empty = new FrameReader();
  t.doesNotThrow(() => empty.end(), 'a stream with no frames ends cleanly');
});

t.test('FrameReader: HTTP/2 frame types are H3_FRAME_UNEXPECTED', async (t) => {
  for (const type of [0x2, 0x6, 0x8, 0x9]) {
    const reader = new FrameReader();
    reader.push(encodeFrame(type, new Uint8Array(2)));
    t.throws(() => reader.next(), { code: 'PROTOCOL', h3Code: H3_ERROR.H3_FRAME_UNEXPECTED, scope: 'connection' }, `0x${type}`);
  }
});

t.test('FrameReader: size limits', async (t) => {
  const headers = new FrameReader({ maxHeadersPayload: 100 });
  headers.push(encodeFrameHeader(FRAME.HEADERS, 101));
  t.throws(() => headers.next(), { code: 'PROTOCOL', h3Code: H3_ERROR.H3_EXCESSIVE_LOAD, scope: 'stream' }, 'too large a HEADERS frame only fails its request');
  const ok = new FrameReader({ maxHeadersPayload: 100 });
  ok.push(encodeHeadersFrame(new Uint8Array(100)));
  t.equal(ok.next()?.kind, 'frame');
  const settings = new FrameReader({ maxControlPayload: 64 });
  settings.push(encodeFrameHeader(FRAME.SETTINGS, 65));
  t.throws(() => settings.next(), { code: 'PROTOCOL', h3Code: H3_ERROR.H3_EXCESSIVE_LOAD, scope: 'connection' });
  const data = new FrameReader({ maxHeadersPayload: 10, maxControlPayload: 10 });
  data.push(encodeFrameHeader(FRAME.DATA, 1_000_000));
  t.doesNotThrow(() => data.next(), 'DATA streams through, unlimited');
  const unknown = new FrameReader({ maxControlPayload: 10 });
  unknown.push(encodeFrameHeader(0x21, 1_000_000));
  t.equal(unknown.next()?.kind, 'unknown', 'unknown frames are skipped whatever their size');
  const tooLong = new FrameReader();
  tooLong.push(concatBytes([encodeVarint(FRAME.DATA), encodeVarint(2n ** 60n)]));
  t.throws(() => tooLong.next(), { code: 'PROTOCOL', h3Code: H3_ERROR.H3_EXCESSIVE_LOAD });
});

t.test('GREASE frames are well-formed and skipped', async (t) => {
  const reader = new FrameReader();
  for (let i = 0; i < 50; i++) reader.push(encodeGreaseFrame());
  for (let e = reader.next(); e !== undefined; e = reader.next()) t.equal(e.kind, 'unknown');
  t.ok(reader.atFrameBoundary);
});
