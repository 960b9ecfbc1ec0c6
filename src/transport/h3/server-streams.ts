/**
 * Server side of a request stream: refuse it past our GOAWAY, hand it to an extension if
 * it opens with a registered signal (WebTransport's 0x41), otherwise read and validate
 * the request head and give the handler an H3Request.
 */
import type { QuicBidiStream } from '../quic/types.js';
import { H3_ERROR, H3Error, streamError } from './errors.js';
import type { H3Internals } from './internals.js';
import { H3Request } from './request.js';
import { bidiStreamAfterSignal, readLeadingVarint } from './stream-util.js';
import { validateRequest } from './validate.js';

export async function acceptRequestStream(h3: H3Internals, stream: QuicBidiStream): Promise<void> {
  if (h3.refusesStream(stream.id)) {
    // Not processed, so the client may retry it elsewhere (RFC 9114 §5.2).
    refuse(stream, H3_ERROR.H3_REQUEST_REJECTED);
    return;
  }
  const release = h3.admitRequest(stream.id);
  let handedOver = false;
  try {
    const lead = await readLeadingVarint(stream);
    if (lead === undefined) throw streamError(H3_ERROR.H3_REQUEST_INCOMPLETE, 'request stream ended before HEADERS');
    const extension = h3.bidiHandlers.get(lead.value);
    if (extension !== undefined) {
      release();
      extension(bidiStreamAfterSignal(stream, lead.rest));
      return;
    }
    const reader = h3.makeReader(stream, lead.unread);
    const fields = await reader.readHeaders();
    if (fields === undefined) throw streamError(H3_ERROR.H3_REQUEST_INCOMPLETE, 'request stream ended before HEADERS');
    const head = validateRequest(fields, { extendedConnect: h3.localSettings.enableConnectProtocol });
    const writer = h3.makeWriter(stream, release);
    const request = new H3Request(fields, head, stream, writer, reader);
    const handler = h3.requestHandler;
    if (handler === undefined) {
      request.reject(H3_ERROR.H3_REQUEST_REJECTED);
      return;
    }
    handedOver = true;
    await runHandler(handler, request);
  } catch (err) {
    if (handedOver) return;
    if (err instanceof H3Error && err.remote) {
      // The client gave up before we answered: close our side too.
      refuse(stream, H3_ERROR.H3_REQUEST_CANCELLED);
    } else {
      h3.streamFailed(stream, err);
    }
    release();
  }
}

/** A handler that throws before finishing its response gets the stream reset. */
async function runHandler(handler: (request: H3Request) => void | Promise<void>, request: H3Request): Promise<void> {
  try {
    await handler(request);
  } catch {
    if (!request.writer.finished) request.reject(H3_ERROR.H3_INTERNAL_ERROR);
  }
}

function refuse(stream: QuicBidiStream, code: number): void {
  try {
    stream.reset(code);
    stream.stopSending(code);
  } catch {
    // The connection is already gone.
  }
}
