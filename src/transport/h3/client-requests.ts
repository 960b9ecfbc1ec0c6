/**
 * Client side of a request stream: validate and send the head, read interim responses
 * until the final one, and reject the request if a GOAWAY says the server never
 * processed it.
 */
import type { QuicBidiStream } from '../quic/types.js';
import { H3_ERROR, H3Error, streamError } from './errors.js';
import { getHeader, lowercaseNames, type HeaderList } from './headers.js';
import type { H3Internals } from './internals.js';
import type { MessageReader } from './message-reader.js';
import { writeBody, type BodySource } from './request.js';
import { H3Response, type ClientRequest } from './response.js';
import { validateRequest, validateResponse, type RequestHead } from './validate.js';

export async function openClientRequest(h3: H3Internals, fields: HeaderList): Promise<ClientRequest> {
  const headers = lowercaseNames(fields);
  const refusedBefore = h3.requestRefusal();
  if (refusedBefore !== undefined) throw refusedBefore;
  // `:protocol` is only allowed once the server's SETTINGS said so (RFC 9220 §3).
  const peer = getHeader(headers, ':protocol') !== undefined ? await h3.peerSettingsReceived : h3.peerSettings;
  const head = validateRequest(headers, { extendedConnect: peer?.enableConnectProtocol ?? false });
  const refused = h3.requestRefusal();
  if (refused !== undefined) throw refused;

  const stream = h3.quic.openBidiStream();
  const writer = h3.makeWriter(stream);
  const reader = h3.makeReader(stream, stream);
  let rejectEarly: (err: Error) => void = () => undefined;
  const goneAway = new Promise<never>((_, reject) => {
    rejectEarly = reject;
  });
  const untrack = h3.trackPending(stream, rejectEarly);
  const response = Promise.race([readFinalResponse(h3, stream, reader, head), goneAway]).finally(untrack);
  response.catch(() => undefined); // the caller may only look at it later
  try {
    await writer.writeHeaders(headers);
  } catch (err) {
    writer.reset(H3_ERROR.H3_REQUEST_CANCELLED);
    rejectEarly(err instanceof Error ? err : new Error(String(err)));
    throw err;
  }
  return { stream, writer, response };
}

async function readFinalResponse(h3: H3Internals, stream: QuicBidiStream, reader: MessageReader, request: RequestHead): Promise<H3Response> {
  try {
    for (;;) {
      const fields = await reader.readHeaders();
      if (fields === undefined) throw streamError(H3_ERROR.H3_MESSAGE_ERROR, 'the response stream ended without a response');
      const head = validateResponse(fields);
      if (head.status < 200) continue; // interim responses carry nothing we use
      // HEAD, 204 and 304 responses have no content whatever content-length says (RFC 9110 §8.6).
      const bodiless = request.method === 'HEAD' || head.status === 204 || head.status === 304;
      return new H3Response(head.status, fields, stream, reader, bodiless ? undefined : head.contentLength);
    }
  } catch (err) {
    if (err instanceof H3Error) {
      h3.streamFailed(stream, err);
      throw err;
    }
    throw await h3.closedError();
  }
}

export interface RequestOptions {
  /** Send FIN after the body (default true). False keeps the request stream open (extended CONNECT). */
  readonly endStream?: boolean;
}

/** Sends a whole request and resolves with the response head; the body streams after. */
export async function sendRequest(h3: H3Internals, headers: HeaderList, body: BodySource | undefined, options: RequestOptions): Promise<H3Response> {
  const request = await openClientRequest(h3, headers);
  const sending = (async () => {
    if (body !== undefined) await writeBody(request.writer, body);
    if (options.endStream ?? true) await request.writer.end();
  })();
  sending.catch(() => {
    // The server may stop reading once it has answered (STOP_SENDING); otherwise give up.
    if (!request.writer.finished) request.writer.reset(H3_ERROR.H3_REQUEST_CANCELLED);
  });
  return request.response;
}
