import { Metadata, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { WwatpError, type WwatpErrorCode } from '../../tree/errors.js';
import type { Obj } from './wire.js';

/** The gRPC status for each error code (and, by name, the response's `Status.code`). */
export function grpcCodeFor(code: WwatpErrorCode): GrpcStatus {
  switch (code) {
    case 'NOT_FOUND':
      return GrpcStatus.NOT_FOUND;
    case 'ALREADY_EXISTS':
      return GrpcStatus.ALREADY_EXISTS;
    case 'TYPE_MISMATCH':
    case 'INVALID_FILTER':
    case 'INVALID_LABEL':
    case 'INVALID_RULE':
    case 'INVALID_NODE':
    case 'INVALID_PROPERTY':
    case 'MALFORMED':
      return GrpcStatus.INVALID_ARGUMENT;
    // The record changed under the caller: retry at a higher level, as gRPC means ABORTED.
    case 'VERSION_CONFLICT':
      return GrpcStatus.ABORTED;
    case 'UNSUPPORTED':
      return GrpcStatus.UNIMPLEMENTED;
    case 'TOO_LARGE':
      return GrpcStatus.RESOURCE_EXHAUSTED;
    case 'UNAVAILABLE':
    case 'CLOSED':
      return GrpcStatus.UNAVAILABLE;
    default:
      return GrpcStatus.INTERNAL;
  }
}

/** Any thrown value as a WwatpError; unknown failures become INTERNAL without their stack. */
export function asWwatpError(error: unknown): WwatpError {
  if (error instanceof WwatpError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new WwatpError('INTERNAL', message, { cause: error });
}

/** Metadata key carrying the WwatpError code beside the gRPC status. */
export const WWATP_CODE_KEY = 'wwatp-code';

export function toServiceError(error: unknown): Partial<ServiceError> {
  const e = asWwatpError(error);
  const metadata = new Metadata();
  metadata.set(WWATP_CODE_KEY, e.code);
  return { code: grpcCodeFor(e.code), details: e.message, message: e.message, metadata };
}

/**
 * `Status.Code` names the gRPC codes but numbers them without DEADLINE_EXCEEDED, so
 * from NOT_FOUND on its numbers are one less than gRPC's: convert by name.
 */
export function statusCodeName(code: GrpcStatus): string {
  const name = GrpcStatus[code];
  return name === undefined || name === 'DEADLINE_EXCEEDED' ? 'UNKNOWN' : name;
}

/** The `Status` message every response carries. */
export function okStatus(message = ''): Obj {
  return { code: 'OK', message, details: {} };
}

export function errorStatus(error: unknown): Obj {
  const e = asWwatpError(error);
  return { code: statusCodeName(grpcCodeFor(e.code)), message: e.message, details: { [WWATP_CODE_KEY]: e.code } };
}

export function unsupported(what: string): WwatpError {
  return new WwatpError('UNSUPPORTED', what);
}
