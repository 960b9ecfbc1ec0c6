/**
 * An HTTP/3 connection over a QuicConnection (RFC 9114), for either role. It owns the
 * critical streams (control with SETTINGS first, silent QPACK encoder/decoder), routes
 * peer streams, applies errors at the right scope (reset one stream, or close the
 * connection with the H3 code), and handles GOAWAY in both directions. Extensions hook
 * in through onUniStream / onBidiStream, extra settings, and H3Request.stream.
 */
import { WwatpError } from '../../tree/errors.js';
import type { QuicBidiStream, QuicCloseInfo, QuicConnection, QuicIncomingStream, QuicReadable, QuicUniSendStream } from '../quic/types.js';
import { encodeVarint } from '../varint.js';
import { H3BodyWriter } from './body-writer.js';
import { openClientRequest, sendRequest, type RequestOptions } from './client-requests.js';
import { connectionError, H3_ERROR, H3Error } from './errors.js';
import { encodeFrame, encodeGoawayFrame, encodeGreaseFrame, FRAME } from './frames.js';
import { GoawayState } from './goaway.js';
import type { HeaderList } from './headers.js';
import type { BidiStreamHandler, H3Internals } from './internals.js';
import { MessageReader } from './message-reader.js';
import { checkLocalSettings, initialSettings, resolveOptions, type H3ConnectionOptions, type H3Role, type RequestHandler, type ResolvedH3Options } from './options.js';
import type { BodySource } from './request.js';
import type { ClientRequest, H3Response } from './response.js';
import { acceptRequestStream } from './server-streams.js';
import { encodeSettingsPayload, type H3Settings } from './settings.js';
import { concatBytes } from '../bytes.js';
import { bidiStreamAfterSignal, readLeadingVarint, waitAtMost } from './stream-util.js';
import { isClientInitiatedBidi, UNI_STREAM } from './stream-types.js';
import { UniStreamDispatcher, type UniStreamHandler } from './uni-streams.js';

export class H3Connection implements H3Internals {
  readonly role: H3Role;
  readonly options: ResolvedH3Options;
  /** What we send in SETTINGS; extensions may add to it before start(). */
  readonly localSettings: H3Settings;
  readonly peerSettingsReceived: Promise<H3Settings>;
  /** Resolves when the QUIC connection has closed, for whatever reason. */
  readonly closed: Promise<QuicCloseInfo>;
  /** Called when the peer sends GOAWAY (a stream id from a server, a push id from a client). */
  onGoaway: ((id: number) => void) | undefined;

  private peer: H3Settings | undefined;
  private settle: { resolve: (s: H3Settings) => void; reject: (e: Error) => void } | undefined;
  private handler: RequestHandler | undefined;
  private readonly uniHandlers = new Map<number, UniStreamHandler>();
  private readonly bidi = new Map<number, BidiStreamHandler>();
  private readonly uni: UniStreamDispatcher;
  private readonly goaway_ = new GoawayState();
  private readonly failed = new WeakSet<QuicBidiStream>();
  private control: QuicUniSendStream | undefined;
  private controlTail: Promise<void> = Promise.resolve();
  private closeReason: Error | undefined;
  private started = false;

  constructor(readonly quic: QuicConnection, options: H3ConnectionOptions) {
    this.role = options.role;
    this.options = resolveOptions(options);
    this.localSettings = initialSettings(options, this.options);
    this.handler = options.onRequest;
    this.peerSettingsReceived = new Promise<H3Settings>((resolve, reject) => {
      this.settle = { resolve, reject };
    });
    this.peerSettingsReceived.catch(() => undefined);
    this.uni = new UniStreamDispatcher({
      role: this.role,
      frameLimits: this.options.frameLimits,
      uniHandlers: this.uniHandlers,
      onSettings: (s) => this.receivedSettings(s),
      onGoaway: (id) => this.receivedGoaway(id),
    });
    this.closed = quic.closed.then((info) => {
      this.connectionClosed(info);
      return info;
    });
  }

