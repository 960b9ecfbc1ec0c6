/**
 * What the WWATP client needs from a transport: fresh bidirectional byte streams. Over
 * QUIC each is an HTTP/3 request stream; in the browser a WebTransport stream or a
 * WebSocket tunnel. The protocol code is the same over all of them.
 */
export interface ByteStream {
  write(bytes: Uint8Array): Promise<void>;
  /** Finishes our side; the peer's replies keep coming until it finishes its side. */
  end(): Promise<void>;
  /** Abandons the stream both ways. */
  abort(reason?: unknown): void;
  readonly readable: AsyncIterable<Uint8Array>;
}

export interface StreamOpener {
  openStream(): Promise<ByteStream>;
  /** Resolves when the underlying connection is gone (so the client can reconnect). */
  readonly closed: Promise<void>;
  close(): Promise<void>;
}
