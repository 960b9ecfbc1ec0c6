import t from 'tap';
import { H3_ERROR } from '../../../src/transport/h3/errors.js';
import type { HeaderList } from '../../../src/transport/h3/headers.js';
import { decodeFieldSection } from '../../../src/transport/h3/qpack/decoder.js';
import { encodeFieldSection } from '../../../src/transport/h3/qpack/encoder.js';
import { STATIC_TABLE } from '../../../src/transport/h3/qpack/static-table.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const bytes = (h: string): Uint8Array => new Uint8Array(Buffer.from(h.replace(/\s/g, ''), 'hex'));

t.test('RFC 9204 Appendix B.1: literal with a static name reference', async (t) => {
  const encoded = encodeFieldSection([[':path', '/index.html']], { huffman: false });
  t.equal(hex(encoded), '0000510b2f696e6465782e68746d6c');
  t.same(decodeFieldSection(bytes('0000 510b 2f69 6e64 6578 2e68 746d 6c')), [[':path', '/index.html']]);
});

t.test('each representation, byte for byte', async (t) => {
  t.equal(hex(encodeFieldSection([[':method', 'GET']])), '0000d1', 'indexed static: 11 index(17)');
  t.equal(hex(encodeFieldSection([[':status', '200']])), '0000d9');
  t.equal(hex(encodeFieldSection([['x-frame-options', 'sameorigin']])), '0000ff23', 'index 98 needs a continuation byte');
  // Literal name, no Huffman: 001 N=0 H=0 len(3)=6 -> 0x26 then name; value 7-bit length.
  t.equal(hex(encodeFieldSection([['x-wwat', 'ab']], { huffman: false })), '000026782d77776174026162');
  // Length 7 fills the 3-bit prefix, so a zero continuation byte follows.
  t.equal(hex(encodeFieldSection([['x-wwatp', '']], { huffman: false })).slice(0, 8), '00002700');
  // Name length 8: 0x27 then 0x01.
  t.equal(hex(encodeFieldSection([['x-wwatp2', '']], { huffman: false })).slice(0, 8), '00002701');
  // With Huffman, 'www.example.com' shrinks from 15 to 12 bytes: H bit set, length 12.
  const coded = encodeFieldSection([[':authority', 'www.example.com']]);
  t.equal(hex(coded), '0000508c' + 'f1e3c2e5f23a6ba0ab90f4ff');
  // Huffman is skipped when it would not be shorter.
  t.equal(hex(encodeFieldSection([['x-a', '~~']])).includes('027e7e'), true);
});

