/**
 * The QUIC surface the layers above (HTTP/3, WebTransport, WWATP) program against.
 * Implemented over Cloudflare quiche (the native binding in @matrixai/quic) and
 * node:dgram in this folder; nothing above this file imports quiche.
 */

/** Bytes from a peer stream, read with `for await` or `read()`. */
export interface QuicReadable extends AsyncIterable<Uint8Array> {
  /** The next chunk, or undefined at the end of the stream (FIN). Rejects if the peer reset it. */
  read(): Promise<Uint8Array | undefined>;
  /** Asks the peer to stop sending (STOP_SENDING with an application error code). */
  stopSending(code: number): void;
}

/** Bytes to a peer stream, with backpressure: write resolves once quiche accepted all of it. */
export interface QuicWritable {
  write(bytes: Uint8Array): Promise<void>;
  /** Sends FIN after everything written so far. */
  end(): Promise<void>;
  /** Abandons the stream (RESET_STREAM with an application error code). */
  reset(code: number): void;
  /**
   * Puts what was written on the wire now instead of at the end of this event-loop turn:
   * for a write that answers nothing (a server push), which would otherwise wait behind
   * every other connection's writes of the turn.
   */
  sendNow?(): void;
}

export interface QuicBidiStream extends QuicReadable, QuicWritable {
  readonly id: number;
  readonly kind: 'bidi';
}

export interface QuicUniSendStream extends QuicWritable {
  readonly id: number;
  readonly kind: 'uni-send';
}

export interface QuicUniRecvStream extends QuicReadable {
  readonly id: number;
  readonly kind: 'uni-recv';
}

export type QuicIncomingStream = QuicBidiStream | QuicUniRecvStream;

export interface QuicCloseInfo {
  /** True when the peer (or idle timeout) closed it, false when we did. */
  readonly remote: boolean;
  readonly app: boolean;
  readonly code: number;
  readonly reason: string;
  readonly timedOut: boolean;
}

export interface QuicConnection {
  /** The negotiated ALPN protocol (e.g. 'h3'). */
  readonly alpn: string;
  readonly remoteAddress: { host: string; port: number };
  openBidiStream(): QuicBidiStream;
  /**
   * A stream of ours to the peer. With `watchWhileIdle: false`, a STOP_SENDING from the
   * peer is learned at the next write instead of being looked for after every packet
   * while nothing is being written: for streams written once and then left open for the
   * connection's life (HTTP/3's control and QPACK streams, which a peer may not stop).
   */
  openUniStream(options?: { watchWhileIdle?: boolean }): QuicUniSendStream;
  /** Called for each stream the peer opens (set before the handshake completes to miss none). */
  onStream: ((stream: QuicIncomingStream) => void) | undefined;
  /** QUIC DATAGRAM frames (RFC 9221); sendDatagram throws if the peer does not accept them. */
  sendDatagram(bytes: Uint8Array): void;
  onDatagram: ((bytes: Uint8Array) => void) | undefined;
  /** Largest datagram the peer accepts now, or undefined when datagrams are off. */
  maxDatagramSize(): number | undefined;
  /** The peer's certificate chain, leaf first, DER (the client checks pins with it). */
  peerCertificates(): Uint8Array[];
  close(options?: { app?: boolean; code?: number; reason?: string }): Promise<void>;
  /** Resolves when the connection is fully closed, for whatever reason. */
  readonly closed: Promise<QuicCloseInfo>;
}
