/** How a connection closed, from quiche's view plus what close() asked for. */
import type { Connection } from './binding.js';
import type { QuicCloseInfo } from './types.js';

export interface CloseRequest {
  app: boolean;
  code: number;
  reason: string;
}

const decoder = new TextDecoder();

export function describeClose(q: Connection, closingLocally: boolean, requested: CloseRequest | undefined): QuicCloseInfo {
  if (q.isTimedOut()) return { remote: true, app: false, code: 0, reason: 'idle timeout', timedOut: true };
  const peer = q.peerError();
  const local = q.localError();
  const remote = peer !== null && !closingLocally && local === null;
  // Reported as asked, even when an early close had to travel as a transport close.
  if (!remote && requested) return { remote: false, timedOut: false, ...requested };
  const e = remote ? peer : (local ?? peer);
  return { remote, app: e?.isApp ?? false, code: e?.errorCode ?? 0, reason: e ? decoder.decode(e.reason) : '', timedOut: false };
}

export function describeHow(info: QuicCloseInfo): string {
  if (info.timedOut) return 'idle timeout';
  return `${info.remote ? 'by the peer' : 'locally'} (code ${info.code}${info.reason ? `: ${info.reason}` : ''})`;
}
