/**
 * What the request-stream modules (server-streams.ts, client-requests.ts) need from the
 * connection. H3Connection implements it; keeping it narrow keeps those modules testable
 * and the connection file small.
 */
import type { QuicBidiStream, QuicConnection, QuicReadable } from '../quic/types.js';
import type { H3BodyWriter } from './body-writer.js';
import type { MessageReader } from './message-reader.js';
import type { RequestHandler, ResolvedH3Options } from './options.js';
import type { H3Settings } from './settings.js';

export type BidiStreamHandler = (stream: QuicBidiStream) => void;

export interface H3Internals {
  readonly quic: QuicConnection;
  readonly options: ResolvedH3Options;
  readonly localSettings: H3Settings;
  readonly peerSettings: H3Settings | undefined;
  readonly peerSettingsReceived: Promise<H3Settings>;
  readonly requestHandler: RequestHandler | undefined;
  readonly bidiHandlers: ReadonlyMap<number, BidiStreamHandler>;
  /** Why no new request may start (closing, GOAWAY), or undefined. */
  requestRefusal(): Error | undefined;
  /** Server: whether a request on this stream id arrived past our GOAWAY. */
  refusesStream(streamId: number): boolean;
  /** Server: marks a request stream as seen (for the GOAWAY id) and in flight; returns its release. */
  admitRequest(streamId: number): () => void;
  /** Client: registers a request awaiting its response, so a GOAWAY can reject it. */
  trackPending(stream: QuicBidiStream, reject: (err: Error) => void): () => void;
  makeReader(stream: QuicBidiStream, source: QuicReadable): MessageReader;
  makeWriter(stream: QuicBidiStream, onDone?: () => void): H3BodyWriter;
  /** Applies an error that arose on a request stream: reset it, or close the connection. */
  streamFailed(stream: QuicBidiStream, err: unknown): void;
  /** The error to report for a stream that vanished with the connection, once the close is known. */
  closedError(): Promise<Error>;
}
