import t from 'tap';
import { H3BodyWriter } from '../../../src/transport/h3/body-writer.js';
import { H3Error } from '../../../src/transport/h3/errors.js';
import { QuicStreamAbortedError } from '../../../src/transport/quic/errors.js';
import type { QuicWritable } from '../../../src/transport/quic/types.js';

/** A stream end that records what reaches it; `failNext` injects a refused write. */
class RecordingStream implements QuicWritable {
  readonly log: string[] = [];
  failNext = false;
  #settle: Array<() => void> = [];
  /** When set, writes stay pending until release() (a stream with no room). */
  hold = false;

  write(bytes: Uint8Array): Promise<void> {
    this.log.push(`write ${bytes.length}`);
    if (this.failNext) {
      this.failNext = false;
      return Promise.reject(new QuicStreamAbortedError(0, 'stopped', 5));
    }
    if (!this.hold) return Promise.resolve();
    return new Promise((resolve) => this.#settle.push(resolve));
  }
  end(): Promise<void> {
    this.log.push('fin');
    return Promise.resolve();
  }
  reset(code: number): void {
    this.log.push(`reset ${code}`);
  }
  release(): void {
    this.hold = false;
    for (const settle of this.#settle.splice(0)) settle();
  }
}

function writerOn(stream: RecordingStream): H3BodyWriter {
  return new H3BodyWriter(stream, { huffman: false, peerMaxFieldSectionSize: () => Infinity });
}

t.test('a write to an idle stream reaches it before write() returns', async (t) => {
  const stream = new RecordingStream();
  const writer = writerOn(stream);
  const head = writer.writeHeaders([[':status', '200']]);
  t.same(stream.log.length, 1, 'HEADERS handed over at once');
  await head;
  const data = writer.write(new Uint8Array(10));
  t.same(stream.log, [stream.log[0], 'write 12'], 'the DATA frame (2-byte header + 10) is on the stream already');
  await data;
});

t.test('writes made while one is pending queue behind it, in order', async (t) => {
  const stream = new RecordingStream();
  const writer = writerOn(stream);
  await writer.writeHeaders([[':status', '200']]);
  stream.log.length = 0;
  stream.hold = true;
  const first = writer.write(new Uint8Array(1));
  const second = writer.write(new Uint8Array(2));
  const third = writer.write(new Uint8Array(3));
  t.same(stream.log, ['write 3'], 'only the first reached the stream');
  stream.release();
  await Promise.all([first, second, third]);
  t.same(stream.log, ['write 3', 'write 4', 'write 5'], 'the rest followed in order');
  // Idle again: the next write goes straight through.
  void writer.write(new Uint8Array(4));
  t.same(stream.log.at(-1), 'write 6');
});

t.test('after a refused write, later writes fail without reaching the stream', async (t) => {
  const stream = new RecordingStream();
  const writer = writerOn(stream);
  await writer.writeHeaders([[':status', '200']]);
  stream.log.length = 0;
  stream.failNext = true;
  const refused = writer.write(new Uint8Array(1));
  const error = await refused.then(() => undefined, (e: unknown) => e);
  t.ok(error instanceof H3Error && error.h3Code === 5, 'the peer stopping the stream surfaces as an H3Error with its code');
  const later = writer.write(new Uint8Array(2));
  await t.rejects(later);
  t.same(stream.log, ['write 3'], 'nothing written after the failure');
});
