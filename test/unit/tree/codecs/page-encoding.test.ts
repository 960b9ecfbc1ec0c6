import t, { type Test } from 'tap';
import { TreeNode, WwatpError } from '../../../../src/tree/index.js';
import { ByteWriter } from '../../../../src/tree/codecs/bytes.js';
import { crc32 } from '../../../../src/tree/codecs/crc32.js';
import { decodePage, encodePage } from '../../../../src/tree/codecs/page-encoding.js';
import { prng, randomNode, randomTree, sameNodes } from './fixtures/random-nodes.js';

const hex = (s: string): Uint8Array => Uint8Array.from(s.replace(/\s+/g, '').match(/../g) ?? [], (b) => parseInt(b, 16));

// The fields of TreeNode({ labelRule: 'a', description: 'd' }), byte by byte.
const TINY_FIELDS = hex(`
  01000000 61   01000000 64   00 00   00000000
  0000 00010000 07000000 64656661756c74  00 00 00 00
  00000000   00000000`);

function page(...records: Uint8Array[]): Uint8Array {
  const w = new ByteWriter(1 << 16);
  w.u32(records.length);
  for (const r of records) w.u32(r.length).raw(r);
  return w.finish();
}

function patched(bytes: Uint8Array, at: number, ...values: number[]): Uint8Array {
  const copy = bytes.slice();
  copy.set(values, at);
  return copy;
}

function rejects(t: Test, bytes: Uint8Array, code: string, what: string, datagram = false): void {
  t.throws(() => decodePage(bytes, { datagram }), { name: 'WwatpError', code }, what);
}

t.test('the byte layout matches the documented format', async (t) => {
  const tiny = new TreeNode({ labelRule: 'a', description: 'd' });
  t.same(encodePage([tiny]), page(TINY_FIELDS));
  t.same(encodePage([]), hex('00000000'));
  const decoded = decodePage(page(TINY_FIELDS, TINY_FIELDS));
  t.equal(decoded.length, 2);
  t.ok(decoded[0]?.equals(tiny));

  const dg = encodePage([tiny], { datagram: true });
  t.equal(dg.length, 4 + 4 + 20 + TINY_FIELDS.length);
  const view = new DataView(dg.buffer, dg.byteOffset);
  t.equal(view.getUint32(4, true), 20 + TINY_FIELDS.length, 'record length counts uuid and checksum');
  t.same(dg.subarray(28), TINY_FIELDS);
  t.equal(view.getUint32(24, true), crc32(dg.subarray(28), crc32(dg.subarray(8, 24))), 'CRC-32 covers uuid and fields');
  t.equal(dg[8 + 6]! >> 4, 4, 'the uuid is a version 4 uuid');
  const again = encodePage([tiny], { datagram: true });
  t.not(Buffer.from(again.subarray(8, 24)).toString('hex'), Buffer.from(dg.subarray(8, 24)).toString('hex'), 'uuids are random');
});

t.test('random nodes round trip in both modes', async (t) => {
  const rand = prng(1);
  for (const datagram of [false, true]) {
    for (let round = 0; round < 40; round++) {
      const nodes = randomTree(rand, Math.floor(rand() * 12));
      const decoded = decodePage(encodePage(nodes, { datagram }), { datagram });
      const problem = sameNodes(decoded, nodes);
      if (problem) t.fail(`round ${round} datagram=${datagram}: ${problem}`);
      t.same(decoded.map((n) => n.labelRule), nodes.map((n) => n.labelRule), 'order is kept');
    }
  }
});

t.test('decoded nodes do not share memory with the input', async (t) => {
  const node = new TreeNode({ labelRule: 'x' });
  node.insertProperty('b', 'bytes', new Uint8Array([1, 2, 3]));
  const bytes = encodePage([node]);
  const [decoded] = decodePage(bytes);
  bytes.fill(0);
  t.same(decoded?.getProperty('b'), new Uint8Array([1, 2, 3]));
});

t.test('every truncation is MALFORMED', async (t) => {
  const rand = prng(2);
  const nodes = [randomNode(rand, 'a'), new TreeNode({ labelRule: 'b/c', description: 'ü', queryHowTo: '', version: { collisionDepth: 3 } })];
  for (const datagram of [false, true]) {
    const bytes = encodePage(nodes, { datagram });
    for (let n = 0; n < bytes.length; n++) {
      try {
        decodePage(bytes.subarray(0, n), { datagram });
        t.fail(`prefix ${n} decoded`);
      } catch (error) {
        if (!WwatpError.is(error, 'MALFORMED')) t.fail(`prefix ${n}: ${String(error)}`);
      }
    }
    rejects(t, Uint8Array.from([...bytes, 0]), 'MALFORMED', 'a trailing byte', datagram);
  }
  t.pass('checked every prefix');
});

