/**
 * Delayed acknowledgement (RFC 9000 §13.2.1). quiche puts an ACK in the very next packet
 * it builds, so calling send() after every datagram received means an ACK-only packet
 * for each one: a watcher answers every notification with a packet the server must
 * receive, decrypt and process, and a request that takes a while to answer costs an
 * extra packet each way. Instead, with nothing of our own to send, the ACK waits up to
 * ACK_DELAY_MS for something to ride with: our answer, or more of the peer's packets.
 * It goes at once after the second full-size packet, as TCP does (RFC 5681 §4.2: an ACK
 * for at least every second full-sized segment); §13.2.2's every second packet would
 * have a watcher ACK every other small push.
 */
import { TRANSPORT_DEFAULTS } from './config.js';

/**
 * Below the max_ack_delay we advertise (25 ms), with room for timer slack, so the peer's
 * PTO allows for it. Long enough that a watcher's notifications, arriving every
 * 10-20 ms, pair up and share an ACK: 10 ms cost a timer and an ACK-only packet each way
 * per notification (measured with 100 watchers: 20 ms took 10% off both sides' CPU).
 */
export const ACK_DELAY_MS = TRANSPORT_DEFAULTS.maxAckDelayMs - 5;

/**
 * What two full-size packets carry on the common 1,200-1,350 byte paths. Less than the
 * smallest congestion window quiche keeps (two of its packets), so a sender never waits
 * on an ACK held back here; bulk transfers, in full packets, are ACKed every second one.
 */
export const ACK_AT_BYTES = 2400;

export class AckDelay {
  #received = 0;
  #bytes = 0;
  #timer: NodeJS.Timeout | undefined;

  /** `sendNow` runs a send pass when the wait is over. */
  constructor(private readonly sendNow: () => void) {}

  /** A datagram of `bytes` came in. */
  received(bytes: number): void {
    this.#received++;
    this.#bytes += bytes;
  }

  /** Datagrams came in since the last send pass (so an ACK is owed). */
  get owed(): boolean {
    return this.#received > 0;
  }

  /** What came in since the last send pass is one datagram, or small ones worth less than two full packets: the ACK may wait. */
  get mayWait(): boolean {
    return this.#received === 1 || this.#bytes < ACK_AT_BYTES;
  }

  /** An ACK is waiting for the timer. */
  get waiting(): boolean {
    return this.#timer !== undefined;
  }

  /** Sends within ACK_DELAY_MS unless a send pass comes first. */
  wait(): void {
    this.#timer ??= setTimeout(this.#fire, ACK_DELAY_MS);
  }

  /** A send pass ran: whatever came in is acknowledged. */
  sent(): void {
    this.#received = 0;
    this.#bytes = 0;
    this.clear();
  }

  clear(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  readonly #fire = (): void => {
    this.#timer = undefined;
    this.sendNow();
  };
}
