import { WwatpError } from '../../tree/errors.js';
import { ChunkReader, encodeMessageBytes } from '../../transport/wwatp/chunk-codec.js';
import { packChunks } from '../../transport/wwatp/chunk-packer.js';
import { MessageAssembler } from '../../transport/wwatp/message-assembler.js';
import { Signal } from '../../transport/wwatp/signals.js';
import { decodePayload, encodePayload, errorToWire, field } from '../../transport/wwatp/payloads.js';
import type { RawMessage } from '../../transport/wwatp/message-assembler.js';
import { SerialWrites } from '../../transport/serial-writes.js';
import { PipelineOrder, type Ordering } from './pipeline-order.js';
import type { WwatpSession } from './session.js';

export interface ByteSink {
  write(bytes: Uint8Array): Promise<void>;
  end(): Promise<void>;
  /** Puts what was written on the wire now (pushes), where the transport can. */
  sendNow?(): void;
}

/** Replies queued past this many bytes are written before the next request is served. */
const FLUSH_AT = 256 * 1024;

export interface ServeStreamOptions {
  /** Largest message accepted (a node's contents plus its encoding). */
  maxMessageBytes: number;
}

/**
 * Serves one WWATP stream: reads the client's batch of requests and answers them
 * concurrently, yet as a pipeline would (see ordering below), writing the replies as
 * they are ready, those ready in the same turn together. A
 * SUBSCRIBE request turns the stream into a push stream that stays open until the
 * client closes it. A malformed stream
 * fails alone: its requests get ERROR replies and the stream ends; the connection and
 * other streams go on.
 */
/** A request's place in the pipeline order (see PipelineOrder). */
function orderingOf(signal: number): Ordering {
  switch (signal) {
    case Signal.UPSERT:
    case Signal.DELETE:
      return 'write';
    case Signal.GET_NODE:
    case Signal.GET_PAGE_TREE:
    case Signal.QUERY_NODES:
    case Signal.GET_FULL_TREE:
    case Signal.GET_JOURNAL:
    case Signal.HEARTBEAT:
      return 'read';
    default:
      return 'barrier';
  }
}

/** Requests one stream may have in progress at once; more wait (backpressure on the reader). */
const MAX_IN_PROGRESS = 4096;

export async function serveStream(session: WwatpSession, input: AsyncIterable<Uint8Array>, output: ByteSink, options: ServeStreamOptions): Promise<void> {
  const reader = new ChunkReader();
  const assembler = new MessageAssembler(options.maxMessageBytes);
  // Replies ready in the same turn go out packed into few writes (one DATA frame for a
  // whole batch of small answers, not one each); none waits past the current turn.
  let queued: Uint8Array[] = [];
  let queuedBytes = 0;
  let soon: NodeJS.Immediate | undefined;
  // Writes are chained so replies never interleave mid-chunk; with none in progress the
  // next starts at once, so a push reaches the transport in this call (see push).
  const writes = new SerialWrites();
  const writeAll = async (parts: Uint8Array[]): Promise<void> => {
    for (const bytes of packChunks(parts)) await output.write(bytes);
  };
  const flush = (): Promise<void> => {
    if (soon !== undefined) clearImmediate(soon);
    soon = undefined;
    if (queued.length > 0) {
      const parts = queued;
      queued = [];
      queuedBytes = 0;
      void writes.run(() => writeAll(parts));
    }
    return writes.tail;
  };
  const enqueue = (signal: number, requestId: number, payload: Uint8Array): void => {
    for (const chunk of encodeMessageBytes(signal, requestId, payload)) {
      queued.push(chunk);
      queuedBytes += chunk.length;
    }
    soon ??= setImmediate(() => void flush().catch(() => undefined));
  };
  const send = (signal: number, requestId: number, payload: Uint8Array): Promise<void> => {
    enqueue(signal, requestId, payload);
    return flush();
  };
  let unsubscribe: (() => void) | undefined;
  const order = new PipelineOrder();
  const start = (message: RawMessage): void => {
    order.run(orderingOf(message.signal), async () => {
      const reply = await session.handle(message);
      enqueue(reply.signal, reply.requestId, reply.payload);
    });
  };
  try {
    for await (const bytes of input) {
      for (const chunk of reader.push(bytes)) {
        const message = assembler.add(chunk);
        if (!message) continue;
        if (message.signal === Signal.SUBSCRIBE) {
          try {
            const body = decodePayload(message.payload);
            const since = field.count(body, 'since');
            const epoch = typeof body['epoch'] === 'string' ? body['epoch'] : undefined;
            // Absent: every node travels whole, as before the field existed.
            const bodyLimit = body['bodies'] === undefined ? Infinity : field.count(body, 'bodies');
            // A push answers nothing, so it leaves at once rather than after every other
            // client's push of this turn: with many watchers the first is out while the
            // others are still being encoded. A push that had to queue behind another
            // write goes once that write is through. One with `more` to follow is only
            // queued: the last of them writes them all at once, so they share a packet.
            const push = (signal: number, payload: Uint8Array, more = false): void => {
              if (more) return enqueue(signal, message.requestId, payload);
              const sent = send(signal, message.requestId, payload);
              output.sendNow?.();
              void sent.then(() => output.sendNow?.(), () => unsubscribe?.());
            };
            unsubscribe = await session.subscribe(since, push, epoch, bodyLimit);
          } catch (error) {
            await send(Signal.ERROR, message.requestId, encodePayload(errorToWire(error)));
          }
          continue;
        }
        start(message);
        if (order.inProgress >= MAX_IN_PROGRESS) await order.whenIdle();
        if (queuedBytes >= FLUSH_AT) await flush();
      }
      await flush(); // and wait for it: backpressure before reading more
      reader.check(); // malformed bytes after the chunks just served fail the stream now
    }
    await order.whenIdle();
    reader.end(); // a parse error left pending, or a stream that ended inside a chunk
    for (const id of assembler.unfinished) await send(Signal.ERROR, id, encodePayload(errorToWire(new WwatpError('PROTOCOL', 'stream ended before the message was complete'))));
  } catch (error) {
    await order.whenIdle();
    // The stream cannot be read further; say why to every request still open, then end it.
    const reason = encodePayload(errorToWire(error));
    const open = new Set(assembler.unfinished);
    if (open.size === 0) open.add(0);
    for (const id of open) await send(Signal.ERROR, id, reason).catch(() => undefined);
  } finally {
    unsubscribe?.();
    await flush().catch(() => undefined);
    await output.end().catch(() => undefined);
  }
}
