/**
 * One WebTransport session: the CONNECT stream (capsules both ways, its end is the
 * session's end), the streams and datagrams tagged with its id, and close. Built by a
 * WebTransportConnection for either role; the API mirrors QuicConnection.
 */
import { WwatpError } from '../../tree/errors.js';
import type { H3BodyWriter } from '../h3/body-writer.js';
import { H3_ERROR, H3Error } from '../h3/errors.js';
import type { HeaderList } from '../h3/headers.js';
import type { QuicBidiStream, QuicConnection, QuicReadable } from '../quic/types.js';
import { CapsuleReader, decodeCloseSession, encodeCloseSession, truncateUtf8 } from './capsules.js';
import { CAPSULE, MAX_CLOSE_MESSAGE_BYTES, WT_BIDI_SIGNAL, WT_ERROR, WT_UNI_STREAM_TYPE } from './constants.js';
import { datagramOverhead, encodeHttpDatagram, streamHeader } from './wire.js';
import { sessionGoneError } from './error-codes.js';
import { Inbox } from './inbox.js';
import { WebTransportBidiStream, WebTransportUniRecvStream, WebTransportUniSendStream, type SessionStream, type StreamOwner } from './streams.js';

export interface WebTransportCloseInfo {
  /** The application's 32-bit code (0 when the session ended without a close capsule). */
  readonly code: number;
  readonly reason: string;
  /** True when the peer ended it (capsule, FIN, reset) or the connection went away. */
  readonly remote: boolean;
  /** Set when it ended abnormally: CONNECT stream reset, malformed capsules, connection lost. */
  readonly error?: WwatpError;
}

/** The CONNECT stream as either side holds it once the 2xx response is on its way. */
export interface ConnectChannel {
  readonly stream: QuicBidiStream;
  /** The peer's DATA payloads: the capsule stream. */
  readonly body: AsyncIterable<Uint8Array>;
  readonly writer: H3BodyWriter;
}

export interface SessionInfo {
  /** The CONNECT stream's id: the session id on the wire. */
  readonly id: number;
  readonly path: string;
  readonly authority: string | undefined;
  readonly origin: string | undefined;
  /** The CONNECT request's header fields. */
  readonly headers: HeaderList;
}

/** How long after our close capsule we wait for the peer's FIN before we stop reading. */
const CLOSE_LINGER_MS = 2000;
const MAX_CLOSE_CODE = 0xffffffff;

export class WebTransportSession implements StreamOwner {
  readonly id: number;
  readonly path: string;
  readonly authority: string | undefined;
  /** The browser's Origin header: the page that opened the session. */
  readonly origin: string | undefined;
  readonly headers: HeaderList;
  /** Resolves once the session is over, for whatever reason. Never rejects. */
  readonly closed: Promise<WebTransportCloseInfo>;
  /** Called when the peer asks to wind down (DRAIN_WEBTRANSPORT_SESSION). */
  onDrain: (() => void) | undefined;

  private readonly streams = new Set<SessionStream>();
  private readonly bidiInbox = new Inbox<WebTransportBidiStream>((s) => s.abort(rejected(s.id), WT_ERROR.BUFFERED_STREAM_REJECTED));
  private readonly uniInbox = new Inbox<WebTransportUniRecvStream>((s) => s.abort(rejected(s.id), WT_ERROR.BUFFERED_STREAM_REJECTED));
  private readonly datagramInbox = new Inbox<Uint8Array>(() => undefined);
  private info: WebTransportCloseInfo | undefined;
  private gone: WwatpError | undefined;
  private resolveClosed!: (info: WebTransportCloseInfo) => void;
  private linger: NodeJS.Timeout | undefined;

  constructor(
    private readonly quic: QuicConnection,
    session: SessionInfo,
    private readonly channel: ConnectChannel,
    private readonly onEnded: (session: WebTransportSession) => void,
  ) {
    this.id = session.id;
    this.path = session.path;
    this.authority = session.authority;
    this.origin = session.origin;
    this.headers = session.headers;
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
  }

