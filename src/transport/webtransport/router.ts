/**
 * Routes streams and datagrams to sessions by session id. Ones that name a session not
 * seen yet wait a little (the CONNECT request may arrive after them, draft §4.6), bounded
 * in number and time; then, or for sessions already over, they are refused.
 */
import { WT_ERROR } from './constants.js';
import type { WebTransportSession } from './session.js';

export interface RouterLimits {
  /** How long a stream or datagram waits for its session (ms). */
  readonly waitMs: number;
  readonly maxWaitingStreams: number;
  readonly maxWaitingDatagrams: number;
}

type Kind = 'stream' | 'datagram';

interface Waiting {
  readonly kind: Kind;
  readonly deliver: (session: WebTransportSession) => void;
  /** Refuses it with an HTTP/3 code (a datagram is just dropped). */
  readonly reject: (h3Code: number) => void;
  timer: NodeJS.Timeout | undefined;
}

export class SessionRouter {
  readonly sessions = new Map<number, WebTransportSession>();
  private readonly ended = new Set<number>();
  private readonly waiting = new Map<number, Waiting[]>();
  private readonly counts: Record<Kind, number> = { stream: 0, datagram: 0 };

  constructor(private readonly limits: RouterLimits) {}

  route(sessionId: number, kind: Kind, deliver: (session: WebTransportSession) => void, reject: (h3Code: number) => void): void {
    const session = this.sessions.get(sessionId);
    if (session !== undefined) return deliver(session);
    if (this.ended.has(sessionId)) return reject(WT_ERROR.SESSION_GONE);
    const max = kind === 'stream' ? this.limits.maxWaitingStreams : this.limits.maxWaitingDatagrams;
    if (this.counts[kind] >= max) return reject(WT_ERROR.BUFFERED_STREAM_REJECTED);
    const entry: Waiting = { kind, deliver, reject, timer: undefined };
    entry.timer = setTimeout(() => this.expire(sessionId, entry), this.limits.waitMs);
    entry.timer.unref();
    const list = this.waiting.get(sessionId) ?? [];
    list.push(entry);
    this.waiting.set(sessionId, list);
    this.counts[kind]++;
  }

  /** A session opened: hand it what waited for it. */
  add(session: WebTransportSession): void {
    this.sessions.set(session.id, session);
    for (const entry of this.take(session.id)) entry.deliver(session);
  }

  /** A session ended or was refused: its id is never valid again. */
  end(sessionId: number): void {
    this.sessions.delete(sessionId);
    this.ended.add(sessionId);
    for (const entry of this.take(sessionId)) entry.reject(WT_ERROR.SESSION_GONE);
  }

  /** The connection is gone: nothing waits any more. */
  clear(): void {
    for (const id of [...this.waiting.keys()]) this.take(id);
  }

  private take(sessionId: number): Waiting[] {
    const list = this.waiting.get(sessionId) ?? [];
    this.waiting.delete(sessionId);
    for (const entry of list) {
      clearTimeout(entry.timer);
      this.counts[entry.kind]--;
    }
    return list;
  }

  private expire(sessionId: number, entry: Waiting): void {
    const list = this.waiting.get(sessionId);
    const at = list?.indexOf(entry) ?? -1;
    if (list === undefined || at < 0) return;
    list.splice(at, 1);
    if (list.length === 0) this.waiting.delete(sessionId);
    this.counts[entry.kind]--;
    entry.reject(WT_ERROR.BUFFERED_STREAM_REJECTED);
  }
}