t.test('a Chromium-like request round-trips', async (t) => {
  const request: HeaderList = [
    [':method', 'GET'], [':scheme', 'https'], [':authority', 'localhost:4433'], [':path', '/tree/lion?depth=2'],
    ['sec-ch-ua', '"Chromium";v="120", "Not?A_Brand";v="24"'], ['sec-ch-ua-mobile', '?0'],
    ['user-agent', 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36'],
    ['accept', '*/*'], ['accept-encoding', 'gzip, deflate, br'], ['accept-language', 'en-US,en;q=0.9'],
    ['priority', 'u=1, i'], ['cookie', 'a=1'], ['cookie', 'b=2'],
  ];
  const encoded = encodeFieldSection(request);
  t.same(decodeFieldSection(encoded), request);
  t.ok(encoded.length < 250, `compact (${encoded.length} bytes)`);
  t.same(decodeFieldSection(encodeFieldSection(request, { huffman: false })), request);
});

t.test('all static entries round-trip, exact and with other values', async (t) => {
  for (const [name, value] of STATIC_TABLE) {
    const list: HeaderList = [[name, value], [name, `${value}x`], [name, '']];
    t.same(decodeFieldSection(encodeFieldSection(list)), list);
  }
});

function randomText(max: number, alphabet: string | undefined): string {
  let s = '';
  const n = Math.floor(Math.random() * max);
  for (let i = 0; i < n; i++) {
    s += alphabet === undefined
      ? String.fromCharCode(32 + Math.floor(Math.random() * 224))
      : alphabet[Math.floor(Math.random() * alphabet.length)];
  }
  return s;
}

t.test('random header lists round-trip', async (t) => {
  const nameChars = "abcdefghijklmnopqrstuvwxyz0123456789-_!#$%&'*+.^`|~";
  for (let i = 0; i < 300; i++) {
    const list: [string, string][] = [];
    const count = Math.floor(Math.random() * 20);
    for (let j = 0; j < count; j++) {
      const fromTable = STATIC_TABLE[Math.floor(Math.random() * STATIC_TABLE.length)] as readonly [string, string];
      const name = Math.random() < 0.5 ? fromTable[0] : `x-${randomText(30, nameChars)}`;
      const value = Math.random() < 0.2 ? fromTable[1] : randomText(100, Math.random() < 0.5 ? undefined : 'abc/=:0123456789');
      list.push([name, value]);
    }
    const huffman = Math.random() < 0.8;
    const decoded = decodeFieldSection(encodeFieldSection(list, { huffman }));
    if (JSON.stringify(decoded) !== JSON.stringify(list)) t.fail(`round trip of ${JSON.stringify(list)}`);
  }
  t.pass('300 lists');
});

t.test('decoding rejects the dynamic table and malformed input with QPACK_DECOMPRESSION_FAILED', async (t) => {
  const failed = { code: 'PROTOCOL', h3Code: H3_ERROR.QPACK_DECOMPRESSION_FAILED, scope: 'connection' };
  const bad: [string, string][] = [
    ['', 'empty block: no prefix'],
    ['00', 'prefix cut after Required Insert Count'],
    ['0100', 'Required Insert Count 1 with capacity 0'],
    ['0080', 'Sign bit with Required Insert Count 0 (negative Base)'],
    ['000080', 'indexed field line, dynamic (T=0)'],
    ['000010', 'indexed field line with post-base index'],
    ['000000', 'literal with post-base name reference'],
    ['0000410161', 'literal with a dynamic name reference (T=0)'],
    ['0000ff24', 'static index 99, past the table'],
    ['0000ff', 'indexed field line with a truncated index'],
    ['0000510b2f69', 'value shorter than its length'],
    ['000051', 'value length missing'],
    ['000023616263', 'literal name then no value'],
    ['00005181ff', 'Huffman value that is all padding (8 bits)'],
    ['000051840fffffff', 'Huffman value with EOS'],
    ['00005181 18', 'Huffman value with zero padding'],
    ['0000 5f ffffffffffffffffff7f', 'name index integer overflow'],
    ['00ff ffffffffffffffffff7f', 'Required Insert Count overflow'],
  ];
  for (const [block, why] of bad) t.throws(() => decodeFieldSection(bytes(block)), failed, why);
  t.same(decodeFieldSection(bytes('0000')), [], 'an empty field section is fine');
  t.same(decodeFieldSection(bytes('0005d1')), [[':method', 'GET']], 'any Base is fine with Required Insert Count 0');
});

t.test('the decoded size limit is H3_EXCESSIVE_LOAD on the stream', async (t) => {
  const list: HeaderList = [['x-big', 'v'.repeat(100)]];
  const block = encodeFieldSection(list);
  t.same(decodeFieldSection(block, { maxFieldSectionSize: 137 }), list, '5 + 100 + 32 fits exactly');
  t.throws(() => decodeFieldSection(block, { maxFieldSectionSize: 136 }), { code: 'PROTOCOL', h3Code: H3_ERROR.H3_EXCESSIVE_LOAD, scope: 'stream' });
});

t.test('latin1 values survive; text above U+00FF is refused', async (t) => {
  const list: HeaderList = [['x-bytes', '\u00e9\u00ff\u0080 caf\u00e9']];
  t.same(decodeFieldSection(encodeFieldSection(list)), list);
  t.throws(() => encodeFieldSection([['x-emoji', '\u{1F333}']]), { code: 'PROTOCOL', h3Code: H3_ERROR.H3_MESSAGE_ERROR });
});

t.test('a field section decoded again (from the cache) is the same, and still size-checked', async (t) => {
  const fields: Array<[string, string]> = [[':method', 'POST'], [':path', '/wwatp'], ['x-cached', 'a value long enough to be Huffman coded']];
  const block = encodeFieldSection(fields);
  t.same(decodeFieldSection(block), fields);
  t.same(decodeFieldSection(block.slice()), fields, 'equal bytes elsewhere decode the same');
  t.throws(() => decodeFieldSection(block, { maxFieldSectionSize: 40 }), { code: 'PROTOCOL', h3Code: H3_ERROR.H3_EXCESSIVE_LOAD, scope: 'stream' });
  const other = encodeFieldSection([[':method', 'GET'], ...fields.slice(1)]);
  t.same(decodeFieldSection(other)[0], [':method', 'GET'], 'a different section is not confused with it');
});
