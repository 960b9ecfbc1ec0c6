/**
 * One QUIC connection over a quiche Connection: routes stream and datagram events to
 * their owners, runs the send loop and the timer, and reports how it closed.
 *
 * Nothing happens per packet except quiche.recv(): the rest runs in flush(), once per
 * event-loop turn for every connection that received, wrote or timed out.
 */
import type { RemoteInfo } from 'node:dgram';
import { WwatpError } from '../../tree/errors.js';
import { AckDelay } from './ack-delay.js';
import { quicheErrorName, type Connection, type Host, type RecvInfo } from './binding.js';
import { describeClose, describeHow, type CloseRequest } from './close-info.js';
import type { Flushable, UdpEndpoint } from './endpoint.js';
import { connectionClosedError } from './errors.js';
import { reportCallbackError, StreamTable } from './stream-table.js';
import type { StreamIo } from './stream-io.js';
import { ConnectionTimer } from './timer.js';
import type { QuicBidiStream, QuicCloseInfo, QuicConnection, QuicIncomingStream, QuicUniSendStream } from './types.js';
import { WriteScheduler } from './write-scheduler.js';

/** The most packets one connection sends per turn, so peers and other connections get a go. */
const PACKETS_PER_TURN = 64;
const SCRATCH = new Uint8Array(64 * 1024);
/** Transport error code APPLICATION_ERROR (RFC 9000 §20.1). */
const APPLICATION_ERROR = 0x0c;
/** A close that sends this many packets without draining is a quiche bug: stop. */
const MAX_PACKETS_WHILE_CLOSING = 64;
const decoder = new TextDecoder();
const encoder = new TextEncoder();

export interface ConnectionHooks {
  /** The handshake completed (client: verify the server now; server: hand it out). */
  established?: () => void;
  /** Closed before the handshake completed. */
  failed?: (info: QuicCloseInfo) => void;
  /** CONNECTION_CLOSE sent or received: only draining is left. */
  closing?: () => void;
  /** quiche is done with it (draining over): forget its routes, close a client socket. */
  released?: () => void;
}

export class QuicheConnection implements QuicConnection, Flushable, StreamIo {
  alpn = '';
  readonly scratch = SCRATCH;
  readonly closed: Promise<QuicCloseInfo>;
  readonly hooks: ConnectionHooks = {};
  /** Send passes that put at least one packet on the wire. */
  sendEpoch = 0;
  private resolveClosed!: (info: QuicCloseInfo) => void;
  private readonly streams: StreamTable;
  private readonly writes: WriteScheduler;
  private datagramHandler: ((bytes: Uint8Array) => void) | undefined;
  private established = false;
  private closeInfo: QuicCloseInfo | undefined;
  private closingLocally = false;
  private requestedClose: CloseRequest | undefined;
  /** Packets sent since close() without quiche entering draining (see sendPackets). */
  private sentSinceClose = 0;
  /**
   * Handshake confirmed (RFC 9001 §4.1.2). A server is at completion; a client when
   * HANDSHAKE_DONE arrives, which quiche does not report: we take the first 1-RTT
   * (short header) packet after completion as the sign, as the server sends
   * HANDSHAKE_DONE in its first 1-RTT packet.
   */
  private confirmed: boolean;
  private released = false;
  /** Packets arrived or a timer fired since the last flush: state may have changed. */
  private stirred = true;
  /** The last flush held its packets back for the application's answer (see flush). */
  private heldBack = false;
  /** The path's RTT as of this flush (see finSettleMs); forgotten when packets arrive. */
  private rttMs: number | undefined;
  /** Streams gave quiche something to send since the last send pass. */
  private wrote = false;
  /** A timer expired (quiche's, or a FIN's wait): what quiche has to send is due now. */
  private due = false;
  private readonly ack = new AckDelay(() => this.sendDelayedAck());
  private recvInfo: RecvInfo;
  private readonly timer = new ConnectionTimer(() => this.onTimer());