  /** The close, once the session is over. */
  get closeInfo(): WebTransportCloseInfo | undefined {
    return this.info;
  }

  /** Each bidirectional stream the peer opens. Streams that came before a handler was set wait for it. */
  get onBidiStream(): ((stream: WebTransportBidiStream) => void) | undefined {
    return this.bidiInbox.handler;
  }
  set onBidiStream(handler: ((stream: WebTransportBidiStream) => void) | undefined) {
    this.bidiInbox.handler = handler;
  }

  /** Each unidirectional stream the peer opens. */
  get onUniStream(): ((stream: WebTransportUniRecvStream) => void) | undefined {
    return this.uniInbox.handler;
  }
  set onUniStream(handler: ((stream: WebTransportUniRecvStream) => void) | undefined) {
    this.uniInbox.handler = handler;
  }

  /** Each datagram payload (the quarter stream id removed). A few wait for a handler; more are dropped. */
  get onDatagram(): ((payload: Uint8Array) => void) | undefined {
    return this.datagramInbox.handler;
  }
  set onDatagram(handler: ((payload: Uint8Array) => void) | undefined) {
    this.datagramInbox.handler = handler;
  }

  async openBidiStream(): Promise<WebTransportBidiStream> {
    this.assertOpen();
    const quic = this.quic.openBidiStream();
    await quic.write(streamHeader(WT_BIDI_SIGNAL, this.id));
    const stream = new WebTransportBidiStream(quic.id, this, quic, quic);
    if (this.gone !== undefined) throw this.gone; // ended while the header went out (stream aborted)
    return stream;
  }

  async openUniStream(): Promise<WebTransportUniSendStream> {
    this.assertOpen();
    const quic = this.quic.openUniStream();
    await quic.write(streamHeader(WT_UNI_STREAM_TYPE, this.id));
    const stream = new WebTransportUniSendStream(quic.id, this, quic);
    if (this.gone !== undefined) throw this.gone;
    return stream;
  }

  /** Sends an unreliable datagram; throws TOO_LARGE past maxDatagramSize(). */
  sendDatagram(payload: Uint8Array): void {
    this.assertOpen();
    this.quic.sendDatagram(encodeHttpDatagram(this.id, payload));
  }

  /** Largest payload sendDatagram takes now, or undefined when datagrams are off. */
  maxDatagramSize(): number | undefined {
    const max = this.quic.maxDatagramSize();
    return max === undefined ? undefined : Math.max(0, max - datagramOverhead(this.id));
  }

  /**
   * Ends the session: CLOSE_WEBTRANSPORT_SESSION with `code` (32 bits) and `reason` (cut to
   * 1024 bytes), then FIN on the CONNECT stream. Open streams are aborted with WT_SESSION_GONE.
   */
  async close(options: { code?: number; reason?: string } = {}): Promise<void> {
    if (this.info !== undefined) return;
    const code = options.code ?? 0;
    if (!Number.isInteger(code) || code < 0 || code > MAX_CLOSE_CODE) {
      throw new WwatpError('INVALID_PROPERTY', `a WebTransport close code is a 32-bit unsigned integer, not ${code}`);
    }
    const reason = new TextDecoder().decode(truncateUtf8(options.reason ?? '', MAX_CLOSE_MESSAGE_BYTES));
    this.terminate({ code, reason, remote: false });
    this.linger = setTimeout(() => this.stopReading(WT_ERROR.SESSION_GONE), CLOSE_LINGER_MS);
    this.linger.unref();
    try {
      await this.channel.writer.write(encodeCloseSession(code, reason));
      await this.channel.writer.end();
    } catch {
      // The CONNECT stream or the connection is already gone: the session is over either way.
    }
  }

  // ---- StreamOwner ----

  track(stream: SessionStream): WwatpError | undefined {
    if (this.gone !== undefined) return this.gone;
    this.streams.add(stream);
    return undefined;
  }

  untrack(stream: SessionStream): void {
    this.streams.delete(stream);
  }

