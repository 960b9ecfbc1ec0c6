import { WwatpError } from '../../tree/errors.js';
import { ChunkReader, encodeMessage } from '../../transport/wwatp/chunk-codec.js';
import { MessageAssembler } from '../../transport/wwatp/message-assembler.js';
import { Signal } from '../../transport/wwatp/signals.js';
import { decodePayload, encodePayload, errorToWire, field } from '../../transport/wwatp/payloads.js';
import type { WwatpSession } from './session.js';

export interface ByteSink {
  write(bytes: Uint8Array): Promise<void>;
  end(): Promise<void>;
}

export interface ServeStreamOptions {
  /** Largest message accepted (a node's contents plus its encoding). */
  maxMessageBytes: number;
}

/**
 * Serves one WWATP stream: reads the client's batch of requests, answers each in
 * arrival order (so a batch behaves like a pipeline: a get after an upsert sees it),
 * and writes every reply as soon as it is ready. A SUBSCRIBE request turns the stream
 * into a push stream that stays open until the client closes it. A malformed stream
 * fails alone: its requests get ERROR replies and the stream ends; the connection and
 * other streams go on.
 */
export async function serveStream(session: WwatpSession, input: AsyncIterable<Uint8Array>, output: ByteSink, options: ServeStreamOptions): Promise<void> {
  const reader = new ChunkReader();
  const assembler = new MessageAssembler(options.maxMessageBytes);
  let writing: Promise<void> = Promise.resolve();
  // Writes are chained so replies never interleave mid-chunk.
  const send = (signal: number, requestId: number, payload: Uint8Array): Promise<void> => {
    writing = writing.then(async () => {
      for (const chunk of encodeMessage(signal, requestId, payload)) await output.write(chunk);
    });
    return writing;
  };
  let unsubscribe: (() => void) | undefined;
  try {
    for await (const bytes of input) {
      for (const chunk of reader.push(bytes)) {
        const message = assembler.add(chunk);
        if (!message) continue;
        if (message.signal === Signal.SUBSCRIBE) {
          try {
            const since = field.count(decodePayload(message.payload), 'since');
            unsubscribe = await session.subscribe(since, (signal, payload) => void send(signal, message.requestId, payload).catch(() => unsubscribe?.()));
          } catch (error) {
            await send(Signal.ERROR, message.requestId, encodePayload(errorToWire(error)));
          }
          continue;
        }
        const reply = await session.handle(message);
        await send(reply.signal, reply.requestId, reply.payload);
      }
    }
    if (reader.pending > 0) throw new WwatpError('PROTOCOL', `stream ended inside a chunk (${reader.pending} bytes left over)`);
    for (const id of assembler.unfinished) await send(Signal.ERROR, id, encodePayload(errorToWire(new WwatpError('PROTOCOL', 'stream ended before the message was complete'))));
  } catch (error) {
    // The stream cannot be read further; say why to every request still open, then end it.
    const reason = encodePayload(errorToWire(error));
    const open = new Set(assembler.unfinished);
    if (open.size === 0) open.add(0);
    for (const id of open) await send(Signal.ERROR, id, reason).catch(() => undefined);
  } finally {
    unsubscribe?.();
    await writing.catch(() => undefined);
    await output.end().catch(() => undefined);
  }
}
