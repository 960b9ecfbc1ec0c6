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

/** Up to this many open streams, readAll asks about each instead of walking readable(). */
const PROBE_STREAMS = 16;

export class StreamTable {
  private readonly streams = new Map<number, AnyStream>();
  private readonly incoming: Array<BidiStream | UniRecvStream> = [];
  private handler: ((stream: QuicIncomingStream) => void) | undefined;
  /** The stream readAll last pulled: asked about first next time. */
  private hot: AnyStream | undefined;
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

  openUni(watchWhileIdle: boolean): UniSendStream {
    const s = new UniSendStream(this.io, this.nextUni, watchWhileIdle);
    this.nextUni += 4;
    this.streams.set(s.id, s);
    return s;
  }

  /** Both sides of a stream are done: forget it. */
  forget(id: number): void {
    if (this.hot?.id === id) this.hot = undefined;
    this.streams.delete(id);
  }

  /**
   * Moves what quiche has for each readable stream to its reader, creating peer streams;
   * returns how many of them were bidirectional (the ones that may expect an answer).
   *
   * quiche's readable() builds a native iterator that costs ~10 µs to make and as much
   * to walk, several times per round trip. isReadable() and streamReadable() cost well
   * under 1 µs each, so with few streams open we ask about each one and about the next
   * ids the peer may open, and walk readable() only when something is left over (a peer
   * stream arriving out of order, a reader paused by backpressure, many streams).
   */
  readAll(quiche: Connection): number {
    if (!quiche.isReadable()) return 0;
    let count = 0;
    // Most packets carry data for the stream the last one did (a subscription's pushes, a
    // transfer): ask about it first, and stop there when it was all there was.
    const hot = this.hot;
    if (hot?.reader !== undefined && quiche.streamReadable(hot.id)) {
      if ((hot.id & 2) === 0) count++;
      hot.reader.pull();
      if (!quiche.isReadable()) return count;
    }
    if (this.streams.size <= PROBE_STREAMS) {
      for (const [id, s] of this.streams) {
        if (s === hot || s.reader === undefined || !quiche.streamReadable(id)) continue;
        if ((id & 2) === 0) count++;
        this.hot = s;
        s.reader.pull();
      }
      count += this.probePeer(quiche, this.peerBidi) + this.probePeer(quiche, this.peerUni);
      if (!quiche.isReadable()) return count;
    }
    for (const id of quiche.readable()) {
      let s = this.streams.get(id);
      if (s === undefined) {
        if (!this.claimPeerStream(id)) {
          discard(quiche, id, this.io.scratch);
          continue;
        }
        s = this.accept(id);
      }
      if ((id & 2) === 0) count++;
      this.hot = s;
      s.reader?.pull();
    }
    return count;
  }

  /** Accepts and pulls the peer's new streams of one kind while the next id is readable. */
  private probePeer(quiche: Connection, ids: PeerStreamIds): number {
    let count = 0;
    for (let id = ids.lowestUnseen; quiche.streamReadable(id); id = ids.lowestUnseen) {
      if (!this.claimPeerStream(id)) break;
      const s = this.accept(id);
      if ((id & 2) === 0) count++;
      this.hot = s;
      s.reader?.pull();
    }
    return count;
  }

  private accept(id: number): BidiStream | UniRecvStream {
    const s = id & 2 ? new UniRecvStream(this.io, id) : new BidiStream(this.io, id, true);
    this.streams.set(id, s);
    this.deliver(s);
    return s;
  }

  /** The connection is gone: every stream still open fails with `err`. */
  failAll(err: WwatpError): void {
    // Streams not yet handed to onStream are in the map too.
    const streams = [...this.streams.values()];
    this.streams.clear();
    this.hot = undefined;
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
