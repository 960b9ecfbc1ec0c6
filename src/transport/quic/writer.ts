/**
 * The send side of a stream. write() hands bytes to quiche (streamSend), which takes
 * only what congestion and flow control allow; the rest waits here and the promise
 * resolves once quiche has accepted every byte. A writer that awaits each write thus
 * holds at most one chunk in JS, and quiche holds at most a window's worth.
 */
import { WwatpError } from '../../tree/errors.js';
import { quiche, quicheErrorName, quicheStreamCode } from './binding.js';
import { QuicStreamAbortedError } from './errors.js';
import type { StreamIo } from './stream-io.js';

interface Pending {
  bytes: Uint8Array;
  offset: number;
  fin: boolean;
  resolve: () => void;
  reject: (err: Error) => void;
}

const EMPTY = new Uint8Array(0);
const RESOLVED = Promise.resolve();
/** streamSend outcomes besides a byte count. */
const BLOCKED = -1;
const FAILED = -2;
const DEFERRED = -3;

export class StreamWriter {
  private pending: Pending[] = [];
  private head = 0;
  private pendingBytes = 0;
  private ending: Promise<void> | undefined;
  private error: WwatpError | undefined;
  /** io.sendEpoch and time when quiche last took bytes (-1: never), see sendFin. */
  private acceptedEpoch = -1;
  private acceptedAt = 0;
  /**
   * When a deferred FIN may be set (see sendFin), fixed the first time it is deferred:
   * recomputed from a fresh RTT at each try it could keep moving away.
   */
  private finDueAt: number | undefined;
  /** FIN accepted, reset, stopped or closed: nothing more goes out. */
  finished = false;

  /**
   * quiche knows the stream (the peer opened it, or it took bytes from us): a STOP_SENDING
   * can arrive for it, and streamCapacity() tells about it.
   */
  private known: boolean;

  constructor(
    private readonly io: StreamIo,
    readonly id: number,
    private readonly onFinished: () => void,
    peerOpened = false,
    /** Whether the connection looks for a STOP_SENDING while nothing is being written (see QuicConnection.openUniStream). */
    private readonly watchWhileIdle = true,
  ) {
    this.known = peerOpened;
    if (peerOpened) this.idle();
  }

  /** Bytes passed to write() that quiche has not accepted yet. */
  get bufferedAmount(): number {
    return this.pendingBytes;
  }

  write(bytes: Uint8Array): Promise<void> {
    if (this.error) return Promise.reject(this.error);
    if (this.ending || this.finished) return Promise.reject(new WwatpError('CLOSED', `QUIC stream ${this.id}: write after end`));
    if (bytes.length === 0) return RESOLVED;
    let offset = 0;
    if (this.head === this.pending.length) {
      const n = this.send(bytes, false);
      if (n === FAILED) return Promise.reject(this.error);
      if (n === bytes.length) {
        this.idle();
        return RESOLVED;
      }
      offset = Math.max(n, 0);
    }
    return this.enqueue(bytes, offset, false);
  }

  /** Sends FIN after everything written so far; resolves when quiche has taken it. */
  end(): Promise<void> {
    if (this.error) return Promise.reject(this.error);
    if (this.ending) return this.ending;
    if (this.finished) return RESOLVED;
    this.ending = this.enqueue(EMPTY, 0, true);
    this.flushPending();
    return this.ending;
  }

  reset(code: number): void {
    if (this.finished) return;
    const q = this.io.quiche;
    try {
      q.streamShutdown(this.id, quiche.Shutdown.Write, code);
    } catch {
      // quiche does not know the stream until something was sent on it: open it first
      try {
        q.streamSend(this.id, EMPTY, false);
        q.streamShutdown(this.id, quiche.Shutdown.Write, code);
      } catch {
        // over the peer's stream limit: it never existed on the wire
      }
    }
    this.fail(new WwatpError('CLOSED', `QUIC stream ${this.id} was reset locally (code ${code})`));
    this.io.touched();
  }

  /** Gives quiche as much of the queue as it takes now; called again after ACKs. */
  flushPending(): void {
    while (this.head < this.pending.length) {
      const p = this.pending[this.head] as Pending;
      const rest = p.offset === 0 ? p.bytes : p.bytes.subarray(p.offset);
      const n = p.fin ? this.sendFin() : this.send(rest, false);
      if (n === FAILED) return;
      // The scheduler holds a deferred FIN until its window: retrying it after every
      // flush like a blocked write would spin, sending a PING each time.
      if (n === DEFERRED) return;
      if (n === BLOCKED || n < rest.length) {
        if (n > 0) {
          p.offset += n;
          this.pendingBytes -= n;
        }
        this.io.writerBlocked(this);
        return;
      }
      p.offset = p.bytes.length;
      this.pendingBytes -= n;
      this.head++;
      p.resolve();
      if (p.fin) this.finish();
    }
    this.pending = [];
    this.head = 0;
    if (!this.finished) this.idle();
  }