  // ---- for WebTransportConnection ----

  /** Starts reading the peer's capsules; the session lives until the CONNECT stream ends. */
  start(): void {
    this.readCapsules().catch(() => undefined);
  }

  acceptBidi(stream: QuicBidiStream, rest: QuicReadable): void {
    this.bidiInbox.put(new WebTransportBidiStream(stream.id, this, rest, stream));
  }

  acceptUni(id: number, rest: QuicReadable): void {
    this.uniInbox.put(new WebTransportUniRecvStream(id, this, rest));
  }

  acceptDatagram(payload: Uint8Array): void {
    if (this.info === undefined) this.datagramInbox.put(payload);
  }

  /** The connection went away under the session. */
  connectionLost(error: WwatpError): void {
    this.terminate({ code: 0, reason: '', remote: true, error });
  }

  // ---- internals ----

  private async readCapsules(): Promise<void> {
    const capsules = new CapsuleReader();
    try {
      for await (const chunk of this.channel.body) {
        for (const capsule of capsules.push(chunk)) this.onCapsule(capsule.type, capsule.payload);
      }
      capsules.end();
      // A FIN without a close capsule is a close with code 0 and no reason.
      this.terminate({ code: 0, reason: '', remote: true });
      this.endOurSide();
    } catch (err) {
      this.readFailed(err);
    } finally {
      clearTimeout(this.linger);
    }
  }

  private onCapsule(type: number, payload: Uint8Array): void {
    if (this.info?.remote === true) {
      throw new H3Error(H3_ERROR.H3_MESSAGE_ERROR, 'stream', 'data after CLOSE_WEBTRANSPORT_SESSION');
    }
    if (type === CAPSULE.CLOSE_WEBTRANSPORT_SESSION) {
      const { code, reason } = decodeCloseSession(payload);
      this.terminate({ code, reason, remote: true });
      this.endOurSide(); // the recipient closes its side in response
    } else if (type === CAPSULE.DRAIN_WEBTRANSPORT_SESSION) {
      this.onDrain?.();
    } else if (type === CAPSULE.DATAGRAM) {
      this.acceptDatagram(payload);
    }
  }

  private readFailed(err: unknown): void {
    if (err instanceof H3Error && !err.remote) {
      // Malformed capsules: reset the CONNECT stream (RFC 9297 §3.3); the session is over.
      this.terminate({ code: 0, reason: '', remote: true, error: err });
      this.channel.writer.reset(err.h3Code);
      this.stopReading(err.h3Code);
      return;
    }
    const error = err instanceof H3Error
      ? new WwatpError('CLOSED', `the peer reset the CONNECT stream (${err.message})`, { cause: err })
      : err instanceof WwatpError ? err : new WwatpError('CLOSED', 'the CONNECT stream failed', { cause: err });
    this.terminate({ code: 0, reason: '', remote: true, error });
    this.channel.writer.reset(WT_ERROR.SESSION_GONE);
  }

  private endOurSide(): void {
    if (!this.channel.writer.finished) this.channel.writer.end().catch(() => undefined);
  }

  private stopReading(code: number): void {
    try {
      this.channel.stream.stopSending(code);
    } catch {
      // the connection is gone
    }
  }

  /** The session is over: abort its streams, refuse new ones, tell everyone once. */
  private terminate(info: WebTransportCloseInfo): void {
    if (this.info !== undefined) return;
    this.info = info;
    this.gone = info.error?.code === 'CLOSED' ? info.error : sessionGoneError(this.id);
    for (const stream of [...this.streams]) stream.abort(this.gone);
    this.streams.clear();
    this.bidiInbox.clear();
    this.uniInbox.clear();
    this.datagramInbox.clear();
    this.onEnded(this);
    this.resolveClosed(info);
  }

  private assertOpen(): void {
    if (this.gone !== undefined) throw this.gone;
  }
}

function rejected(streamId: number): WwatpError {
  return new WwatpError('UNAVAILABLE', `WebTransport stream ${streamId} was not taken: too many waiting for a handler`);
}
