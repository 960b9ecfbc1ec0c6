import t from 'tap';
import { ChunkReader, encodeMessage, encodeMessageBytes, MAX_CHUNK_PAYLOAD } from '../../../src/transport/wwatp/chunk-codec.js';
import { MessageAssembler } from '../../../src/transport/wwatp/message-assembler.js';

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

t.test('messages survive any split of the stream and interleave by request id', async (t) => {
  const big = Uint8Array.from({ length: 200_000 }, (_, i) => i & 0xff);
  const a = encodeMessage(0x09, 1, big);
  const b = encodeMessage(0x07, 2, Uint8Array.of(1, 2, 3));
  t.equal(a.length, Math.ceil(big.length / MAX_CHUNK_PAYLOAD), 'a large message spans several chunks');
  const interleaved = concat([a[0] as Uint8Array, ...b, ...a.slice(1)]);
  for (const step of [1, 7, 1000, interleaved.length]) {
    const reader = new ChunkReader();
    const assembler = new MessageAssembler(1 << 20);
    const messages = [];
    for (let at = 0; at < interleaved.length; at += step) {
      for (const chunk of reader.push(interleaved.subarray(at, at + step))) {
        const m = assembler.add(chunk);
        if (m) messages.push(m);
      }
    }
    t.equal(reader.pending, 0);
    t.same(messages.map((m) => [m.signal, m.requestId, m.payload.length]), [[0x07, 2, 3], [0x09, 1, big.length]], `read ${step} bytes at a time`);
    // Buffer.equals, not t.same: tap's deep compare of 200 KB is slow.
    t.ok(Buffer.from(messages[1]?.payload ?? []).equals(big), 'payload intact');
  }
});

t.test('an empty payload is one chunk with FIN', async (t) => {
  const chunks = encodeMessage(0x01, 0, new Uint8Array(0));
  t.equal(chunks.length, 1);
  const [chunk] = new ChunkReader().push(chunks[0] as Uint8Array);
  t.same(chunk && { fin: chunk.fin, len: chunk.payload.length }, { fin: true, len: 0 });
});

t.test('malformed chunk streams are PROTOCOL or TOO_LARGE errors, never crashes', async (t) => {
  t.throws(() => new ChunkReader().push(Uint8Array.of(0x07, 0x01, 0x80, 0x00)), { code: 'PROTOCOL' }, 'unknown flag bits');
  // A varint length of 2^30 (4-byte form) is far over the chunk limit.
  t.throws(() => new ChunkReader().push(Uint8Array.of(0x07, 0x01, 0x01, 0xc0, 0, 0, 0, 0x40, 0, 0, 0)), { code: 'PROTOCOL' }, 'oversized chunk');
  t.throws(() => new ChunkReader().push(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)), { code: 'PROTOCOL' }, 'varint past 2^53');
  const truncated = new ChunkReader();
  t.same(truncated.push(encodeMessage(0x07, 1, Uint8Array.of(1, 2, 3))[0]?.subarray(0, 5) as Uint8Array), []);
  t.ok(truncated.pending > 0, 'a truncated chunk is held, so the end of stream can be detected');
  const assembler = new MessageAssembler(100);
  const parts = encodeMessage(0x09, 3, new Uint8Array(300), 64);
  t.throws(() => parts.forEach((p) => new ChunkReader().push(p).forEach((c) => assembler.add(c))), { code: 'TOO_LARGE' });
  const mixed = new MessageAssembler(1000);
  const [first] = new ChunkReader().push((encodeMessage(0x09, 5, new Uint8Array(100), 50)[0]) as Uint8Array);
  mixed.add(first as never);
  const [other] = new ChunkReader().push(encodeMessage(0x0b, 5, new Uint8Array(10))[0] as Uint8Array);
  t.throws(() => mixed.add(other as never), { code: 'PROTOCOL' }, 'a request id cannot change signal mid-message');
});

t.test('random garbage never throws anything but a WwatpError', async (t) => {
  let x = 12345;
  const rand = (): number => ((x = (x * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
  let other = 0;
  for (let round = 0; round < 2000; round++) {
    const bytes = Uint8Array.from({ length: 1 + (rand() % 64) }, rand);
    try {
      const assembler = new MessageAssembler(1 << 16);
      for (const chunk of new ChunkReader().push(bytes)) assembler.add(chunk);
    } catch (error) {
      if (!(error instanceof Error && 'code' in error)) other++;
    }
  }
  t.equal(other, 0);
});

t.test('a chunk that spans reads comes as the reads\' own bytes, joined only when asked', async (t) => {
  const payload = Uint8Array.from({ length: 3000 }, (_, i) => (i * 7) & 0xff);
  const [whole] = encodeMessage(0x09, 4, payload);
  const bytes = whole as Uint8Array;
  const reader = new ChunkReader();
  t.same(reader.push(bytes.subarray(0, 1000)), [], 'not complete yet');
  t.same(reader.push(bytes.subarray(1000, 2000)), []);
  const [chunk] = reader.push(bytes.subarray(2000));
  t.equal(chunk?.size, 3000);
  t.ok((chunk?.parts?.length ?? 0) >= 3, 'three reads, three parts');
  t.equal(chunk?.parts?.[2]?.buffer, bytes.buffer, 'views of what was read, not copies');
  t.ok(Buffer.from(chunk?.payload ?? []).equals(payload), 'payload joins them');
  const [inOne] = new ChunkReader().push(bytes);
  t.equal(inOne?.parts, undefined, 'a chunk inside one read is a plain view');
  t.equal(inOne?.payload.buffer, bytes.buffer);
});

t.test('encodeMessageBytes: the same bytes as the chunks, large parts as views of the payload', async (t) => {
  for (const size of [0, 5, 16 * 1024 - 1, 16 * 1024, MAX_CHUNK_PAYLOAD, MAX_CHUNK_PAYLOAD + 1, 200_000]) {
    const payload = Uint8Array.from({ length: size }, (_, i) => (i * 7) & 0xff);
    const parts = encodeMessageBytes(0x09, 300, payload);
    t.ok(Buffer.from(concat(parts)).equals(Buffer.from(concat(encodeMessage(0x09, 300, payload)))), `${size} bytes`);
    const views = parts.filter((p) => p.buffer === payload.buffer);
    t.equal(views.reduce((n, p) => n + p.length, 0), size >= 16 * 1024 ? size - (size % MAX_CHUNK_PAYLOAD < 16 * 1024 ? size % MAX_CHUNK_PAYLOAD : 0) : 0, `${size} bytes: large parts not copied`);
  }
});
