import { WwatpError } from '../../tree/errors.js';
import type { TreeNode } from '../../tree/tree-node.js';
import type { JournalEntry } from '../../backends/journal.js';
import { ChunkReader, encodeMessage } from './chunk-codec.js';
import { MessageAssembler } from './message-assembler.js';
import { decodePayload, encodePayload, errorFromWire, field, journalEntriesFromWire, type DecodeLimits } from './payloads.js';
import { Signal } from './signals.js';
import type { ByteStream } from './byte-stream.js';

export type Push =
  | { kind: 'journal'; entries: JournalEntry[]; latest: number; epoch: string | undefined }
  | { kind: 'resync'; latest: number; epoch: string | undefined }
  | { kind: 'listener'; name: string; rule: string; label: string; node: TreeNode | undefined; latest: number | undefined }
  | { kind: 'marker'; token: number };

/**
 * The client end of a push subscription: sends SUBSCRIBE(since, epoch, bodies), keeps its side of the
 * stream open, and hands each push to `onPush` in order. Resolves when the stream ends.
 */
export interface SubscribeRequest {
  since: number;
  epoch: string | undefined;
  /** Largest node contents (bytes) journal pushes should carry; larger ones are withheld. */
  bodies?: number;
}

export async function runSubscription(stream: ByteStream, request: SubscribeRequest, limits: DecodeLimits, maxMessageBytes: number, onPush: (push: Push) => void): Promise<void> {
  const { since, epoch, bodies } = request;
  const body = { since, ...(epoch === undefined ? {} : { epoch }), ...(bodies === undefined ? {} : { bodies }) };
  for (const chunk of encodeMessage(Signal.SUBSCRIBE, 0, encodePayload(body))) await stream.write(chunk);
  const reader = new ChunkReader();
  const assembler = new MessageAssembler(maxMessageBytes);
  for await (const bytes of stream.readable) {
    for (const chunk of reader.push(bytes)) {
      const message = assembler.add(chunk);
      if (!message) continue;
      const p = decodePayload(message.payload);
      switch (message.signal) {
        case Signal.PUSH_JOURNAL: {
          const epoch = typeof p['epoch'] === 'string' ? p['epoch'] : undefined;
          if (p['resync'] === true) onPush({ kind: 'resync', latest: field.count(p, 'latest'), epoch });
          else onPush({ kind: 'journal', entries: journalEntriesFromWire(p['entries'], limits), latest: field.count(p, 'latest'), epoch });
          break;
        }
        case Signal.PUSH_LISTENER:
          onPush({
            kind: 'listener', name: field.string(p, 'name'), rule: field.string(p, 'rule'), label: field.string(p, 'label'), node: field.maybeNode(p, 'node', limits),
            latest: p['latest'] === undefined ? undefined : field.count(p, 'latest'),
          });
          break;
        case Signal.PUSH_MARKER:
          onPush({ kind: 'marker', token: field.count(p, 'token') });
          break;
        case Signal.ERROR:
          throw errorFromWire(p);
        default:
          throw new WwatpError('PROTOCOL', `unexpected push signal 0x${message.signal.toString(16)}`);
      }
    }
    reader.check();
  }
}
