import t from 'tap';
import { SimpleBackend } from '../../../src/backends/simple-backend.js';
import { journalFor } from '../../../src/frontends/server/memory-journal.js';
import { serveStream, type ByteSink } from '../../../src/frontends/server/serve-stream.js';
import { WwatpSession } from '../../../src/frontends/server/session.js';
import { TreeNode } from '../../../src/tree/tree-node.js';
import { ChunkReader, encodeMessage } from '../../../src/transport/wwatp/chunk-codec.js';
import { encodePayload } from '../../../src/transport/wwatp/payloads.js';
import { Signal } from '../../../src/transport/wwatp/signals.js';

/** A client's request stream that sends `messages` and then stays open until `close()`. */
function openInput(messages: Uint8Array[]): { input: AsyncIterable<Uint8Array>; close: () => void } {
  let close!: () => void;
  const closed = new Promise<void>((resolve) => (close = resolve));
  async function* input(): AsyncGenerator<Uint8Array> {
    yield* messages;
    await closed;
  }
  return { input: input(), close };
}

t.test('with many subscribers, each push is on its way before the next subscriber\'s is written', async (t) => {
  const backend = new SimpleBackend();
  const journal = journalFor(backend);
  const log: string[] = [];
  const streams: Array<{ close: () => void; served: Promise<void> }> = [];
  for (let n = 0; n < 3; n++) {
    const session = new WwatpSession(backend, journal);
    // A listener per session, registered as a client would: then every write pushes to all three.
    await session.handle({ signal: Signal.REGISTER_LISTENER, requestId: 1, payload: encodePayload({ name: 'w', rule: 'watched', childNotify: true }) });
    const subscribe = encodeMessage(Signal.SUBSCRIBE, 2, encodePayload({ since: 0, bodies: 0 }));
    const { input, close } = openInput(subscribe);
    const sink: ByteSink = {
      write: () => {
        log.push(`write ${n}`);
        return Promise.resolve();
      },
      end: () => Promise.resolve(),
      sendNow: () => void log.push(`send ${n}`),
    };
    streams.push({ close, served: serveStream(session, input, sink, { maxMessageBytes: 1 << 20 }) });
  }
  // Each subscription's first push (its acknowledgement) goes out first.
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
  t.same(log.filter((l) => l.startsWith('write')).length, 3, 'every subscription acknowledged');
  log.length = 0;
  await backend.upsertNode([new TreeNode({ labelRule: 'watched/a', description: 'x' })]);
  await new Promise((resolve) => setImmediate(resolve));
  // Depth first: subscriber 0's push is written and sent, then subscriber 1's, then 2's.
  // Breadth first, every subscriber's push would be written before the first one left.
  t.same(log.slice(0, 6), ['write 0', 'send 0', 'write 1', 'send 1', 'write 2', 'send 2'], `pushes interleave with their sends (${log.join(', ')})`);
  for (const s of streams) s.close();
  await Promise.all(streams.map((s) => s.served));
});

t.test('a write that a cached subscriber both journals and watches reaches it in one write and one send', async (t) => {
  const backend = new SimpleBackend();
  const journal = journalFor(backend);
  const session = new WwatpSession(backend, journal);
  await session.handle({ signal: Signal.REGISTER_LISTENER, requestId: 1, payload: encodePayload({ name: 'w', rule: 'watched', childNotify: true }) });
  const { input, close } = openInput(encodeMessage(Signal.SUBSCRIBE, 2, encodePayload({ since: 0 })));
  const log: string[] = [];
  const written: Uint8Array[] = [];
  const sink: ByteSink = {
    write: (bytes) => {
      log.push('write');
      written.push(bytes.slice());
      return Promise.resolve();
    },
    end: () => Promise.resolve(),
    sendNow: () => void log.push('send'),
  };
  const served = serveStream(session, input, sink, { maxMessageBytes: 1 << 20 });
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
  log.length = 0;
  written.length = 0;
  await backend.upsertNode([new TreeNode({ labelRule: 'watched/a', description: 'x' })]);
  await new Promise((resolve) => setImmediate(resolve));
  t.same(log.slice(0, 2), ['write', 'send'], `the journal push and the listener push went out together (${log.join(', ')})`);
  t.equal(log.filter((l) => l === 'write').length, 1, 'in a single write');
  const signals: number[] = [];
  const reader = new ChunkReader();
  for (const bytes of written) for (const chunk of reader.push(bytes)) signals.push(chunk.signal);
  t.same(signals, [Signal.PUSH_JOURNAL, Signal.PUSH_LISTENER], 'journal entry first, then the listener event');
  close();
  await served;
});
