import t from 'tap';
import { H3_ERROR } from '../../../src/transport/h3/errors.js';
import { encodeSettingsPayload, H3Settings, parseSettingsPayload, SETTING } from '../../../src/transport/h3/settings.js';
import { concatBytes } from '../../../src/transport/bytes.js';
import { encodeVarint, MAX_VARINT } from '../../../src/transport/varint.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const pairs = (...values: (number | bigint)[]): Uint8Array => concatBytes(values.map((v) => encodeVarint(v)));

t.test('identifiers', async (t) => {
  t.same(SETTING, {
    QPACK_MAX_TABLE_CAPACITY: 0x1, MAX_FIELD_SECTION_SIZE: 0x6, QPACK_BLOCKED_STREAMS: 0x7,
    ENABLE_CONNECT_PROTOCOL: 0x8, H3_DATAGRAM: 0x33, ENABLE_WEBTRANSPORT: 0x2b603742,
  });
});

t.test('encode and parse round-trip, keeping unknown and extension settings', async (t) => {
  const settings = new H3Settings([[SETTING.QPACK_MAX_TABLE_CAPACITY, 0], [SETTING.MAX_FIELD_SECTION_SIZE, 65536]]);
  settings.set(SETTING.ENABLE_CONNECT_PROTOCOL, 1).set(SETTING.H3_DATAGRAM, 1).set(SETTING.ENABLE_WEBTRANSPORT, 1);
  settings.set(0x1f * 7 + 0x21, 12345);
  settings.set(0x5a5a, MAX_VARINT);
  const payload = encodeSettingsPayload(settings);
  t.equal(hex(payload).slice(0, 14), '01000680010000', 'capacity 0, then max field section size 65536');
  const parsed = parseSettingsPayload(payload);
  t.same([...parsed.entries()], [...settings.entries()]);
  t.equal(parsed.qpackMaxTableCapacity, 0);
  t.equal(parsed.maxFieldSectionSize, 65536);
  t.equal(parsed.enableConnectProtocol, true);
  t.equal(parsed.h3Datagram, true);
  t.equal(parsed.enableWebTransport, true);
  t.equal(parsed.get(0x5a5a), MAX_VARINT);
  t.equal(parsed.known().length, 6, 'GREASE setting filtered from known()');
});

t.test('defaults of absent settings', async (t) => {
  const none = parseSettingsPayload(new Uint8Array(0));
  t.equal(none.size, 0);
  t.equal(none.qpackMaxTableCapacity, 0);
  t.equal(none.maxFieldSectionSize, Number.POSITIVE_INFINITY);
  t.equal(none.qpackBlockedStreams, 0);
  t.equal(none.enableConnectProtocol, false);
  t.equal(none.h3Datagram, false);
  t.equal(none.enableWebTransport, false);
});

t.test('Chromium-style SETTINGS with a GREASE entry parse', async (t) => {
  // QPACK capacity 64 KiB, max field section 256 KiB, blocked streams 100, H3_DATAGRAM 1, then GREASE.
  const payload = pairs(0x1, 65536, 0x6, 262144, 0x7, 100, 0x33, 1, 0x1f * 0x12345678 + 0x21, 0x3c3c);
  const parsed = parseSettingsPayload(payload);
  t.equal(parsed.qpackMaxTableCapacity, 65536);
  t.equal(parsed.maxFieldSectionSize, 262144);
  t.equal(parsed.qpackBlockedStreams, 100);
  t.equal(parsed.h3Datagram, true);
});

t.test('errors', async (t) => {
  const settingsError = { code: 'PROTOCOL', h3Code: H3_ERROR.H3_SETTINGS_ERROR, scope: 'connection' };
  t.throws(() => parseSettingsPayload(pairs(0x6, 1, 0x6, 2)), settingsError, 'duplicate');
  t.throws(() => parseSettingsPayload(pairs(0x21, 1, 0x21, 1)), settingsError, 'duplicate unknown');
  for (const id of [0x2, 0x3, 0x4, 0x5]) t.throws(() => parseSettingsPayload(pairs(id, 0)), settingsError, `HTTP/2 setting 0x${id}`);
  t.throws(() => parseSettingsPayload(pairs(0x8, 2)), settingsError, 'ENABLE_CONNECT_PROTOCOL must be 0 or 1');
  t.throws(() => parseSettingsPayload(pairs(0x33, 7)), settingsError, 'H3_DATAGRAM must be 0 or 1');
  t.throws(() => parseSettingsPayload(pairs(0x6)), { code: 'PROTOCOL', h3Code: H3_ERROR.H3_FRAME_ERROR }, 'identifier without value');
  t.throws(() => parseSettingsPayload(new Uint8Array([0x06, 0x40])), { code: 'PROTOCOL', h3Code: H3_ERROR.H3_FRAME_ERROR }, 'value cut short');
  t.throws(() => encodeSettingsPayload(new H3Settings([[0x4, 1]])), settingsError, 'we never send HTTP/2 settings');
});