  constructor(
    readonly quiche: Connection,
    private readonly endpoint: UdpEndpoint,
    peer: Host,
    readonly isServer: boolean,
    private readonly datagrams: boolean,
  ) {
    this.recvInfo = { from: peer, to: endpoint.local };
    this.confirmed = isServer;
    this.streams = new StreamTable(this, isServer);
    this.writes = new WriteScheduler(quiche, (stir) => {
      if (stir) this.stirred = this.due = true;
      else this.wrote = true; // a PING was queued
      endpoint.schedule(this);
    });
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
  }

  get remoteAddress(): { host: string; port: number } {
    return { host: this.recvInfo.from.host, port: this.recvInfo.from.port };
  }

  get onStream(): ((stream: QuicIncomingStream) => void) | undefined {
    return this.streams.onStream;
  }
  /** Streams that arrived while no handler was set are handed over as soon as one is. */
  set onStream(handler: ((stream: QuicIncomingStream) => void) | undefined) {
    this.streams.onStream = handler;
  }

  get onDatagram(): ((bytes: Uint8Array) => void) | undefined {
    return this.datagramHandler;
  }
  /** Datagrams wait in quiche's bounded queue until a handler is set. */
  set onDatagram(handler: ((bytes: Uint8Array) => void) | undefined) {
    this.datagramHandler = handler;
    if (!handler) return;
    this.stirred = true; // flushes read datagrams only after packets came in
    this.endpoint.schedule(this);
  }

  openBidiStream(): QuicBidiStream {
    this.assertOpen();
    return this.streams.openBidi();
  }

  openUniStream(options?: { watchWhileIdle?: boolean }): QuicUniSendStream {
    this.assertOpen();
    return this.streams.openUni(options?.watchWhileIdle ?? true);
  }

  sendDatagram(bytes: Uint8Array): void {
    this.assertOpen();
    // Off on our side means off both ways, even if the peer would accept them.
    if (!this.datagrams) throw new WwatpError('UNSUPPORTED', 'QUIC datagrams are not enabled on this connection');
    let queued: void | null;
    try {
      queued = this.quiche.dgramSend(bytes);
    } catch (err) {
      const name = quicheErrorName(err);
      if (name === 'BufferTooShort') throw new WwatpError('TOO_LARGE', `datagram of ${bytes.length} bytes is over the ${this.maxDatagramSize() ?? 0}-byte limit`);
      if (name === 'InvalidState') throw new WwatpError('UNSUPPORTED', 'QUIC datagrams are not enabled on this connection or not accepted by the peer');
      throw new WwatpError('PROTOCOL', `datagram refused: ${name}`, { cause: err });
    }
    // null: quiche's send queue is full; datagrams are unreliable, so this one is dropped.
    if (queued !== null) this.touched();
  }

  maxDatagramSize(): number | undefined {
    if (!this.datagrams) return undefined;
    return this.quiche.dgramMaxWritableLen() ?? undefined;
  }

  peerCertificates(): Uint8Array[] {
    return this.quiche.peerCertChain() ?? [];
  }

  /**
   * Sends CONNECTION_CLOSE (application close, code 0 by default); resolves once it is
   * on the wire. quiche then drains for three PTOs (answering stray packets) in the
   * background, on an unref'd timer.
   */
  close(options: { app?: boolean; code?: number; reason?: string } = {}): Promise<void> {
    if (!this.released && !this.closeInfo && !this.closingLocally) {
      this.closingLocally = true;
      const wanted = { app: options.app ?? true, code: options.code ?? 0, reason: options.reason ?? '' };
      this.requestedClose = wanted;
      // Before the handshake is confirmed an application close may only travel as a
      // transport CONNECTION_CLOSE with APPLICATION_ERROR in Handshake packets (RFC 9000
      // §10.2.3); quiche 0.18 would instead loop on empty Handshake packets.
      const early = wanted.app && !this.confirmed;
      try {
        this.quiche.close(early ? false : wanted.app, early ? APPLICATION_ERROR : wanted.code, encoder.encode(wanted.reason));
      } catch {
        // already closing
      }
      this.failStreams(connectionClosedError('closed locally'));
      this.endpoint.schedule(this);
    }
    return this.closed.then(() => undefined);
  }