  /** Nothing left to write for now: the connection watches for a STOP_SENDING (unless told not to). */
  private idle(): void {
    if (this.watchWhileIdle) this.io.watchStop(this, true);
  }

  /**
   * An idle writer learns of the peer's STOP_SENDING here (the connection asks after
   * packets came in): quiche reports it through streamCapacity() until, an RTT later,
   * it forgets the stream altogether.
   */
  checkStopped(): boolean {
    if (this.finished) return true;
    if (!this.known) return false;
    try {
      this.io.quiche.streamCapacity(this.id);
      return false;
    } catch (err) {
      const code = quicheStreamCode(err, 'StreamStopped');
      this.fail(
        code === undefined
          ? new WwatpError('PROTOCOL', `QUIC stream ${this.id} is gone (${quicheErrorName(err)}): stopped or reset`)
          : new QuicStreamAbortedError(this.id, 'stopped', code),
      );
      return true;
    }
  }

  fail(err: WwatpError): void {
    if (this.finished) return;
    this.error = err;
    const rejected = this.pending.slice(this.head);
    this.pending = [];
    this.head = 0;
    this.pendingBytes = 0;
    this.finish();
    for (const p of rejected) p.reject(err);
  }

  private enqueue(bytes: Uint8Array, offset: number, fin: boolean): Promise<void> {
    this.io.watchStop(this, false); // pending writes are retried, which reports a stop
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ bytes, offset, fin, resolve, reject });
      this.pendingBytes += bytes.length - offset;
      if (!fin) this.io.writerBlocked(this);
    });
  }

  /**
   * A FIN with no data of its own. quiche 0.18 forgets a stream as soon as its data is
   * acknowledged and its final size known, even if the empty FIN frame has not left
   * yet; the peer then never sees the end. Once all the data is acknowledged, setting
   * the FIN is safe (nothing left to acknowledge but the FIN). So when our data may
   * already be on the wire (a send pass ran since quiche took it), the FIN waits about
   * an RTT for the acknowledgements, and is then set inside the connection's FIN
   * window, right after packets came in and right before a send pass, when the
   * congestion window has room for it, at top priority. Data still waiting in quiche
   * simply carries the FIN along.
   */
  private sendFin(): number {
    if (this.acceptedEpoch < 0 || this.acceptedEpoch === this.io.sendEpoch) return this.send(EMPTY, true);
    const q = this.io.quiche;
    let capacity: number;
    try {
      capacity = q.streamCapacity(this.id);
    } catch {
      return this.send(EMPTY, true); // stopped or gone: send() reports it
    }
    // Wait (quiche cannot forget the stream before the FIN is set) until our data had
    // time to be acknowledged, then for a FIN window with room to send the FIN at once.
    this.finDueAt ??= this.acceptedAt + this.io.finSettleMs();
    const wait = this.finDueAt - performance.now();
    if (wait > 0 || !this.io.finWindowOpen || !this.io.claimFinRoom(capacity)) {
      this.io.deferFin(this, wait);
      return DEFERRED;
    }
    try {
      q.streamPriority(this.id, 0, true);
    } catch {
      // priority only helps
    }
    return this.send(EMPTY, true);
  }

  /** Bytes quiche took, BLOCKED when it took none for now, FAILED when the stream is dead. */
  private send(bytes: Uint8Array, fin: boolean): number {
    let n: number | null;
    try {
      n = this.io.quiche.streamSend(this.id, bytes, fin);
    } catch (err) {
      const name = quicheErrorName(err);
      if (name === 'StreamLimit') return BLOCKED; // wait for the peer's MAX_STREAMS
      const code = quicheStreamCode(err, 'StreamStopped');
      this.fail(code === undefined ? new WwatpError('PROTOCOL', `QUIC stream ${this.id}: ${name}`) : new QuicStreamAbortedError(this.id, 'stopped', code));
      return FAILED;
    }
    // Done: no room now, or (for a stream quiche knows) stopped or forgotten.
    if (n === null) return this.checkStopped() ? FAILED : BLOCKED;
    this.known = true;
    if (n > 0) {
      this.acceptedEpoch = this.io.sendEpoch;
      this.acceptedAt = performance.now();
    }
    this.io.touched();
    return n;
  }

  private finish(): void {
    this.finished = true;
    this.io.watchStop(this, false);
    this.onFinished();
  }
}
