/** What a stream needs from its connection: the quiche handle and a few notifications. */
import type { Connection } from './binding.js';

export interface StreamIo {
  readonly quiche: Connection;
  /** A shared read buffer for streamRecv (copied out before anyone else uses it). */
  readonly scratch: Uint8Array;
  /** quiche has something new to send (data, FIN, flow-control credit): flush this turn. */
  touched(): void;
  /** Sends what streams wrote now (QuicWritable.sendNow). */
  sendNow(): void;
  /**
   * Call before queuing STOP_SENDING: puts packets held back for an answer (our ACKs)
   * on the wire first. quiche 0.18 forgets a fully acked stream, and the STOP_SENDING
   * code with it, when the ACK and the STOP_SENDING arrive in one packet.
   */
  sendHeldBack(): void;
  /** This writer has bytes quiche could not take yet: retry it after the next ACKs. */
  writerBlocked(writer: { flushPending(): void }): void;
  /** Counts the send passes that put packets on the wire (to tell whether data left yet). */
  readonly sendEpoch: number;
  /** True while the connection runs deferred FINs, right before a send pass. */
  readonly finWindowOpen: boolean;
  /** Calls writer.flushPending() again inside a FIN window at least `delayMs` from now. */
  deferFin(writer: { flushPending(): void }, delayMs: number): void;
  /** How long after its last data went out a lone FIN waits, so that data is acked first (ms). */
  finSettleMs(): number;
  /** Inside the window: whether `capacity` (quiche's fresh send room) fits one more lone FIN. */
  claimFinRoom(capacity: number): boolean;
  /** Idle writers are asked checkStopped() after packets come in (on: start, off: stop). */
  watchStop(writer: { checkStopped(): boolean }, on: boolean): void;
  /** Both directions of the stream are finished: the connection can forget it. */
  streamDone(id: number): void;
}
