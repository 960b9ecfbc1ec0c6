/** Errors the QUIC layer raises, all WwatpErrors so callers branch on `code`. */
import { WwatpError } from '../../tree/errors.js';

/**
 * A stream the peer reset (RESET_STREAM) or asked us to stop writing (STOP_SENDING).
 * `applicationCode` is the peer's application error code (e.g. an HTTP/3 error code).
 */
export class QuicStreamAbortedError extends WwatpError {
  readonly applicationCode: number;
  readonly streamId: number;
  readonly how: 'reset' | 'stopped';

  constructor(streamId: number, how: 'reset' | 'stopped', applicationCode: number) {
    const what = how === 'reset' ? 'reset by the peer' : 'stopped by the peer (STOP_SENDING)';
    super('PROTOCOL', `QUIC stream ${streamId} ${what} with application error code ${applicationCode}`);
    this.applicationCode = applicationCode;
    this.streamId = streamId;
    this.how = how;
  }
}

export function connectionClosedError(detail: string): WwatpError {
  return new WwatpError('CLOSED', `QUIC connection closed: ${detail}`);
}

/** Names of the TLS alerts quiche reports as crypto errors 0x100 + alert. */
const TLS_ALERTS: Record<number, string> = {
  40: 'handshake failure',
  42: 'bad certificate',
  43: 'unsupported certificate',
  44: 'certificate revoked',
  45: 'certificate expired',
  46: 'certificate unknown',
  48: 'unknown CA (certificate verification failed)',
  80: 'internal error',
  112: 'unrecognized server name',
  120: 'no common application protocol (ALPN)',
};

export function describeTransportCode(code: number): string {
  if (code >= 0x100 && code <= 0x1ff) {
    const alert = code - 0x100;
    return `TLS alert ${alert}: ${TLS_ALERTS[alert] ?? 'unnamed'}`;
  }
  return `transport error 0x${code.toString(16)}`;
}
