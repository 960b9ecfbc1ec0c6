import t from 'tap';
import {
  CAPSULE, CapsuleReader, decodeCloseSession, decodeHttpDatagram, encodeCapsule, encodeCloseSession, encodeHttpDatagram,
  http3CodeToWebTransport, streamHeader, webTransportCodeToHttp3,
} from '../../src/transport/webtransport/index.js';

// Wire formats of WebTransport over HTTP/3, checked against bytes Chromium 156 sent us.
const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s/g, ''), 'hex'));

t.test('application error codes map into the HTTP/3 range, skipping reserved codepoints', async (t) => {
  t.equal(webTransportCodeToHttp3(0), 0x52e4a40fa8db);
  t.equal(webTransportCodeToHttp3(0xffffffff), 0x52e5ac983162);
  t.equal(http3CodeToWebTransport(0x52e4a40fa8db), 0);
  t.equal(http3CodeToWebTransport(0x52e5ac983162), 0xffffffff);
  for (const code of [1, 7, 29, 30, 31, 42, 1234, 0x1e * 1000 - 1, 0x1e * 1000, 0x7fffffff, 0xfffffffe]) {
    const h3 = webTransportCodeToHttp3(code);
    t.not((h3 - 0x21) % 0x1f, 0, `code ${code} avoids reserved codepoints`);
    t.equal(http3CodeToWebTransport(h3), code, `code ${code} round-trips`);
  }
  t.equal(webTransportCodeToHttp3(30) - webTransportCodeToHttp3(29), 2, 'one codepoint skipped after every 0x1e codes');
  t.equal(http3CodeToWebTransport(0x100), undefined, 'H3_NO_ERROR is not an application code');
  const reserved = Math.ceil((0x52e4a40fa8db - 0x21) / 0x1f) * 0x1f + 0x21;
  t.equal(http3CodeToWebTransport(reserved), undefined, 'reserved codepoints inside the range are not codes');
  t.throws(() => webTransportCodeToHttp3(2 ** 32), { code: 'INVALID_PROPERTY' });
  t.throws(() => webTransportCodeToHttp3(-1), { code: 'INVALID_PROPERTY' });
});

t.test('capsules: what Chromium sent, at every split, GREASE skipped', async (t) => {
  // Chromium's first bytes on the CONNECT stream (a GREASE capsule), then its close capsule
  // for `close({ closeCode: 42, reason: 'bye' })`.
  const grease = hex('ce56b2c6ce12fa81 09 c2db1d50ddef26f80e');
  const close = hex('6843 07 0000002a 627965');
  t.same(encodeCloseSession(42, 'bye'), close, 'we encode it the same way');
  const stream = Buffer.concat([grease, encodeCapsule(CAPSULE.DRAIN_WEBTRANSPORT_SESSION, new Uint8Array(0)), close]);
  for (let cut = 0; cut <= stream.length; cut++) {
    const reader = new CapsuleReader();
    const got = [...reader.push(stream.subarray(0, cut)), ...reader.push(stream.subarray(cut))];
    reader.end();
    t.same(got.map((c) => c.type), [CAPSULE.DRAIN_WEBTRANSPORT_SESSION, CAPSULE.CLOSE_WEBTRANSPORT_SESSION], `split at ${cut}`);
    t.same(decodeCloseSession(got[1]?.payload as Uint8Array), { code: 42, reason: 'bye' });
  }
  const bytewise = new CapsuleReader();
  const one: number[] = [];
  for (const b of stream) one.push(...bytewise.push(Uint8Array.of(b)).map((c) => c.type));
  t.same(one, [CAPSULE.DRAIN_WEBTRANSPORT_SESSION, CAPSULE.CLOSE_WEBTRANSPORT_SESSION], 'one byte at a time');
});

t.test('capsule errors are H3_MESSAGE_ERROR', async (t) => {
  const cut = new CapsuleReader();
  cut.push(hex('6843 07 0000'));
  t.throws(() => cut.end(), { code: 'PROTOCOL', h3Code: 0x10e }, 'the stream ended inside a capsule');
  t.throws(() => new CapsuleReader().push(hex('6843 4405') ), { code: 'PROTOCOL', h3Code: 0x10e }, 'a close capsule over 1028 bytes');
  t.throws(() => decodeCloseSession(Uint8Array.of(0, 0)), { code: 'PROTOCOL', h3Code: 0x10e });
  t.throws(() => decodeCloseSession(Uint8Array.of(0, 0, 0, 1, 0xff)), { code: 'PROTOCOL', h3Code: 0x10e }, 'not UTF-8');
  const long = new CapsuleReader().push(encodeCloseSession(1, 'ü'.repeat(600)));
  t.equal(long[0]?.payload.length, 4 + 1024, 'a long reason is cut to 1024 bytes');
  t.equal(decodeCloseSession(long[0]?.payload as Uint8Array).reason, 'ü'.repeat(512), 'on a character boundary');
});

t.test('stream headers and datagrams', async (t) => {
  t.same(streamHeader(0x41, 0), hex('4041 00'), 'bidi: 0x41 as a two-byte varint, then the session id');
  t.same(streamHeader(0x54, 4), hex('4054 04'));
  t.same(encodeHttpDatagram(0, Uint8Array.of(9, 9)), hex('00 0909'), 'what Chromium sent for session 0');
  t.same(encodeHttpDatagram(256, Uint8Array.of(1)), hex('4040 01'), 'quarter stream id 64 takes two bytes');
  t.same(decodeHttpDatagram(hex('4040 01')), { sessionId: 256, payload: Uint8Array.of(1) });
  t.equal(decodeHttpDatagram(hex('40')), undefined, 'truncated prefix');
});
