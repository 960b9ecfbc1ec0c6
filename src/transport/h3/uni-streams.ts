/**
 * Dispatch of the peer's unidirectional streams by type (RFC 9114 §6.2): one each of
 * control, QPACK encoder and QPACK decoder; push streams refused; registered extension
 * types handed over; unknown types (GREASE included) stopped with H3_STREAM_CREATION_ERROR.
 */
import type { QuicUniRecvStream } from '../quic/types.js';
import { pumpCriticalStream, readPeerControlStream } from './control-stream.js';
import { connectionError, H3_ERROR } from './errors.js';
import type { FrameLimits } from './frame-reader.js';
import type { H3Role } from './options.js';
import { DecoderStreamChecker, EncoderStreamChecker } from './qpack/instruction-streams.js';
import type { H3Settings } from './settings.js';
import { readLeadingVarint, uniStreamAfterType } from './stream-util.js';
import { UNI_STREAM } from './stream-types.js';

export type UniStreamHandler = (stream: QuicUniRecvStream) => void;

export interface UniStreamContext {
  readonly role: H3Role;
  readonly frameLimits: Partial<FrameLimits>;
  readonly uniHandlers: ReadonlyMap<number, UniStreamHandler>;
  onSettings(settings: H3Settings): void;
  onGoaway(id: number): void;
}

const CRITICAL_NAMES = new Map<number, string>([
  [UNI_STREAM.CONTROL, 'control'],
  [UNI_STREAM.QPACK_ENCODER, 'QPACK encoder'],
  [UNI_STREAM.QPACK_DECODER, 'QPACK decoder'],
]);

export class UniStreamDispatcher {
  private readonly seen = new Set<number>();

  constructor(private readonly ctx: UniStreamContext) {}

  /** Reads the stream type and serves the stream; throws H3Error for connection errors. */
  async accept(stream: QuicUniRecvStream): Promise<void> {
    let lead;
    try {
      lead = await readLeadingVarint(stream);
    } catch {
      return; // reset before its type arrived: nothing to serve (§6.2)
    }
    if (lead === undefined) return;
    const type = lead.value;
    const critical = CRITICAL_NAMES.get(type);
    if (critical !== undefined) {
      if (this.seen.has(type)) throw connectionError(H3_ERROR.H3_STREAM_CREATION_ERROR, `a second ${critical} stream`);
      this.seen.add(type);
    }
    switch (type) {
      case UNI_STREAM.CONTROL:
        return readPeerControlStream(lead.rest, {
          role: this.ctx.role,
          frameLimits: this.ctx.frameLimits,
          onSettings: (s) => this.ctx.onSettings(s),
          onGoaway: (id) => this.ctx.onGoaway(id),
        });
      case UNI_STREAM.QPACK_ENCODER: {
        const checker = new EncoderStreamChecker(0);
        return pumpCriticalStream(lead.rest, 'QPACK encoder', (chunk) => checker.push(chunk));
      }
      case UNI_STREAM.QPACK_DECODER: {
        const checker = new DecoderStreamChecker();
        return pumpCriticalStream(lead.rest, 'QPACK decoder', (chunk) => checker.push(chunk));
      }
      case UNI_STREAM.PUSH:
        if (this.ctx.role === 'server') throw connectionError(H3_ERROR.H3_STREAM_CREATION_ERROR, 'a client opened a push stream');
        // We never send MAX_PUSH_ID, so any push id is beyond the maximum (§4.6).
        throw connectionError(H3_ERROR.H3_ID_ERROR, 'push stream without MAX_PUSH_ID');
      default: {
        const handler = this.ctx.uniHandlers.get(type);
        if (handler !== undefined) {
          handler(uniStreamAfterType(stream.id, lead.rest));
          return;
        }
        try {
          lead.rest.stopSending(H3_ERROR.H3_STREAM_CREATION_ERROR);
        } catch {
          // Already gone.
        }
      }
    }
  }
}
