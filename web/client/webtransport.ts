import { WwatpError } from '../../src/tree/errors.js';
import type { ByteStream, StreamOpener } from '../../src/transport/wwatp/byte-stream.js';
import { certificateHashBytes, type WwatpInfo } from './info.js';
import { withDeadline } from './deadline.js';

/** Whether this browser has WebTransport at all (and this page may use it: a secure context). */
export function webTransportAvailable(): boolean {
  return typeof globalThis.WebTransport === 'function' && globalThis.isSecureContext !== false;
}

async function* chunksOf(readable: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = readable.getReader();
  let done = false;
  try {
    for (;;) {
      const next = await reader.read();
      if (next.done) {
        done = true;
        return;
      }
      yield next.value;
    }
  } finally {
    // The reader stopped early: tell the server we want no more (STOP_SENDING).
    if (!done) void reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}

/**
 * A WebTransport session to the server; each WWATP stream is one bidirectional
 * WebTransport stream. The certificate is pinned by its hash, which works for the
 * server's development certificate (ECDSA, valid at most 14 days) with no browser flags.
 */
export async function openWebTransportStreams(info: WwatpInfo, timeoutMs = 3000): Promise<StreamOpener> {
  if (!webTransportAvailable()) throw new WwatpError('UNSUPPORTED', 'this browser (or page) has no WebTransport');
  const transport = new WebTransport(info.webTransportUrl, { serverCertificateHashes: [{ algorithm: 'sha-256', value: certificateHashBytes(info) }] });
  const closed = transport.closed.then(() => undefined, () => undefined);
  const shut = (): void => {
    try {
      transport.close();
    } catch {
      // already closed
    }
  };
  try {
    await withDeadline(transport.ready, timeoutMs, `WebTransport to ${info.webTransportUrl}`, shut);
  } catch (cause) {
    shut();
    if (WwatpError.is(cause)) throw cause;
    throw new WwatpError('UNAVAILABLE', `WebTransport to ${info.webTransportUrl} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
  return {
    closed,
    close: async () => shut(),
    async openStream(): Promise<ByteStream> {
      const bidi = await transport.createBidirectionalStream();
      const writer = bidi.writable.getWriter();
      return {
        write: (bytes) => writer.write(bytes),
        end: () => writer.close(),
        abort: (reason) => {
          void writer.abort(reason).catch(() => undefined);
          void bidi.readable.cancel(reason).catch(() => undefined);
        },
        readable: chunksOf(bidi.readable),
      };
    },
  };
}
