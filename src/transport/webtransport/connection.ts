/**
 * WebTransport over one H3Connection (draft-02 as Chromium speaks it), for either role:
 * advertises the settings, takes the extension streams (bidi 0x41, uni 0x54) and the QUIC
 * datagrams, and routes each to its session by session id. A server answers extended
 * CONNECT requests (`:protocol webtransport`) on its paths; a client opens sessions with
 * connect(). Create it before `h3.start()`, so the settings go out in SETTINGS.
 */
import { WwatpError } from '../../tree/errors.js';
import type { H3Connection } from '../h3/connection.js';
import { H3_ERROR } from '../h3/errors.js';
import type { HeaderList } from '../h3/headers.js';
import type { H3Request } from '../h3/request.js';
import { SETTING } from '../h3/settings.js';
import { readLeadingVarint } from '../h3/stream-util.js';
import type { QuicBidiStream, QuicUniRecvStream } from '../quic/types.js';
import { DRAFT02, DRAFT02_OFFER_HEADER, DRAFT_HEADER, SETTING_ENABLE_WEBTRANSPORT, SETTING_H3_DATAGRAM, WT_BIDI_SIGNAL, WT_UNI_STREAM_TYPE } from './constants.js';
import { SessionRouter } from './router.js';
import { WebTransportSession, type ConnectChannel, type SessionInfo } from './session.js';
import { decodeHttpDatagram } from './wire.js';

export interface WebTransportOptions {
  /** Server: paths (without the query) sessions may open on; other paths get 404. */
  readonly paths?: readonly string[];
  /** Server: each new session, before its 200 goes out (set its handlers here). */
  readonly onSession?: (session: WebTransportSession) => void;
  /** Server: decides on the browser's Origin header; refused sessions get 403. Default: any. */
  readonly allowOrigin?: (origin: string | undefined) => boolean;
  /** Server: sessions open at once on this connection; more are refused (H3_REQUEST_REJECTED). Default 64. */
  readonly maxSessions?: number;
  /** How long a stream or datagram for a session not seen yet waits for it (ms, default 3000). */
  readonly waitForSessionMs?: number;
}

export interface ConnectOptions {
  /** host:port the session is for (`:authority`). */
  readonly authority: string;
  readonly path: string;
  readonly origin?: string;
  readonly headers?: HeaderList;
}

export class WebTransportConnection {
  private readonly router: SessionRouter;
  private readonly paths: ReadonlySet<string>;

  constructor(readonly h3: H3Connection, private readonly options: WebTransportOptions = {}) {
    this.paths = new Set(options.paths ?? []);
    this.router = new SessionRouter({ waitMs: options.waitForSessionMs ?? 3000, maxWaitingStreams: 32, maxWaitingDatagrams: 64 });
    if (h3.role === 'server') h3.localSettings.set(SETTING.ENABLE_CONNECT_PROTOCOL, 1);
    h3.localSettings.set(SETTING_H3_DATAGRAM, 1);
    h3.localSettings.set(SETTING_ENABLE_WEBTRANSPORT, 1);
    h3.onBidiStream(WT_BIDI_SIGNAL, (stream) => void this.incomingBidi(stream).catch(() => undefined));
    h3.onUniStream(WT_UNI_STREAM_TYPE, (stream) => void this.incomingUni(stream).catch(() => undefined));
    h3.quic.onDatagram = (bytes) => this.incomingDatagram(bytes);
    void h3.closed.then(() => this.connectionClosed());
  }

  /** Sessions open now, by id. */
  get sessions(): ReadonlyMap<number, WebTransportSession> {
    return this.router.sessions;
  }

  /**
   * Server: takes the request if it is a WebTransport extended CONNECT (and answers it),
   * returning true; false leaves it to the caller.
   */
  handleRequest(request: H3Request): boolean {
    if (request.method !== 'CONNECT' || request.protocol !== 'webtransport') return false;
    this.accept(request).catch(() => request.reject(H3_ERROR.H3_INTERNAL_ERROR));
    return true;
  }