  /** Takes the QUIC connection's streams and sends our control stream with SETTINGS and the QPACK streams. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    checkLocalSettings(this.localSettings);
    this.quic.onStream = (stream) => this.incoming(stream);
    // Written once and open for the connection's life; a peer may not stop them (RFC 9114
    // §6.2.1), so nothing looks for a STOP_SENDING on them after every packet.
    const control = this.quic.openUniStream({ watchWhileIdle: false });
    const encoder = this.quic.openUniStream({ watchWhileIdle: false });
    const decoder = this.quic.openUniStream({ watchWhileIdle: false });
    this.control = control;
    const settings = encodeFrame(FRAME.SETTINGS, encodeSettingsPayload(this.localSettings));
    const grease = this.options.grease ? encodeGreaseFrame() : new Uint8Array(0);
    this.controlTail = control.write(concatBytes([encodeVarint(UNI_STREAM.CONTROL), settings, grease]));
    // The QPACK streams carry only their type: with capacity 0 there is nothing to say.
    await Promise.all([
      this.controlTail,
      encoder.write(encodeVarint(UNI_STREAM.QPACK_ENCODER)),
      decoder.write(encodeVarint(UNI_STREAM.QPACK_DECODER)),
    ]);
  }

  get peerSettings(): H3Settings | undefined {
    return this.peer;
  }

  get requestHandler(): RequestHandler | undefined {
    return this.handler;
  }

  get bidiHandlers(): ReadonlyMap<number, BidiStreamHandler> {
    return this.bidi;
  }

  /** The error the connection closed with, once it has. */
  get error(): Error | undefined {
    return this.closeReason;
  }

  /** Server: receives each request. Without one, requests are rejected with H3_REQUEST_REJECTED. */
  onRequest(handler: RequestHandler): void {
    this.handler = handler;
  }

  /** Receives peer uni streams of an extension type, positioned after the type. */
  onUniStream(type: number, handler: UniStreamHandler): void {
    if (type <= UNI_STREAM.QPACK_DECODER) throw new WwatpError('INVALID_PROPERTY', `uni stream type ${type} belongs to HTTP/3`);
    this.uniHandlers.set(type, handler);
  }

  /** Receives peer bidi streams that open with `signal` instead of a frame (e.g. WebTransport 0x41). */
  onBidiStream(signal: number, handler: BidiStreamHandler): void {
    if (signal === FRAME.DATA || signal === FRAME.HEADERS) throw new WwatpError('INVALID_PROPERTY', `0x${signal.toString(16)} is an HTTP/3 frame type`);
    this.bidi.set(signal, handler);
  }

  /** Opens a uni stream of an extension type and writes the type. */
  async openUniStream(type: number): Promise<QuicUniSendStream> {
    const stream = this.quic.openUniStream();
    await stream.write(encodeVarint(type));
    return stream;
  }

  /** Opens a bidi stream that starts with an extension signal (e.g. 0x41 + session id via a later write). */
  async openBidiStream(signal: number): Promise<QuicBidiStream> {
    const stream = this.quic.openBidiStream();
    await stream.write(encodeVarint(signal));
    return stream;
  }

  /** Client: sends a request (body, then FIN unless endStream is false) and resolves with the response head. */
  request(headers: HeaderList, body?: BodySource, options: RequestOptions = {}): Promise<H3Response> {
    return sendRequest(this, headers, body, options);
  }

  /** Client: opens a request whose body the caller writes through `writer`. */
  openRequest(headers: HeaderList): Promise<ClientRequest> {
    return openClientRequest(this, headers);
  }

  /**
   * Sends GOAWAY and takes no new requests. A server names the first request stream it
   * will not process (one past the highest it saw); a client sends push id 0, as it
   * accepts no pushes. Requests already accepted run to completion.
   */
  async goaway(): Promise<void> {
    const id = this.goaway_.send(this.role);
    if (id === undefined || this.control === undefined) return;
    const control = this.control;
    this.controlTail = this.controlTail.then(() => control.write(encodeGoawayFrame(id)));
    await this.controlTail;
  }

  /**
   * Graceful close: GOAWAY, wait for requests in flight (up to `timeoutMs`), then give the
   * peer `lingerMs` to read the last responses and close first (closing at once would
   * discard response bytes still in flight), then close with H3_NO_ERROR.
   */
  async shutdown(options: { timeoutMs?: number; lingerMs?: number } = {}): Promise<void> {
    await this.goaway().catch(() => undefined);
    await this.goaway_.idle(options.timeoutMs ?? 30_000);
    await waitAtMost(this.closed, options.lingerMs ?? 1000);
    await this.close();
  }

  /** Closes the connection with an H3 code (H3_NO_ERROR by default). */
  async close(code: number = H3_ERROR.H3_NO_ERROR, reason = ''): Promise<void> {
    this.closeReason ??= new WwatpError('CLOSED', `HTTP/3 connection closed locally${reason ? `: ${reason}` : ''}`);
    await this.quic.close({ app: true, code, reason });
  }

  // ---- H3Internals ----

  requestRefusal(): Error | undefined {
    if (this.closeReason !== undefined) return this.closeReason;
    return this.goaway_.refusal();
  }

  refusesStream(streamId: number): boolean {
    return this.closeReason !== undefined || this.goaway_.refuses(streamId);
  }

  admitRequest(streamId: number): () => void {
    return this.goaway_.admit(streamId);
  }