t.test('a flipped byte in datagram mode is MALFORMED', async (t) => {
  const bytes = encodePage([new TreeNode({ labelRule: 'lion', description: 'King' }), randomNode(prng(3), 'x')], { datagram: true });
  for (let i = 0; i < bytes.length; i++) {
    for (const mask of [0xff, 0x01, 0x80]) {
      const copy = bytes.slice();
      copy[i]! ^= mask;
      try {
        decodePage(copy, { datagram: true });
        t.fail(`flip at ${i} decoded`);
      } catch (error) {
        if (!WwatpError.is(error, 'MALFORMED')) t.fail(`flip at ${i}: ${String(error)}`);
      }
    }
  }
  t.throws(() => decodePage(encodePage([new TreeNode({ labelRule: 'a' })]), { datagram: true }), { code: 'MALFORMED' }, 'a plain page is not a datagram page');
});

t.test('defects in a record keep precise codes', async (t) => {
  rejects(t, page(patched(TINY_FIELDS, 4, 0xff)), 'MALFORMED', 'invalid UTF-8 in the label');
  rejects(t, page(patched(TINY_FIELDS, 4, 0x20)), 'INVALID_LABEL', 'whitespace label');
  rejects(t, page(patched(TINY_FIELDS, 10, 2)), 'MALFORMED', 'presence byte 2');
  rejects(t, page(patched(TINY_FIELDS, 12, 0xff, 0xff, 0xff, 0xff)), 'MALFORMED', 'property count too large');
  rejects(t, page(patched(TINY_FIELDS, 37, 5)), 'MALFORMED', 'child count too large');
  rejects(t, page(patched(TINY_FIELDS, 16, 0x2c, 0x01)), 'INVALID_NODE', 'version number over max');
  rejects(t, page(patched(TINY_FIELDS, 41, 1)), 'MALFORMED', 'contents longer than the record');
  rejects(t, page(Uint8Array.from([...TINY_FIELDS, 0])), 'MALFORMED', 'a byte left in the record');
  rejects(t, patched(page(TINY_FIELDS), 0, 2), 'MALFORMED', 'node count too large');
  rejects(t, patched(page(TINY_FIELDS), 0, 0xff, 0xff, 0xff, 0x7f), 'MALFORMED', 'huge node count');

  const withProperty = (type: string, contents: Uint8Array): Uint8Array => {
    const w = new ByteWriter(1024);
    w.lvString('a').lvString('').u8(0).u8(0).u32(1).lvString(type).lvString('p');
    w.u16(0).u32(256).lvString('default').u8(0).u8(0).u8(0).u8(0).u32(0).lv(contents);
    return w.finish();
  };
  t.ok(decodePage(page(withProperty('int64', new Uint8Array(8))))[0]?.hasProperty('p'));
  rejects(t, page(withProperty('nope', new Uint8Array(8))), 'INVALID_PROPERTY', 'unknown property type');
  rejects(t, page(withProperty('int64', new Uint8Array(3))), 'MALFORMED', 'contents too short for the properties');
  // Contents are opaque bytes to the page layer, as to the node model: a bad string payload fails on read.
  const [odd] = decodePage(page(withProperty('string', hex('01000000ff'))));
  t.throws(() => odd?.getProperty('p'), { code: 'MALFORMED' }, 'invalid UTF-8 in a string property is caught on read');
  t.equal(decodePage(page(Uint8Array.from([...TINY_FIELDS.subarray(0, 5), 3, 0, 0, 0, 0xef, 0xbb, 0xbf, ...TINY_FIELDS.subarray(10)])))[0]?.description, '\ufeff', 'a leading BOM is text');
  t.throws(() => decodePage('x' as unknown as Uint8Array), { code: 'MALFORMED' });
});

t.test('maxContentBytes', async (t) => {
  const node = new TreeNode({ labelRule: 'big' });
  node.insertProperty('b', 'bytes', new Uint8Array(96));
  const bytes = encodePage([node]);
  t.equal(decodePage(bytes, { maxContentBytes: 100 }).length, 1);
  t.throws(() => decodePage(bytes, { maxContentBytes: 99 }), { code: 'TOO_LARGE' });
});

t.test('garbage is a WwatpError, never another exception', async (t) => {
  const rand = prng(4);
  const valid = encodePage(randomTree(rand, 6));
  let decoded = 0;
  for (let i = 0; i < 4000; i++) {
    let bytes: Uint8Array;
    if (i % 2 === 0) {
      bytes = Uint8Array.from({ length: Math.floor(rand() * 120) }, () => Math.floor(rand() * 256));
      // Often make the header plausible so parsing reaches the fields.
      if (bytes.length >= 8 && rand() < 0.7) new DataView(bytes.buffer).setUint32(0, 1, true);
      if (bytes.length >= 8 && rand() < 0.7) new DataView(bytes.buffer).setUint32(4, bytes.length - 8, true);
    } else {
      bytes = valid.slice();
      for (let k = 1 + Math.floor(rand() * 3); k > 0; k--) bytes[Math.floor(rand() * bytes.length)] = Math.floor(rand() * 256);
    }
    try {
      decodePage(bytes, { datagram: i % 3 === 0 });
      decoded++;
    } catch (error) {
      if (!(error instanceof WwatpError)) {
        t.fail(`case ${i} threw ${String(error)}`);
        break;
      }
    }
  }
  t.pass(`${decoded} mutated inputs still decoded; the rest were WwatpErrors`);
});
