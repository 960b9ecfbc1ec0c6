/**
 * Which writers get another go, and when: writers quiche could not take everything
 * from (retried after ACKs), and lone FINs, which need care because of a quiche 0.18
 * bug (see StreamWriter.sendFin).
 */
import type { Connection } from './binding.js';

interface Retryable {
  flushPending(): void;
}

/** Lone FINs set per turn (each takes a packet of its own)... */
const FINS_PER_TURN = 16;
/** ...and the window room we want per FIN packet before setting one. */
const FIN_PACKET_ROOM = 200;

export class WriteScheduler {
  private readonly blocked = new Set<Retryable>();
  private readonly idle = new Set<{ checkStopped(): boolean }>();
  private readonly deferredFins = new Set<Retryable>();
  private finsInWindow = 0;
  finWindowOpen = false;

  private wakeTimer: NodeJS.Timeout | undefined;

  /** `wake(stir)`: flush soon; with stir, as if packets had come in. */
  constructor(
    private readonly quiche: Connection,
    private readonly wake: (stir: boolean) => void,
  ) {}

  blockedWriter(w: Retryable): void {
    this.blocked.add(w);
  }

  /** Retries `w` in a later FIN window, not before `delayMs` from now. */
  deferFin(w: Retryable, delayMs: number): void {
    this.deferredFins.add(w);
    if (delayMs > 0) {
      // The timer opens a window when the wait is over; nothing to send until then.
      this.wakeTimer ??= setTimeout(() => {
        this.wakeTimer = undefined;
        this.wake(true);
      }, Math.ceil(delayMs)).unref();
      return;
    }
    // Due now, but the window is full or closed: the next one opens when packets arrive,
    // and a PING makes sure some will (inside a window, the send pass that follows
    // carries it). Once per try, and a try is one window: no PING per turn.
    try {
      this.quiche.sendAckEliciting();
    } catch {
      // not established or closing: nothing to wait for
    }
    if (!this.finWindowOpen) this.wake(false);
  }

  /** Inside the window: whether `capacity` (quiche's fresh send room) fits one more lone FIN. */
  claimFinRoom(capacity: number): boolean {
    if (capacity < (this.finsInWindow + 1) * FIN_PACKET_ROOM) return false;
    this.finsInWindow++;
    return true;
  }

  /**
   * The FIN window: call right after packets came in (quiche's capacity figure is fresh
   * then) and follow at once with a send pass, so that no ACK can be processed between
   * setting a FIN and sending it. A few FINs per turn so the window surely fits them.
   */
  runFinWindow(): boolean {
    if (this.deferredFins.size === 0) return false;
    const writers = [...this.deferredFins].slice(0, FINS_PER_TURN);
    for (const w of writers) this.deferredFins.delete(w);
    this.finWindowOpen = true;
    this.finsInWindow = 0;
    for (const w of writers) w.flushPending();
    this.finWindowOpen = false;
    return true;
  }

  watchStop(w: { checkStopped(): boolean }, on: boolean): void {
    if (on) this.idle.add(w);
    else this.idle.delete(w);
  }

  /** After packets came in: idle writers learn whether the peer sent STOP_SENDING. */
  checkIdle(): void {
    for (const w of this.idle) if (w.checkStopped()) this.idle.delete(w);
  }

  /** After ACKs (or a timeout) quiche may take more: give blocked writers another go. */
  retryBlocked(): void {
    if (this.blocked.size === 0) return;
    const writers = [...this.blocked];
    this.blocked.clear();
    for (const w of writers) w.flushPending();
  }

  clear(): void {
    this.blocked.clear();
    this.idle.clear();
    this.deferredFins.clear();
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.wakeTimer = undefined;
  }
}
