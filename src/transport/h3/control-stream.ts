/**
 * The peer's critical unidirectional streams (RFC 9114 §6.2.1, RFC 9204 §4.2): the
 * control stream (SETTINGS first and once, then GOAWAY / MAX_PUSH_ID / CANCEL_PUSH and
 * ignored unknown frames) and the QPACK encoder and decoder streams. Each must stay open
 * for the connection's life; every error here is a connection error.
 */
import type { QuicReadable } from '../quic/types.js';
import { decodeVarintLoose } from '../varint.js';
import { connectionError, H3_ERROR } from './errors.js';
import { FrameReader, type FrameLimits } from './frame-reader.js';
import { FRAME } from './frames.js';
import { parseSettingsPayload, type H3Settings } from './settings.js';
import { quicErrorCode } from './stream-util.js';

export interface PeerControlHandlers {
  readonly role: 'client' | 'server';
  readonly frameLimits: Partial<FrameLimits>;
  onSettings(settings: H3Settings): void;
  /** A stream id (from a server) or push id (from a client); checked by the caller. */
  onGoaway(id: number): void;
}

/**
 * Feeds every chunk of a critical stream to `onChunk`. Returns quietly when the connection
 * goes away; a FIN or reset while it lives is H3_CLOSED_CRITICAL_STREAM.
 */
export async function pumpCriticalStream(source: QuicReadable, name: string, onChunk: (chunk: Uint8Array) => void): Promise<void> {
  for (;;) {
    let chunk: Uint8Array | undefined;
    try {
      chunk = await source.read();
    } catch (err) {
      if (quicErrorCode(err) === undefined) return; // the connection closed
      throw connectionError(H3_ERROR.H3_CLOSED_CRITICAL_STREAM, `the peer reset its ${name} stream`, err);
    }
    if (chunk === undefined) throw connectionError(H3_ERROR.H3_CLOSED_CRITICAL_STREAM, `the peer closed its ${name} stream`);
    onChunk(chunk);
  }
}

export async function readPeerControlStream(source: QuicReadable, handlers: PeerControlHandlers): Promise<void> {
  const frames = new FrameReader(handlers.frameLimits);
  let settingsSeen = false;
  let maxPushId = -1;
  await pumpCriticalStream(source, 'control', (chunk) => {
    frames.push(chunk);
    for (let event = frames.next(); event !== undefined; event = frames.next()) {
      if (!settingsSeen) {
        if (event.kind !== 'frame' || event.type !== FRAME.SETTINGS) {
          throw connectionError(H3_ERROR.H3_MISSING_SETTINGS, 'the control stream does not start with SETTINGS');
        }
        settingsSeen = true;
        handlers.onSettings(parseSettingsPayload(event.payload));
        continue;
      }
      if (event.kind === 'unknown') continue;
      if (event.kind === 'data') throw connectionError(H3_ERROR.H3_FRAME_UNEXPECTED, 'DATA on the control stream');
      switch (event.type) {
        case FRAME.GOAWAY:
          handlers.onGoaway(singleVarint(event.payload, 'GOAWAY'));
          break;
        case FRAME.MAX_PUSH_ID: {
          if (handlers.role === 'client') throw connectionError(H3_ERROR.H3_FRAME_UNEXPECTED, 'MAX_PUSH_ID sent by a server');
          const id = singleVarint(event.payload, 'MAX_PUSH_ID');
          if (id < maxPushId) throw connectionError(H3_ERROR.H3_ID_ERROR, 'MAX_PUSH_ID decreased');
          maxPushId = id; // We never push, so the value only has to be well-formed.
          break;
        }
        case FRAME.CANCEL_PUSH:
          singleVarint(event.payload, 'CANCEL_PUSH');
          // We neither push nor accept pushes, so no push id was ever valid (§7.2.3).
          throw connectionError(H3_ERROR.H3_ID_ERROR, 'CANCEL_PUSH for a push that never existed');
        default:
          // SETTINGS again, HEADERS, PUSH_PROMISE.
          throw connectionError(H3_ERROR.H3_FRAME_UNEXPECTED, `frame 0x${event.type.toString(16)} on the control stream`);
      }
    }
  });
}

/** A frame payload that must be exactly one varint (RFC 9114 §7.1: extra or missing bytes are H3_FRAME_ERROR). */
function singleVarint(payload: Uint8Array, frame: string): number {
  const decoded = decodeVarintLoose(payload, 0);
  if (decoded === undefined || decoded.length !== payload.length) {
    throw connectionError(H3_ERROR.H3_FRAME_ERROR, `${frame} payload is not exactly one varint`);
  }
  return decoded.value;
}
