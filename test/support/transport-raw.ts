/**
 * Raw peers for feeding a real WWATP server what a correct client never sends: plain
 * QUIC connections (for hand-made HTTP/3 control streams), HTTP/3 connections with raw
 * bidirectional streams (bad frames, varints, QPACK), and WWATP request bodies built
 * chunk by chunk (bad chunk headers, bad CBOR, unknown signals, truncation).
 */
import dgram from 'node:dgram';
import { connectQuic } from '../../src/transport/quic/index.js';
import type { QuicCloseInfo, QuicConnection, QuicUniSendStream } from '../../src/transport/quic/types.js';
import { H3Connection } from '../../src/transport/h3/connection.js';
import { encodeFrame, FRAME } from '../../src/transport/h3/frames.js';
import type { HeaderList } from '../../src/transport/h3/headers.js';
import { encodeFieldSection } from '../../src/transport/h3/qpack/encoder.js';
import { concatBytes } from '../../src/transport/bytes.js';
import { quicErrorCode } from '../../src/transport/h3/stream-util.js';
import { encodeVarint } from '../../src/transport/varint.js';
import { ChunkReader } from '../../src/transport/wwatp/chunk-codec.js';
import { MessageAssembler } from '../../src/transport/wwatp/message-assembler.js';
import { decodePayload } from '../../src/transport/wwatp/payloads.js';
import { within } from './transport-env.js';
import { readRawResponse, type RawResponse } from '../unit/transport/support/h3-harness.js';

export { concatBytes as concat, encodeVarint };

export interface Target {
  readonly port: number;
  readonly certificateHash: string;
}

export const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
export const hex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h.replace(/\s/g, ''), 'hex'));

/** A bare QUIC connection (ALPN h3, QUIC datagrams on, as the server may send H3_DATAGRAM=1) with no HTTP/3 on top. */
export function rawQuic(target: Target): Promise<QuicConnection> {
  return within(connectQuic({ host: '127.0.0.1', port: target.port, alpn: ['h3'], datagrams: true, certificateHash: target.certificateHash }), 10_000, 'raw QUIC connect');
}

/** An HTTP/3 client connection (control and QPACK streams sent) whose streams we write by hand. */
export async function rawH3(target: Target): Promise<{ quic: QuicConnection; h3: H3Connection; close: () => Promise<void> }> {
  const quic = await rawQuic(target);
  const h3 = new H3Connection(quic, { role: 'client' });
  await h3.start();
  return { quic, h3, close: () => h3.close().catch(() => undefined) };
}

/** The three critical uni streams, with `control` as the control stream's bytes after its type. */
export async function criticalStreams(quic: QuicConnection, control: Uint8Array): Promise<QuicUniSendStream> {
  const open = async (type: number, payload: Uint8Array = new Uint8Array(0)): Promise<QuicUniSendStream> => {
    const stream = quic.openUniStream();
    await stream.write(concatBytes([encodeVarint(type), payload]));
    return stream;
  };
  const stream = await open(0x00, control);
  await open(0x02);
  await open(0x03);
  return stream;
}

export function settingsFrame(pairs: readonly (readonly [number, number])[]): Uint8Array {
  return encodeFrame(FRAME.SETTINGS, concatBytes(pairs.flatMap(([id, value]) => [encodeVarint(id), encodeVarint(value)])));
}

export function headersFrame(fields: HeaderList): Uint8Array {
  return encodeFrame(FRAME.HEADERS, encodeFieldSection(fields));
}

export function wwatpHeaders(authority: string, method = 'POST', path = '/wwatp'): HeaderList {
  return [[':method', method], [':scheme', 'https'], [':authority', authority], [':path', path], ['content-type', 'application/wwatp']];
}

// The HTTP/3 suites' reader of raw responses: HEADERS and DATA until FIN or a reset.
export { readRawResponse, type RawResponse } from '../unit/transport/support/h3-harness.js';

export async function exchange(quic: QuicConnection, request: Uint8Array, fin = true): Promise<RawResponse> {
  const stream = quic.openBidiStream();
  const answer = readRawResponse(stream);
  try {
    await stream.write(request);
    if (fin) await stream.end();
  } catch {
    // The server may reset the stream before it has read all of it.
  }
  return within(answer, 10_000, 'raw exchange');
}

/** A WWATP chunk with any field as given, for building bad ones. */
export function chunk(signal: number, requestId: number, flags: number, payload: Uint8Array, length = payload.length): Uint8Array {
  return concatBytes([encodeVarint(signal), encodeVarint(requestId), Uint8Array.of(flags), encodeVarint(length), payload]);
}

export interface WwatpReply {
  readonly signal: number;
  readonly requestId: number;
  readonly body: Record<string, unknown>;
}

/** Parses a WWATP response body into messages (throws if the server's own bytes are malformed). */
export function parseReplies(body: Uint8Array): WwatpReply[] {
  const reader = new ChunkReader();
  const assembler = new MessageAssembler(64 * 1024 * 1024);
  const out: WwatpReply[] = [];
  for (const c of reader.push(body)) {
    const m = assembler.add(c);
    if (m) out.push({ signal: m.signal, requestId: m.requestId, body: decodePayload(m.payload) });
  }
  if (reader.pending > 0) throw new Error(`the server's reply ends inside a chunk (${reader.pending} bytes)`);
  return out;
}

/**
 * Sends `body` as the request body of a valid `POST /wwatp` (DATA frames; FIN after it
 * unless `fin` is false) and returns the status and the parsed WWATP replies.
 */
export async function wwatpExchange(h3: H3Connection, authority: string, body: Uint8Array, fin = true): Promise<{ status: number; replies: WwatpReply[]; resetCode: number | undefined }> {
  const request = await h3.openRequest(wwatpHeaders(authority));
  if (body.length > 0) void request.writer.write(body).catch(() => undefined);
  if (fin) void request.writer.end().catch(() => undefined);
  const response = await within(request.response, 10_000, 'WWATP response head');
  const parts: Uint8Array[] = [];
  let resetCode: number | undefined;
  try {
    for await (const part of response.body) parts.push(part);
  } catch (err) {
    resetCode = quicErrorCode(err) ?? -1;
  }
  return { status: response.status, replies: parseReplies(concatBytes(parts)), resetCode };
}

/** The close info of a connection, waiting at most `ms`. */
export function closedWithin(quic: QuicConnection, ms = 5000): Promise<QuicCloseInfo> {
  return within(quic.closed, ms, 'connection close');
}

/** Sends each datagram from a fresh UDP socket to the port; collects whatever comes back for a moment. */
export async function sprayUdp(port: number, datagrams: readonly Uint8Array[], listenMs = 200): Promise<Buffer[]> {
  const socket = dgram.createSocket('udp4');
  const answers: Buffer[] = [];
  socket.on('message', (msg) => answers.push(msg));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  try {
    for (const d of datagrams) {
      await new Promise<void>((resolve, reject) => socket.send(d, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
    }
    await new Promise((resolve) => setTimeout(resolve, listenMs));
  } finally {
    await new Promise<void>((resolve) => socket.close(() => resolve()));
  }
  return answers;
}
