/**
 * HTTP/3 (RFC 9114 §8.1) and QPACK (RFC 9204 §6) application error codes, and the
 * H3Error that carries one. Every failure in this folder is an H3Error so the connection
 * knows which code to put on the wire and whether it ends one stream or the connection.
 */
import { WwatpError } from '../../tree/errors.js';

export const H3_ERROR = {
  H3_NO_ERROR: 0x100,
  H3_GENERAL_PROTOCOL_ERROR: 0x101,
  H3_INTERNAL_ERROR: 0x102,
  H3_STREAM_CREATION_ERROR: 0x103,
  H3_CLOSED_CRITICAL_STREAM: 0x104,
  H3_FRAME_UNEXPECTED: 0x105,
  H3_FRAME_ERROR: 0x106,
  H3_EXCESSIVE_LOAD: 0x107,
  H3_ID_ERROR: 0x108,
  H3_SETTINGS_ERROR: 0x109,
  H3_MISSING_SETTINGS: 0x10a,
  H3_REQUEST_REJECTED: 0x10b,
  H3_REQUEST_CANCELLED: 0x10c,
  H3_REQUEST_INCOMPLETE: 0x10d,
  H3_MESSAGE_ERROR: 0x10e,
  H3_CONNECT_ERROR: 0x10f,
  H3_VERSION_FALLBACK: 0x110,
  QPACK_DECOMPRESSION_FAILED: 0x200,
  QPACK_ENCODER_STREAM_ERROR: 0x201,
  QPACK_DECODER_STREAM_ERROR: 0x202,
} as const;

export type H3ErrorName = keyof typeof H3_ERROR;

const NAMES = new Map<number, H3ErrorName>(
  (Object.entries(H3_ERROR) as [H3ErrorName, number][]).map(([name, code]) => [code, name]),
);

/** The name of a known code, or a hex rendering (GREASE codes 0x1f*N+0x21 are legal on the wire). */
export function h3ErrorName(code: number): string {
  return NAMES.get(code) ?? `0x${code.toString(16)}`;
}

/**
 * 'connection': the whole connection is closed with this code (CONNECTION_CLOSE, app).
 * 'stream': only the stream it arose on is reset / stopped with this code.
 */
export type H3ErrorScope = 'connection' | 'stream';

export class H3Error extends WwatpError {
  readonly h3Code: number;
  readonly scope: H3ErrorScope;
  /** True when the peer (not this endpoint) signalled the code, e.g. a reset we received. */
  readonly remote: boolean;

  constructor(
    h3Code: number,
    scope: H3ErrorScope,
    message: string,
    options?: { cause?: unknown; remote?: boolean },
  ) {
    super('PROTOCOL', `${h3ErrorName(h3Code)}: ${message}`, options);
    this.name = 'H3Error';
    this.h3Code = h3Code;
    this.scope = scope;
    this.remote = options?.remote ?? false;
  }

  /** True for an H3Error, optionally with this H3 code. */
  static isH3(value: unknown, h3Code?: number): value is H3Error {
    return value instanceof H3Error && (h3Code === undefined || value.h3Code === h3Code);
  }
}

/** An error that must close the connection. */
export function connectionError(code: number, message: string, cause?: unknown): H3Error {
  return new H3Error(code, 'connection', message, cause === undefined ? undefined : { cause });
}

/** An error that resets only the stream it arose on. */
export function streamError(code: number, message: string, cause?: unknown): H3Error {
  return new H3Error(code, 'stream', message, cause === undefined ? undefined : { cause });
}
