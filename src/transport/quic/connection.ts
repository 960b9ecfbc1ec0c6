/**
 * One QUIC connection over a quiche Connection: routes stream and datagram events to
 * their owners, runs the send loop and the timer, and reports how it closed.
 *
 * Nothing happens per packet except quiche.recv(): the rest runs in flush(), once per
 * event-loop turn for every connection that received, wrote or timed out.
 */
import type { RemoteInfo } from 'node:dgram';
import { WwatpError } from '../../tree/errors.js';
import { quicheErrorName, type Connection, type Host, type RecvInfo } from './binding.js';
import type { Flushable, UdpEndpoint } from './endpoint.js';
import { connectionClosedError } from './errors.js';
import { PeerStreamIds } from './peer-streams.js';
import { BidiStream, UniRecvStream, UniSendStream, type AnyStream } from './stream.js';
import type { StreamIo } from './stream-io.js';
import { ConnectionTimer } from './timer.js';
import type { QuicBidiStream, QuicCloseInfo, QuicConnection, QuicIncomingStream, QuicUniSendStream } from './types.js';

/** The most packets one connection sends per turn, so peers and other connections get a go. */
const PACKETS_PER_TURN = 64;
const SCRATCH = new Uint8Array(64 * 1024);
/** Transport error code APPLICATION_ERROR (RFC 9000 §20.1). */
const APPLICATION_ERROR = 0x0c;
/** Lone FINs set per turn (each takes a packet of its own)... */
const FINS_PER_TURN = 16;
/** ...and the window room we want per FIN packet before setting one. */
const FIN_PACKET_ROOM = 200;
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
  private resolveClosed!: (info: QuicCloseInfo) => void;
  private readonly streams = new Map<number, AnyStream>();
  private readonly blocked = new Set<{ flushPending(): void }>();
  private readonly finWatch = new Set<{ checkFin(): boolean }>();
  /** Send passes that put at least one packet on the wire. */
  sendEpoch = 0;
  /** Writers whose lone FIN waits for the FIN window (see runDeferredFins). */
  private readonly deferredFins = new Set<{ flushPending(): void }>();
  finWindowOpen = false;
  private finsInWindow = 0;
  private readonly incoming: Array<BidiStream | UniRecvStream> = [];
  private streamHandler: ((stream: QuicIncomingStream) => void) | undefined;
  private datagramHandler: ((bytes: Uint8Array) => void) | undefined;
  private nextBidi: number;
  private nextUni: number;
  private readonly peerBidi: PeerStreamIds;
  private readonly peerUni: PeerStreamIds;
  private established = false;
  private closeInfo: QuicCloseInfo | undefined;
  private closingLocally = false;
  /** What close() was asked for (reported as such even when sent as a transport close). */
  private requestedClose: { app: boolean; code: number; reason: string } | undefined;
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
    // Client-initiated ids end in 0b00 (bidi) and 0b10 (uni); server-initiated in 0b01, 0b11.
    const own = isServer ? 1 : 0;
    this.nextBidi = own;
    this.nextUni = own + 2;
    this.peerBidi = new PeerStreamIds(1 - own);
    this.peerUni = new PeerStreamIds(3 - own);
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
  }

  get remoteAddress(): { host: string; port: number } {
    return { host: this.recvInfo.from.host, port: this.recvInfo.from.port };
  }

  get onStream(): ((stream: QuicIncomingStream) => void) | undefined {
    return this.streamHandler;
  }
  /** Streams that arrived while no handler was set are handed over as soon as one is. */
  set onStream(handler: ((stream: QuicIncomingStream) => void) | undefined) {
    this.streamHandler = handler;
    if (handler) for (const s of this.incoming.splice(0)) this.deliver(s);
  }

  get onDatagram(): ((bytes: Uint8Array) => void) | undefined {
    return this.datagramHandler;
  }
  /** Datagrams wait in quiche's bounded queue until a handler is set. */
  set onDatagram(handler: ((bytes: Uint8Array) => void) | undefined) {
    this.datagramHandler = handler;
    if (handler) this.endpoint.schedule(this);
  }

  /** Whether any datagram may be waiting in quiche (cheap check before the native call). */
  private datagramsWaiting(): boolean {
    return this.datagrams && this.datagramHandler !== undefined && this.quiche.dgramRecvQueueLen() > 0;
  }

  openBidiStream(): QuicBidiStream {
    this.assertOpen();
    const s = new BidiStream(this, this.nextBidi);
    this.nextBidi += 4;
    this.streams.set(s.id, s);
    return s;
  }

  openUniStream(): QuicUniSendStream {
    this.assertOpen();
    const s = new UniSendStream(this, this.nextUni);
    this.nextUni += 4;
    this.streams.set(s.id, s);
    return s;
  }

  sendDatagram(bytes: Uint8Array): void {
    this.assertOpen();
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
  stats(): { sentBytes: number; recvBytes: number; lost: number; rttMs: number; cwnd: number } {
    const s = this.quiche.stats();
    const path = this.quiche.pathStats()[0];
    return { sentBytes: s.sentBytes, recvBytes: s.recvBytes, lost: s.lost, rttMs: path?.rtt ?? 0, cwnd: path?.cwnd ?? 0 };
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
    this.stirred = true;
    this.endpoint.schedule(this);
  }

  flush(): void {
    if (this.released) return;
    const q = this.quiche;
    // Flushes that only carry our own writes skip the native calls that look for news.
    const stirred = this.stirred || this.closingLocally;
    this.stirred = false;
    if (stirred && !this.established && !this.closeInfo && !this.closingLocally && q.isEstablished()) {
      this.established = true;
      this.alpn = decoder.decode(q.applicationProto());
      this.hooks.established?.();
    }
    if (this.established && !this.closeInfo && !this.closingLocally) {
      // Only after packets came in: quiche's capacity figure is fresh then.
      if (stirred) this.runDeferredFins();
      if (stirred) this.readStreams();
      this.readDatagrams();
      this.retryWriters();
    }
    this.sendPackets();
    if (stirred) this.checkClosed();
    if (!this.released) this.timer.arm(q.timeout());
  }

  // StreamIo
  touched(): void {
    this.endpoint.schedule(this);
  }
  writerBlocked(writer: { flushPending(): void }): void {
    this.blocked.add(writer);
  }
  deferFin(writer: { flushPending(): void }): void {
    this.deferredFins.add(writer);
    if (this.finWindowOpen) return; // the window is full: ACKs for what is in flight will come
    // The window opens when packets arrive; a PING makes sure some will.
    try {
      this.quiche.sendAckEliciting();
    } catch {
      // not established or closing: nothing to wait for
    }
    this.endpoint.schedule(this);
  }
  claimFinRoom(capacity: number): boolean {
    if (capacity < (this.finsInWindow + 1) * FIN_PACKET_ROOM) return false;
    this.finsInWindow++;
    return true;
  }
  watchFin(reader: { checkFin(): boolean }): void {
    this.finWatch.add(reader);
  }
  streamDone(id: number): void {
    this.streams.delete(id);
  }

  private onTimer(): void {
    if (this.released) return;
    this.quiche.onTimeout();
    this.stirred = true;
    this.flush();
  }

  private readStreams(): void {
    for (const id of this.quiche.readable()) {
      let s = this.streams.get(id);
      if (s === undefined) {
        if (!this.claimPeerStream(id)) {
          this.discard(id);
          continue;
        }
        s = id & 2 ? new UniRecvStream(this, id) : new BidiStream(this, id);
        this.streams.set(id, s);
        this.deliver(s);
      }
      s.reader?.pull();
    }
    for (const r of this.finWatch) if (r.checkFin()) this.finWatch.delete(r);
  }

  private claimPeerStream(id: number): boolean {
    const peerBit = this.isServer ? 0 : 1;
    if ((id & 1) !== peerBit) return false;
    return (id & 2 ? this.peerUni : this.peerBidi).claim(id);
  }

  /** Drops input for a stream we already forgot, so quiche stops reporting it. */
  private discard(id: number): void {
    try {
      for (let r = this.quiche.streamRecv(id, SCRATCH); r !== null && !r[1]; r = this.quiche.streamRecv(id, SCRATCH));
    } catch {
      // reset or gone: either way nothing more to read
    }
  }

  private deliver(s: BidiStream | UniRecvStream): void {
    const handler = this.streamHandler;
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

  private readDatagrams(): void {
    const handler = this.datagramHandler;
    if (!handler || !this.datagramsWaiting()) return;
    for (let d = this.quiche.dgramRecvVec(); d !== null; d = this.quiche.dgramRecvVec()) {
      try {
        handler(d);
      } catch (err) {
        reportCallbackError(err);
      }
    }
  }

  /**
   * Lone FINs (see StreamWriter.sendFin) are set here, first thing in a flush, and go
   * out in the send pass that follows at once: no ACK can be processed in between. A
   * few per turn, so that the window surely has room for their packets (quiche puts
   * one STREAM frame in a packet).
   */
  private runDeferredFins(): void {
    if (this.deferredFins.size === 0) return;
    const writers = [...this.deferredFins].slice(0, FINS_PER_TURN);
    for (const w of writers) this.deferredFins.delete(w);
    this.finWindowOpen = true;
    this.finsInWindow = 0;
    for (const w of writers) w.flushPending();
    this.finWindowOpen = false;
    this.sendPackets();
  }

  private retryWriters(): void {
    if (this.blocked.size === 0) return;
    const writers = [...this.blocked];
    this.blocked.clear();
    for (const w of writers) w.flushPending();
  }

  private sendPackets(): void {
    const ep = this.endpoint;
    for (let budget = PACKETS_PER_TURN; budget > 0; budget--) {
      const buf = ep.takeBuffer(this);
      if (!buf) return; // the endpoint reschedules us when buffers come back
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
    ep.schedule(this); // more to send: next turn, after the poll phase had its go
  }

  private checkClosed(): void {
    const q = this.quiche;
    if (!this.closeInfo && (q.isDraining() || q.isClosed())) this.markClosed(this.describeClose());
    if (q.isClosed()) this.release();
  }

  /** CONNECTION_CLOSE went out or came in (or the idle timer fired): tell everyone. */
  private markClosed(info: QuicCloseInfo): void {
    this.closeInfo = info;
    const how = info.timedOut ? 'idle timeout' : `${info.remote ? 'by the peer' : 'locally'} (code ${info.code}${info.reason ? `: ${info.reason}` : ''})`;
    this.failStreams(connectionClosedError(how));
    this.timer.unrefFromNowOn(); // draining must not keep the process alive
    this.hooks.closing?.();
    this.resolveClosed(info);
    if (!this.established) this.hooks.failed?.(info);
  }

  private release(): void {
    if (this.released) return;
    this.released = true;
    this.timer.clear();
    this.hooks.released?.();
  }

  private describeClose(): QuicCloseInfo {
    const q = this.quiche;
    if (q.isTimedOut()) return { remote: true, app: false, code: 0, reason: 'idle timeout', timedOut: true };
    const peer = q.peerError();
    const local = q.localError();
    const remote = peer !== null && !this.closingLocally && local === null;
    if (!remote && this.requestedClose) return { remote: false, timedOut: false, ...this.requestedClose };
    const e = remote ? peer : (local ?? peer);
    return { remote, app: e?.isApp ?? false, code: e?.errorCode ?? 0, reason: e ? decoder.decode(e.reason) : '', timedOut: false };
  }

  /** Gives up on a close quiche never completes: report it closed and forget it. */
  private abandon(): void {
    if (!this.closeInfo) this.markClosed({ remote: false, timedOut: false, ...(this.requestedClose ?? { app: false, code: 0, reason: '' }) });
    this.release();
  }

  private failStreams(err: WwatpError): void {
    // Streams not yet handed to onStream are in the map too.
    const streams = [...this.streams.values()];
    this.streams.clear();
    this.blocked.clear();
    this.finWatch.clear();
    this.deferredFins.clear();
    for (const s of streams) {
      s.reader?.fail(err);
      s.writer?.fail(err);
    }
  }

  private assertOpen(): void {
    if (this.closeInfo || this.closingLocally || this.released) throw connectionClosedError('no new streams or datagrams after close');
  }
}

/** A user callback threw: surface it like an EventEmitter would, outside our loop. */
function reportCallbackError(err: unknown): void {
  process.nextTick(() => {
    throw err;
  });
}
