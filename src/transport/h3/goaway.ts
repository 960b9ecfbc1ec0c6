/**
 * GOAWAY bookkeeping (RFC 9114 §5.2) and the requests it affects: on a server, the
 * highest request stream seen (to name the first one refused) and the requests in
 * flight (to drain before closing); on a client, the requests awaiting a response, which
 * a GOAWAY below their stream id rejects as never processed.
 */
import type { QuicBidiStream } from '../quic/types.js';
import { connectionError, H3_ERROR, H3Error } from './errors.js';
import type { H3Role } from './options.js';
import { isClientInitiatedBidi } from './stream-types.js';

export class GoawayState {
  private sentId: number | undefined;
  private receivedId: number | undefined;
  private maxRequestId = -1;
  private active = 0;
  private idleWaiters: (() => void)[] = [];
  private readonly pending = new Map<QuicBidiStream, (err: Error) => void>();

  /** The id to put in our GOAWAY, or undefined if we already sent one. */
  send(role: H3Role): number | undefined {
    if (this.sentId !== undefined) return undefined;
    // Server: one past the highest request stream seen (0 when none was). Client: push
    // id 0 (we take no pushes).
    this.sentId = role === 'server' && this.maxRequestId >= 0 ? this.maxRequestId + 4 : 0;
    return this.sentId;
  }

  /** Why a new request may not start, if a GOAWAY went either way. */
  refusal(): Error | undefined {
    if (this.receivedId !== undefined) {
      return new H3Error(H3_ERROR.H3_REQUEST_REJECTED, 'stream', 'the server sent GOAWAY; open a new connection', { remote: true });
    }
    if (this.sentId !== undefined) return new H3Error(H3_ERROR.H3_REQUEST_REJECTED, 'stream', 'this connection is going away');
    return undefined;
  }

  /** Server: a request stream at or past our GOAWAY id is refused unprocessed. */
  refuses(streamId: number): boolean {
    return this.sentId !== undefined && streamId >= this.sentId;
  }

  /** Server: notes a request in flight; the returned release may be called more than once. */
  admit(streamId: number): () => void {
    this.maxRequestId = Math.max(this.maxRequestId, streamId);
    this.active += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active -= 1;
      if (this.active === 0) for (const wake of this.idleWaiters.splice(0)) wake();
    };
  }

  /** Resolves when no request is in flight, or after `timeoutMs`. */
  idle(timeoutMs: number): Promise<void> {
    if (this.active === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.idleWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  trackPending(stream: QuicBidiStream, reject: (err: Error) => void): () => void {
    this.pending.set(stream, reject);
    return () => this.pending.delete(stream);
  }

  /** Applies a peer's GOAWAY; throws H3_ID_ERROR for an id that is invalid or increased. */
  received(role: H3Role, id: number): void {
    if (role === 'client' && !isClientInitiatedBidi(id)) {
      throw connectionError(H3_ERROR.H3_ID_ERROR, `GOAWAY id ${id} is not a client-initiated bidirectional stream`);
    }
    if (this.receivedId !== undefined && id > this.receivedId) {
      throw connectionError(H3_ERROR.H3_ID_ERROR, `GOAWAY id rose from ${this.receivedId} to ${id}`);
    }
    this.receivedId = id;
    if (role !== 'client') return;
    for (const [stream, reject] of this.pending) {
      if (stream.id < id) continue;
      this.pending.delete(stream);
      try {
        stream.reset(H3_ERROR.H3_REQUEST_CANCELLED);
        stream.stopSending(H3_ERROR.H3_REQUEST_CANCELLED);
      } catch {
        // Already gone.
      }
      reject(new H3Error(H3_ERROR.H3_REQUEST_REJECTED, 'stream', `the server's GOAWAY (${id}) excludes stream ${stream.id}; retry it`, { remote: true }));
    }
  }

  rejectAll(err: Error): void {
    for (const reject of this.pending.values()) reject(err);
    this.pending.clear();
  }
}
