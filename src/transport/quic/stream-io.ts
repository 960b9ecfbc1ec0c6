/** What a stream needs from its connection: the quiche handle and a few notifications. */
import type { Connection } from './binding.js';

export interface StreamIo {
  readonly quiche: Connection;
  /** A shared read buffer for streamRecv (copied out before anyone else uses it). */
  readonly scratch: Uint8Array;
  /** quiche has something new to send (data, FIN, flow-control credit): flush this turn. */
  touched(): void;
  /** This writer has bytes quiche could not take yet: retry it after the next ACKs. */
  writerBlocked(writer: { flushPending(): void }): void;
  /** Counts the send passes that put packets on the wire (to tell whether data left yet). */
  readonly sendEpoch: number;
  /** True while the connection runs deferred FINs, right before a send pass. */
  readonly finWindowOpen: boolean;
  /** Calls writer.flushPending() again inside the next FIN window. */
  deferFin(writer: { flushPending(): void }): void;
  /** Inside the window: whether `capacity` (quiche's fresh send room) fits one more lone FIN. */
  claimFinRoom(capacity: number): boolean;
  /** This reader went quiet after some data: check it for a lone FIN after each arrival. */
  watchFin(reader: { checkFin(): boolean }): void;
  /** Both directions of the stream are finished: the connection can forget it. */
  streamDone(id: number): void;
}
