import t from 'tap';
import { HUFFMAN_CODES, HUFFMAN_DECODE } from '../../../src/transport/h3/qpack/huffman-codes.js';
import { HUFFMAN_CODE_LENGTHS } from '../../../src/transport/h3/qpack/huffman-table.js';
import { huffmanDecode, huffmanEncode, huffmanEncodedLength } from '../../../src/transport/h3/qpack/huffman.js';
import { QpackFormatError } from '../../../src/transport/h3/qpack/format-error.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const bytes = (h: string): Uint8Array => new Uint8Array(Buffer.from(h.replace(/\s/g, ''), 'hex'));
const ascii = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));

t.test('the code is complete and matches codes printed in RFC 7541 Appendix B', async (t) => {
  t.equal(HUFFMAN_CODE_LENGTHS.length, 257);
  let kraft = 0;
  for (const len of HUFFMAN_CODE_LENGTHS) kraft += 2 ** -len;
  t.equal(kraft, 1, 'Kraft sum is exactly 1: a complete prefix code');
  // Spot checks across every code length, typed from the RFC's table.
  const printed: [symbol: number, code: number, bits: number][] = [
    [48, 0x0, 5], [97, 0x3, 5], [116, 0x9, 5], [32, 0x14, 6], [57, 0x1f, 6], [58, 0x5c, 7], [122, 0x7b, 7],
    [38, 0xf8, 8], [90, 0xfd, 8], [33, 0x3f8, 10], [63, 0x3fc, 10], [39, 0x7fa, 11], [124, 0x7fc, 11],
    [35, 0xffa, 12], [62, 0xffb, 12], [0, 0x1ff8, 13], [126, 0x1ffd, 13], [94, 0x3ffc, 14], [125, 0x3ffd, 14],
    [60, 0x7ffc, 15], [123, 0x7ffe, 15], [92, 0x7fff0, 19], [208, 0x7fff2, 19], [128, 0xfffe6, 20],
    [226, 0xfffed, 20], [153, 0x1fffdc, 21], [230, 0x1fffe8, 21], [129, 0x3fffd2, 22], [233, 0x3fffeb, 22],
    [1, 0x7fffd8, 23], [239, 0x7ffff4, 23], [9, 0xffffea, 24], [237, 0xfffff5, 24], [199, 0x1ffffec, 25],
    [235, 0x1ffffef, 25], [192, 0x3ffffe0, 26], [255, 0x3ffffee, 26], [203, 0x7ffffde, 27], [254, 0x7fffff0, 27],
    [2, 0xfffffe2, 28], [127, 0xffffffc, 28], [220, 0xffffffd, 28], [249, 0xffffffe, 28], [10, 0x3ffffffc, 30],
    [13, 0x3ffffffd, 30], [22, 0x3ffffffe, 30], [256, 0x3fffffff, 30],
  ];
  for (const [sym, code, bits] of printed) {
    t.equal(HUFFMAN_CODE_LENGTHS[sym], bits, `length of symbol ${sym}`);
    t.equal(HUFFMAN_CODES[sym], code, `code of symbol ${sym}`);
  }
  t.equal(HUFFMAN_DECODE.next.length, 256 * 16, '256 internal nodes, 16 nibble transitions each');
});

// RFC 7541 Appendix C.4 and C.6 (Huffman-coded literals).
const EXAMPLES: [string, string][] = [
  ['www.example.com', 'f1e3 c2e5 f23a 6ba0 ab90 f4ff'],
  ['no-cache', 'a8eb 1064 9cbf'],
  ['custom-key', '25a8 49e9 5ba9 7d7f'],
  ['custom-value', '25a8 49e9 5bb8 e8b4 bf'],
  ['302', '6402'],
  ['private', 'aec3 771a 4b'],
  ['Mon, 21 Oct 2013 20:13:21 GMT', 'd07a be94 1054 d444 a820 0595 040b 8166 e082 a62d 1bff'],
  ['https://www.example.com', '9d29 ad17 1863 c78f 0b97 c8e9 ae82 ae43 d3'],
  ['307', '640e ff'],
  ['Mon, 21 Oct 2013 20:13:22 GMT', 'd07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff'],
  ['gzip', '9bd9 ab'],
  ['foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1',
    '94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07'],
];

t.test('RFC 7541 Appendix C examples encode and decode', async (t) => {
  for (const [text, coded] of EXAMPLES) {
    t.equal(hex(huffmanEncode(ascii(text))), coded.replace(/\s/g, ''), `encode ${text}`);
    t.equal(Buffer.from(huffmanDecode(bytes(coded))).toString('latin1'), text, `decode ${text}`);
    t.equal(huffmanEncodedLength(ascii(text)), bytes(coded).length);
  }
});

t.test('decoding rejects EOS and bad padding (RFC 7541 §5.2)', async (t) => {
  t.throws(() => huffmanDecode(bytes('ffffffff')), QpackFormatError, 'EOS (30 ones) inside the string');
  t.throws(() => huffmanDecode(bytes('1fff')), QpackFormatError, "'a' then 11 bits of padding");
  t.throws(() => huffmanDecode(bytes('18')), QpackFormatError, "'a' then padding of zeros");
  t.throws(() => huffmanDecode(bytes('1e')), QpackFormatError, "'a' then padding 110, not all ones");
  t.throws(() => huffmanDecode(bytes('ff')), QpackFormatError, 'a whole byte of padding');
  t.throws(() => huffmanDecode(bytes('07ff')), QpackFormatError, "'0' then 11 bits of padding");
  t.equal(Buffer.from(huffmanDecode(bytes('1f'))).toString(), 'a', "'a' then 111");
  t.equal(Buffer.from(huffmanDecode(bytes('07'))).toString(), '0');
  t.equal(huffmanDecode(new Uint8Array(0)).length, 0);
  // A 28-bit code followed by 4 padding ones: legal.
  t.same([...huffmanDecode(huffmanEncode(new Uint8Array([2])))], [2]);
});

t.test('random byte strings round-trip', async (t) => {
  for (let i = 0; i < 500; i++) {
    const input = new Uint8Array(Math.floor(Math.random() * 64));
    for (let j = 0; j < input.length; j++) input[j] = Math.floor(Math.random() * 256);
    const coded = huffmanEncode(input);
    t.equal(coded.length, huffmanEncodedLength(input));
    if (hex(huffmanDecode(coded)) !== hex(input)) t.fail(`round trip of ${hex(input)}`);
  }
  const every = Uint8Array.from({ length: 256 }, (_, i) => i);
  t.same([...huffmanDecode(huffmanEncode(every))], [...every], 'all 256 symbols');
});