  trackPending(stream: QuicBidiStream, reject: (err: Error) => void): () => void {
    return this.goaway_.trackPending(stream, reject);
  }

  makeReader(stream: QuicBidiStream, source: QuicReadable): MessageReader {
    return new MessageReader(source, {
      role: this.role,
      frameLimits: this.options.frameLimits,
      maxFieldSectionSize: this.options.maxFieldSectionSize,
      onError: (err) => this.streamFailed(stream, err),
    });
  }

  makeWriter(stream: QuicBidiStream, onDone?: () => void): H3BodyWriter {
    return new H3BodyWriter(stream, {
      huffman: this.options.huffman,
      peerMaxFieldSectionSize: () => this.peer?.maxFieldSectionSize ?? Number.POSITIVE_INFINITY,
      onDone,
    });
  }

  streamFailed(stream: QuicBidiStream, err: unknown): void {
    if (this.failed.has(stream) || this.closeReason !== undefined) return;
    if (err instanceof H3Error && err.remote) return; // the peer already abandoned it
    if (!(err instanceof H3Error)) {
      if (err instanceof WwatpError && err.code === 'CLOSED') return;
      err = new H3Error(H3_ERROR.H3_INTERNAL_ERROR, 'stream', 'internal error on a request stream', { cause: err });
    }
    const h3err = err as H3Error;
    if (h3err.scope === 'connection' && !this.options.isolateRequestErrors) {
      this.fail(h3err);
      return;
    }
    this.failed.add(stream);
    try {
      stream.reset(h3err.h3Code);
      stream.stopSending(h3err.h3Code);
    } catch {
      // The connection went away meanwhile.
    }
  }

  async closedError(): Promise<Error> {
    // A stream may fail a moment before the connection reports why it closed.
    await waitAtMost(this.closed, 1000);
    return this.closeReason ?? new WwatpError('CLOSED', 'the HTTP/3 connection closed');
  }

  // ---- internals ----

  /** Closes the connection because of a connection error. */
  private fail(err: H3Error): void {
    if (this.closeReason !== undefined) return;
    this.closeReason = err;
    this.settle?.reject(err);
    this.goaway_.rejectAll(err);
    this.quic.close({ app: true, code: err.h3Code, reason: err.message.slice(0, 200) }).catch(() => undefined);
  }

  private incoming(stream: QuicIncomingStream): void {
    if (this.closeReason !== undefined) return;
    if (stream.kind === 'uni-recv') {
      this.uni.accept(stream).catch((err: unknown) => this.backgroundError(err));
    } else if (this.role === 'server' && isClientInitiatedBidi(stream.id)) {
      acceptRequestStream(this, stream).catch((err: unknown) => this.backgroundError(err));
    } else {
      this.serverInitiatedBidi(stream).catch((err: unknown) => this.backgroundError(err));
    }
  }

  /** Servers open bidi streams only for negotiated extensions (RFC 9114 §6.1). */
  private async serverInitiatedBidi(stream: QuicBidiStream): Promise<void> {
    const lead = await readLeadingVarint(stream).catch(() => undefined);
    if (lead === undefined) return;
    const handler = this.bidi.get(lead.value);
    if (handler === undefined) throw connectionError(H3_ERROR.H3_STREAM_CREATION_ERROR, 'server-initiated bidirectional stream');
    handler(bidiStreamAfterSignal(stream, lead.rest));
  }

  private backgroundError(err: unknown): void {
    if (err instanceof H3Error) this.fail(err.scope === 'connection' ? err : connectionError(err.h3Code, err.message, err));
  }

  private receivedSettings(settings: H3Settings): void {
    if (settings.h3Datagram && this.quic.maxDatagramSize() === undefined) {
      // RFC 9297 §2.1.1: HTTP datagrams need QUIC datagrams underneath.
      throw connectionError(H3_ERROR.H3_SETTINGS_ERROR, 'H3_DATAGRAM=1 without QUIC datagram support');
    }
    this.peer = settings;
    this.settle?.resolve(settings);
  }

  private receivedGoaway(id: number): void {
    this.goaway_.received(this.role, id);
    this.onGoaway?.(id);
  }

  private connectionClosed(info: QuicCloseInfo): void {
    if (this.closeReason === undefined) {
      this.closeReason = info.app && info.remote && info.code !== H3_ERROR.H3_NO_ERROR
        ? new H3Error(info.code, 'connection', `the peer closed the connection${info.reason ? `: ${info.reason}` : ''}`, { remote: true })
        : new WwatpError('CLOSED', `the QUIC connection closed${info.timedOut ? ' (idle timeout)' : ''}`);
    }
    this.settle?.reject(this.closeReason);
    this.goaway_.rejectAll(this.closeReason);
  }
}
