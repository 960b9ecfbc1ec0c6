import { WwatpError } from '../../tree/errors.js';
import { decodeVarint, varintSize, writeVarint } from '../varint.js';

/**
 * Frames of the WebSocket tunnel (docs/PROTOCOL.md §2.1), and where a server offers the
 * tunnel. Browser-safe: no node: imports.
 */
export const WS_FLAG_FIN = 0x01;
export const WS_FLAG_RESET = 0x02;
/** Largest payload we put in one frame. */
export const WS_MAX_SEND_PAYLOAD = 256 * 1024;
/** Largest frame a receiver must accept; bigger ones close the WebSocket with 1009. */
export const WS_MAX_FRAME_BYTES = 1024 * 1024 + 16;

/** WebSocket close codes the tunnel uses (RFC 6455 §7.4.1). */
export const WsCloseCode = { NORMAL: 1000, GOING_AWAY: 1001, PROTOCOL: 1002, UNSUPPORTED: 1003, TOO_BIG: 1009, INTERNAL: 1011 } as const;

export interface WsFrame {
  readonly streamId: number;
  readonly fin: boolean;
  readonly reset: boolean;
  readonly payload: Uint8Array;
}

export function encodeWsFrame(streamId: number, flags: number, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  const frame = new Uint8Array(varintSize(streamId) + 1 + payload.length);
  const at = writeVarint(frame, 0, streamId);
  frame[at] = flags;
  frame.set(payload, at + 1);
  return frame;
}

/** Parses one frame; throws WwatpError PROTOCOL when it is not one. */
export function decodeWsFrame(data: Uint8Array): WsFrame {
  const id = decodeVarint(data, 0);
  if (!id || id.length >= data.length) throw new WwatpError('PROTOCOL', `tunnel frame of ${data.length} bytes is shorter than its header`);
  const flags = data[id.length] as number;
  if ((flags & ~(WS_FLAG_FIN | WS_FLAG_RESET)) !== 0) throw new WwatpError('PROTOCOL', `tunnel frame has unknown flag bits 0x${flags.toString(16)}`);
  return { streamId: id.value, fin: (flags & WS_FLAG_FIN) !== 0, reset: (flags & WS_FLAG_RESET) !== 0, payload: data.subarray(id.length + 1) };
}

/** Where a server offers the tunnel and its discovery document (HTTP, same origin as the page). */
export const WWATP_WS_PATH = '/wwatp-ws';
export const WWATP_INFO_PATH = '/wwatp-info';

/** GET /wwatp-info: how a browser reaches this server. */
export interface WwatpInfo {
  /** https://host:quicPort/wwatp, for `new WebTransport(url)`. */
  webTransportUrl: string;
  /** Hex SHA-256 of the server certificate's DER (follows renewal). */
  certificateHash: string;
  /** The same hash as 32 numbers, for `serverCertificateHashes`. */
  certificateHashBytes?: number[];
  /** Path of the WebSocket tunnel on this HTTP server. */
  webSocketPath: string;
  quicPort: number;
}
