/**
 * WebTransport application error codes (32 bits) and the HTTP/3 error codes they travel
 * as on RESET_STREAM / STOP_SENDING: the range 0x52e4a40fa8db..0x52e5ac983162, skipping the
 * reserved codepoints 0x1f * N + 0x21 (draft-ietf-webtrans-http3 §4.3). All values stay
 * below 2^53, so plain numbers are exact.
 */
import { WwatpError } from '../../tree/errors.js';
import { WT_ERROR } from './constants.js';

const FIRST = 0x52e4a40fa8db;
const LAST = 0x52e5ac983162;
const MAX_APP_CODE = 0xffffffff;

export function webTransportCodeToHttp3(code: number): number {
  if (!Number.isInteger(code) || code < 0 || code > MAX_APP_CODE) {
    throw new WwatpError('INVALID_PROPERTY', `a WebTransport error code is a 32-bit unsigned integer, not ${code}`);
  }
  return FIRST + code + Math.floor(code / 0x1e);
}

/** The application code an HTTP/3 code stands for, or undefined outside the WebTransport range. */
export function http3CodeToWebTransport(h3Code: number): number | undefined {
  if (h3Code < FIRST || h3Code > LAST || (h3Code - 0x21) % 0x1f === 0) return undefined;
  const shifted = h3Code - FIRST;
  return shifted - Math.floor(shifted / 0x1f);
}

/**
 * The peer reset a WebTransport stream (RESET_STREAM) or stopped our writing to it
 * (STOP_SENDING). `applicationCode` is the peer application's code when it sent one from
 * the WebTransport range; `http3Code` is what was on the wire.
 */
export class WebTransportStreamError extends WwatpError {
  readonly applicationCode: number | undefined;
  readonly http3Code: number;
  readonly how: 'reset' | 'stopped';
  readonly streamId: number;

  constructor(streamId: number, how: 'reset' | 'stopped', http3Code: number, options?: { cause?: unknown }) {
    const app = http3CodeToWebTransport(http3Code);
    const what = how === 'reset' ? 'reset by the peer' : 'stopped by the peer';
    const code = app === undefined ? `HTTP/3 code 0x${http3Code.toString(16)}` : `code ${app}`;
    super('PROTOCOL', `WebTransport stream ${streamId} ${what} (${code})`, options);
    this.name = 'WebTransportStreamError';
    this.applicationCode = app;
    this.http3Code = http3Code;
    this.how = how;
    this.streamId = streamId;
  }
}

/** The error streams fail with once their session is over. */
export function sessionGoneError(sessionId: number, detail = 'the WebTransport session ended'): WwatpError {
  return new WwatpError('CLOSED', `${detail} (session ${sessionId})`);
}

/** Whether an HTTP/3 code means "the session is gone" rather than an application abort. */
export function isSessionGone(h3Code: number): boolean {
  return h3Code === WT_ERROR.SESSION_GONE;
}
