/**
 * Delayed acknowledgement (RFC 9000 §13.2.1). quiche puts an ACK in the very next packet
 * it builds, so calling send() after every datagram received means an ACK-only packet
 * for each one: a watcher answers every notification with a packet the server must
 * receive, decrypt and process, and a request that takes a while to answer costs an
 * extra packet each way. Instead, after a lone datagram, with nothing of our own to
 * send, the ACK waits up to ACK_DELAY_MS for something to ride with: our answer, or the
 * peer's next packet (two received: it goes at once, as §13.2.2 asks).
 */
import { TRANSPORT_DEFAULTS } from './config.js';

/**
 * Below the max_ack_delay we advertise (25 ms), with room for timer slack, so the peer's
 * PTO allows for it. Long enough that a watcher's notifications, arriving every
 * 10-20 ms, pair up and share an ACK: 10 ms cost a timer and an ACK-only packet each way
 * per notification (measured with 100 watchers: 20 ms took 10% off both sides' CPU).
 */
export const ACK_DELAY_MS = TRANSPORT_DEFAULTS.maxAckDelayMs - 5;

export class AckDelay {
  #received = 0;
  #timer: NodeJS.Timeout | undefined;

  /** `sendNow` runs a send pass when the wait is over. */
  constructor(private readonly sendNow: () => void) {}

  /** A datagram came in. */
  received(): void {
    this.#received++;
  }

  /** Datagrams came in since the last send pass (so an ACK is owed). */
  get owed(): boolean {
    return this.#received > 0;
  }

  /** Exactly one datagram came in since the last send pass: its ACK may wait. */
  get lone(): boolean {
    return this.#received === 1;
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