  /** Client: opens a session (waits for the server's SETTINGS to offer WebTransport). */
  async connect(options: ConnectOptions): Promise<WebTransportSession> {
    const peer = await this.h3.peerSettingsReceived;
    if (peer.get(SETTING_ENABLE_WEBTRANSPORT) !== 1n || peer.get(SETTING_H3_DATAGRAM) !== 1n) {
      throw new WwatpError('UNSUPPORTED', 'the server does not offer WebTransport (draft-02) with HTTP datagrams');
    }
    const headers: HeaderList = [
      [':method', 'CONNECT'], [':protocol', 'webtransport'], [':scheme', 'https'],
      [':authority', options.authority], [':path', options.path], [DRAFT02_OFFER_HEADER, '1'],
      ...(options.origin === undefined ? [] : [['origin', options.origin] as const]),
      ...(options.headers ?? []),
    ];
    const request = await this.h3.openRequest(headers);
    const id = request.stream.id;
    const response = await request.response.catch((err: unknown) => {
      this.router.end(id);
      throw err;
    });
    if (response.status < 200 || response.status > 299) {
      this.router.end(id);
      request.writer.reset(H3_ERROR.H3_REQUEST_CANCELLED);
      throw new WwatpError('UNAVAILABLE', `the server refused the WebTransport session: HTTP ${response.status}`);
    }
    const session = this.open({ id, path: options.path, authority: options.authority, origin: options.origin, headers }, { stream: request.stream, body: response.body, writer: request.writer });
    return session;
  }

  // ---- server side ----

  private async accept(request: H3Request): Promise<void> {
    const id = request.stream.id;
    const path = request.path ?? '';
    const refuse = async (status: string, why: string): Promise<void> => {
      this.router.end(id);
      await request.respond([[':status', status], ['content-type', 'text/plain']], { body: new TextEncoder().encode(`${why}\n`) });
    };
    if (!this.paths.has(path.split('?')[0] as string)) return refuse('404', 'no WebTransport endpoint here');
    const origin = request.header('origin');
    if (this.options.allowOrigin !== undefined && !this.options.allowOrigin(origin)) return refuse('403', 'origin not allowed');
    if (this.router.sessions.size >= (this.options.maxSessions ?? 64)) {
      this.router.end(id);
      request.reject(H3_ERROR.H3_REQUEST_REJECTED);
      return;
    }
    const session = this.open({ id, path, authority: request.authority, origin, headers: request.headers }, { stream: request.stream, body: request.body, writer: request.writer });
    this.options.onSession?.(session);
    // Chromium requires this header in the answer to a draft-02 offer.
    await request.respond([[':status', '200'], [DRAFT_HEADER, DRAFT02]], { endStream: false }).catch((err: unknown) => {
      session.connectionLost(err instanceof WwatpError ? err : new WwatpError('CLOSED', 'the CONNECT response failed', { cause: err }));
    });
  }

  private open(info: SessionInfo, channel: ConnectChannel): WebTransportSession {
    const session = new WebTransportSession(this.h3.quic, info, channel, (s) => this.router.end(s.id));
    this.router.add(session);
    session.start();
    return session;
  }

  // ---- incoming streams and datagrams ----

  private async incomingBidi(stream: QuicBidiStream): Promise<void> {
    const lead = await readLeadingVarint(stream).catch(() => undefined);
    if (lead === undefined || lead.value < 0 || !this.validSessionId(lead.value)) return;
    this.router.route(lead.value, 'stream', (session) => session.acceptBidi(stream, lead.rest), (code) => {
      refuseStream(() => stream.reset(code));
      refuseStream(() => lead.rest.stopSending(code));
    });
  }

  private async incomingUni(stream: QuicUniRecvStream): Promise<void> {
    const lead = await readLeadingVarint(stream).catch(() => undefined);
    if (lead === undefined || lead.value < 0 || !this.validSessionId(lead.value)) return;
    this.router.route(lead.value, 'stream', (session) => session.acceptUni(stream.id, lead.rest), (code) => {
      refuseStream(() => lead.rest.stopSending(code));
    });
  }

  private incomingDatagram(bytes: Uint8Array): void {
    const datagram = decodeHttpDatagram(bytes);
    if (datagram === undefined) return;
    // Only client-initiated bidi stream ids can be sessions; anything else is dropped.
    this.router.route(datagram.sessionId, 'datagram', (session) => session.acceptDatagram(datagram.payload), () => undefined);
  }

  /** A session id must be a client-initiated bidi stream id (draft §4): else H3_ID_ERROR. */
  private validSessionId(id: number): boolean {
    if (Number.isSafeInteger(id) && id % 4 === 0) return true;
    this.h3.close(H3_ERROR.H3_ID_ERROR, 'WebTransport session id is not a client-initiated bidirectional stream').catch(() => undefined);
    return false;
  }

  private connectionClosed(): void {
    const error = this.h3.error instanceof WwatpError ? this.h3.error : new WwatpError('CLOSED', 'the HTTP/3 connection closed');
    this.router.clear();
    for (const session of [...this.router.sessions.values()]) session.connectionLost(error);
  }
}

function refuseStream(action: () => void): void {
  try {
    action();
  } catch {
    // the connection is gone
  }
}
