import type {
  handleClientStreamingCall,
  handleServerStreamingCall,
  handleUnaryCall,
  Metadata,
} from '@grpc/grpc-js';
import { toServiceError, unsupported } from './status.js';
import type { Obj } from './wire.js';

/** A unary handler's body: the decoded request (and its metadata) in, the response out. */
export type UnaryBody = (request: Obj, metadata: Metadata) => Promise<Obj>;

/** Every failure, thrown or rejected, ends as a gRPC status; nothing escapes to crash the server. */
export function unary(body: UnaryBody): handleUnaryCall<Obj, Obj> {
  return (call, callback) => {
    let pending: Promise<Obj>;
    try {
      pending = body(call.request, call.metadata);
    } catch (error) {
      callback(toServiceError(error));
      return;
    }
    pending.then(
      (response) => callback(null, response),
      (error: unknown) => callback(toServiceError(error)),
    );
  };
}

export function unimplementedUnary(what: string): handleUnaryCall<Obj, Obj> {
  return (_call, callback) => callback(toServiceError(unsupported(what)));
}

export function unimplementedClientStream(what: string): handleClientStreamingCall<Obj, Obj> {
  return (call, callback) => {
    // Drain what the client sends so its writes do not stall before it reads the status.
    call.on('data', () => undefined);
    callback(toServiceError(unsupported(what)));
  };
}

export function unimplementedServerStream(what: string): handleServerStreamingCall<Obj, Obj> {
  return (call) => {
    call.emit('error', toServiceError(unsupported(what)));
  };
}
