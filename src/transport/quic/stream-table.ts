/**
 * A connection's streams: ids for the ones we open, recognition of the ones the peer
 * opens, routing of quiche's readable events, and the hand-over to onStream.
 */
import type { Connection } from './binding.js';
import { PeerStreamIds } from './peer-streams.js';
import { BidiStream, UniRecvStream, UniSendStream, type AnyStream } from './stream.js';
import type { StreamIo } from './stream-io.js';
import type { QuicIncomingStream } from './types.js';
import type { WwatpError } from '../../tree/errors.js';

export class StreamTable {
  private readonly streams = new Map<number, AnyStream>();
  private readonly incoming: Array<BidiStream | UniRecvStream> = [];
  private handler: ((stream: QuicIncomingStream) => void) | undefined;
  private nextBidi: number;
  private nextUni: number;
  private readonly peerBidi: PeerStreamIds;
  private readonly peerUni: PeerStreamIds;

  constructor(
    private readonly io: StreamIo,
    private readonly isServer: boolean,
  ) {
    // Client-initiated ids end in 0b00 (bidi) and 0b10 (uni); server-initiated in 0b01, 0b11.
    const own = isServer ? 1 : 0;
    this.nextBidi = own;
    this.nextUni = own + 2;
    this.peerBidi = new PeerStreamIds(1 - own);
    this.peerUni = new PeerStreamIds(3 - own);
  }

  get onStream(): ((stream: QuicIncomingStream) => void) | undefined {
    return this.handler;
  }
  /** Streams that arrived while no handler was set are handed over as soon as one is. */
  set onStream(handler: ((stream: QuicIncomingStream) => void) | undefined) {
    this.handler = handler;
    if (handler) for (const s of this.incoming.splice(0)) this.deliver(s);
  }

  openBidi(): BidiStream {
    const s = new BidiStream(this.io, this.nextBidi);
    this.nextBidi += 4;
    this.streams.set(s.id, s);
    return s;
  }

  openUni(): UniSendStream {
    const s = new UniSendStream(this.io, this.nextUni);
    this.nextUni += 4;
    this.streams.set(s.id, s);
    return s;
  }

  /** Both sides of a stream are done: forget it. */
  forget(id: number): void {
    this.streams.delete(id);
  }

  /** Moves what quiche has for each readable stream to its reader, creating peer streams. */
  /** Pulls every readable stream; returns how many of them were bidirectional. */
  readAll(quiche: Connection): number {
    let count = 0;
    for (const id of quiche.readable()) {
      if ((id & 2) === 0) count++;
      let s = this.streams.get(id);
      if (s === undefined) {
        if (!this.claimPeerStream(id)) {
          discard(quiche, id, this.io.scratch);
          continue;
        }
        s = id & 2 ? new UniRecvStream(this.io, id) : new BidiStream(this.io, id, true);
        this.streams.set(id, s);
        this.deliver(s);
      }
      s.reader?.pull();
    }
    return count;
  }

  /** The connection is gone: every stream still open fails with `err`. */
  failAll(err: WwatpError): void {
    // Streams not yet handed to onStream are in the map too.
    const streams = [...this.streams.values()];
    this.streams.clear();
    for (const s of streams) {
      s.reader?.fail(err);
      s.writer?.fail(err);
    }
  }

  private claimPeerStream(id: number): boolean {
    const peerBit = this.isServer ? 0 : 1;
    if ((id & 1) !== peerBit) return false;
    return (id & 2 ? this.peerUni : this.peerBidi).claim(id);
  }

  private deliver(s: BidiStream | UniRecvStream): void {
    const handler = this.handler;
    if (!handler) {
      this.incoming.push(s);
      return;
    }
    try {
      handler(s);
    } catch (err) {
      reportCallbackError(err);
    }
  }
}

/** Drops input for a stream we already forgot, so quiche stops reporting it. */
function discard(quiche: Connection, id: number, scratch: Uint8Array): void {
  try {
    for (let r = quiche.streamRecv(id, scratch); r !== null && !r[1]; r = quiche.streamRecv(id, scratch));
  } catch {
    // reset or gone: either way nothing more to read
  }
}

/** A user callback threw: surface it like an EventEmitter would, outside our loop. */
export function reportCallbackError(err: unknown): void {
  process.nextTick(() => {
    throw err;
  });
}
