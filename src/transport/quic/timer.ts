/**
 * A connection's single timer, armed from quiche's timeout() after every flush.
 * quiche moves its deadline on almost every packet; re-creating a Node timer each time
 * costs more than the work, so an armed timer is kept when it fires no later than the
 * new deadline. Firing early is harmless: onTimeout() only acts on expired timers, and
 * the flush that follows re-arms for the real deadline.
 */
export class ConnectionTimer {
  private handle: NodeJS.Timeout | undefined;
  private due = 0;
  private unref = false;

  constructor(private readonly onFire: () => void) {}

  arm(ms: number | null): void {
    if (ms === null) return this.clear();
    const due = performance.now() + ms;
    if (this.handle !== undefined && this.due <= due + 1) return;
    this.clear();
    this.due = due;
    this.handle = setTimeout(this.fire, ms);
    if (this.unref) this.handle.unref();
  }

  /** Timers armed from now on (and the current one) do not keep the process alive. */
  unrefFromNowOn(): void {
    this.unref = true;
    this.handle?.unref();
  }

  clear(): void {
    if (this.handle !== undefined) clearTimeout(this.handle);
    this.handle = undefined;
  }

  private readonly fire = (): void => {
    this.handle = undefined;
    this.onFire();
  };
}