  /** Traffic counters and path estimates, for benchmarks and diagnostics. */
  stats(): { sentPackets: number; recvPackets: number; sentBytes: number; recvBytes: number; lost: number; rttMs: number; cwnd: number } {
    const s = this.quiche.stats();
    const path = this.quiche.pathStats()[0];
    return { sentPackets: s.sent, recvPackets: s.recv, sentBytes: s.sentBytes, recvBytes: s.recvBytes, lost: s.lost, rttMs: path?.rtt ?? 0, cwnd: path?.cwnd ?? 0 };
  }

  /** A datagram for this connection arrived. */
  receive(msg: Buffer, rinfo: RemoteInfo): void {
    if (this.released) return;
    const from = this.recvInfo.from;
    if (rinfo.port !== from.port || rinfo.address !== from.host) {
      this.recvInfo = { from: { host: rinfo.address, port: rinfo.port }, to: this.endpoint.local };
    }
    try {
      this.quiche.recv(msg, this.recvInfo);
    } catch {
      // quiche drops what it cannot use; fatal errors close it, which flush() notices
    }
    if (!this.confirmed && ((msg[0] as number) & 0x80) === 0 && this.quiche.isEstablished()) this.confirmed = true;
    this.ack.received(msg.length);
    this.stirred = true;
    this.endpoint.schedule(this);
  }

  flush(): void {
    if (this.released) return;
    const q = this.quiche;
    // Flushes that only carry our own writes skip the native calls that look for news.
    const stirred = this.stirred || this.closingLocally;
    this.stirred = false;
    if (stirred) this.rttMs = undefined;
    let hold = false;
    if (stirred && !this.established && !this.closeInfo && !this.closingLocally && q.isEstablished()) {
      this.established = true;
      this.due = true; // the handshake's last flight (a server's HANDSHAKE_DONE) goes at once, never as a delayed ACK
      this.alpn = decoder.decode(q.applicationProto());
      this.hooks.established?.();
    }
    if (this.established && !this.closeInfo && !this.closingLocally) {
      if (stirred && this.writes.runFinWindow()) this.sendPackets();
      // Before reading: taking a FIN can complete a stopped stream, and quiche forgets
      // it (and the STOP_SENDING code) at once.
      if (stirred) this.writes.checkIdle();
      const delivered = stirred ? this.streams.readAll(q) : 0;
      if (stirred) this.readDatagrams();
      this.writes.retryBlocked();
      // Request or response data was just handed to the application, whose answer
      // comes in later microtasks: sending now would put our ACK in a packet of its own
      // and the answer in another. Hold back one turn (never two in a row, so ACKs
      // cannot starve). Only for bidirectional streams: nobody answers on the others.
      // Writes already waiting go now: holding them would let a later write on another
      // connection overtake them.
      hold = delivered > 0 && !this.heldBack && !this.wrote;
    }
    this.heldBack = hold;
    if (hold) this.endpoint.schedule(this);
    else if (this.ackMayWait()) this.ack.wait();
    else if (this.hasNews(stirred)) this.sendPackets();
    if (stirred) this.checkClosed();
    if (!this.released) this.timer.arm(q.timeout());
  }

  // StreamIo
  get finWindowOpen(): boolean {
    return this.writes.finWindowOpen;
  }
  touched(): void {
    this.wrote = true;
    this.endpoint.schedule(this);
  }
  sendNow(): void {
    // Only our own writes: whatever came in still gets its flush (and hold-back) this turn.
    if (!this.wrote || !this.established || this.released || this.closeInfo || this.closingLocally) return;
    this.sendPackets();
  }
  sendHeldBack(): void {
    if ((!this.heldBack && !this.ack.waiting) || this.released || this.closeInfo || this.closingLocally) return;
    this.heldBack = false;
    this.sendPackets();
  }
  writerBlocked(writer: { flushPending(): void }): void {
    this.writes.blockedWriter(writer);
  }
  deferFin(writer: { flushPending(): void }, delayMs: number): void {
    this.writes.deferFin(writer, delayMs);
  }
  finSettleMs(): number {
    // pathStats() builds objects natively: read it once per flush, not once per FIN.
    this.rttMs ??= this.quiche.pathStats()[0]?.rtt ?? 0;
    return 2 + 1.5 * this.rttMs;
  }
  claimFinRoom(capacity: number): boolean {
    return this.writes.claimFinRoom(capacity);
  }
  watchStop(writer: { checkStopped(): boolean }, on: boolean): void {
    this.writes.watchStop(writer, on);
  }
  streamDone(id: number): void {
    this.streams.forget(id);
  }

  private onTimer(): void {
    if (this.released) return;
    // The timer is kept when quiche's deadline moves later (see ConnectionTimer), so it
    // often fires early, typically once per packet acknowledged: re-arm, skip the flush.
    const left = this.quiche.timeout();
    if (left !== null && left >= 1) return this.timer.arm(left);
    this.quiche.onTimeout();
    this.stirred = this.due = true;
    this.flush();
  }

  private readDatagrams(): void {
    const handler = this.datagramHandler;
    if (!handler || !this.datagrams || this.quiche.dgramRecvQueueLen() === 0) return;
    for (let d = this.quiche.dgramRecvVec(); d !== null; d = this.quiche.dgramRecvVec()) {
      try {
        handler(d);
      } catch (err) {
        reportCallbackError(err);
      }
    }
  }

  /**
   * Only an ACK would go out (see AckDelay): what came in may wait for its ACK, we wrote nothing,
   * no timer is due, and the handshake is behind us.
   */
  private ackMayWait(): boolean {
    return this.ack.mayWait && !this.wrote && !this.due && this.confirmed && this.established && !this.closingLocally && !this.closeInfo;
  }

  /**
   * Whether a send pass could find anything: packets came in, streams wrote, a timer is
   * due, an ACK is owed, or we are closing. Otherwise (the flush after sendNow already
   * sent what a push wrote) quiche would only answer Done, a native call for nothing.
   */
  private hasNews(stirred: boolean): boolean {
    return stirred || this.wrote || this.due || this.ack.owed || this.closingLocally || !this.established;
  }

  private sendDelayedAck(): void {
    if (this.released) return;
    this.sendPackets();
    if (!this.released) this.timer.arm(this.quiche.timeout());
  }

  private sendPackets(): void {
    this.wrote = false;
    this.due = false;
    this.ack.sent();
    const ep = this.endpoint;
    for (let budget = PACKETS_PER_TURN; budget > 0; budget--) {
      const buf = ep.takeBuffer(this);
      if (!buf) {
        this.wrote = true; // quiche still has packets: the endpoint reschedules us when buffers come back
        return;
      }
      let r;
      try {
        r = this.quiche.send(buf);
      } catch {
        r = null;
      }
      if (r === null) return ep.returnBuffer(buf);
      if (budget === PACKETS_PER_TURN) this.sendEpoch++;
      ep.transmit(buf, r[0], r[1].to);
      if (this.closingLocally && !this.closeInfo && ++this.sentSinceClose > MAX_PACKETS_WHILE_CLOSING) return this.abandon();
    }
    this.wrote = true; // quiche still has packets
    ep.schedule(this); // more to send: next turn, after the poll phase had its go
  }

  private checkClosed(): void {
    const q = this.quiche;
    const closed = q.isClosed();
    if (!this.closeInfo && (closed || q.isDraining())) this.markClosed(describeClose(q, this.closingLocally, this.requestedClose));
    if (closed) this.release();
  }

  /** CONNECTION_CLOSE went out or came in (or the idle timer fired): tell everyone. */
  private markClosed(info: QuicCloseInfo): void {
    this.closeInfo = info;
    this.failStreams(connectionClosedError(describeHow(info)));
    this.timer.unrefFromNowOn(); // draining must not keep the process alive
    this.hooks.closing?.();
    this.resolveClosed(info);
    if (!this.established) this.hooks.failed?.(info);
  }

  /** Forgets the connection now, draining or not (its socket is going away). */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.timer.clear();
    this.ack.clear();
    this.hooks.released?.();
  }

  /** Gives up on a close quiche never completes: report it closed and forget it. */
  private abandon(): void {
    if (!this.closeInfo) this.markClosed({ remote: false, timedOut: false, ...(this.requestedClose ?? { app: false, code: 0, reason: '' }) });
    this.release();
  }

  private failStreams(err: WwatpError): void {
    this.writes.clear();
    this.streams.failAll(err);
  }

  private assertOpen(): void {
    if (this.closeInfo || this.closingLocally || this.released) throw connectionClosedError('no new streams or datagrams after close');
  }
}
