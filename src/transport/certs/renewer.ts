/**
 * Keeps a server's development certificate fresh: renews it some time before it
 * expires and hands the new one to the server (which uses it for new connections).
 */
import { createDevCertificate, type DevCertificate, type DevCertificateOptions } from './dev-certificate.js';
import { DEFAULT_MIN_VALIDITY_MS, loadOrCreateDevCertificate } from './store.js';
import { WwatpError } from '../../tree/errors.js';

export interface DevCertificateRenewerOptions extends DevCertificateOptions {
  /** Directory holding cert.pem/key.pem; without it the certificates live in memory only. */
  dir?: string;
  /** Renew this long before expiry (default 2 days). */
  renewBeforeMs?: number;
  onRenew: (cert: DevCertificate) => void;
  /** Renewal failures (the timer retries in a minute). */
  onError?: (err: unknown) => void;
}

const MAX_TIMER_MS = 2 ** 31 - 1;
const RETRY_MS = 60_000;

export class DevCertificateRenewer {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private current: DevCertificate | undefined;

  constructor(private readonly options: DevCertificateRenewerOptions) {}

  /** Loads (or makes) the certificate, schedules its renewal and returns it. */
  async start(): Promise<DevCertificate> {
    this.stopped = false;
    const cert = await this.obtain();
    this.schedule(cert);
    return cert;
  }

  get certificate(): DevCertificate | undefined {
    return this.current;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async obtain(): Promise<DevCertificate> {
    const renewBefore = this.options.renewBeforeMs ?? DEFAULT_MIN_VALIDITY_MS;
    const { hosts, days, dir } = this.options;
    const cert =
      dir === undefined
        ? await createDevCertificate({ hosts, days })
        : await loadOrCreateDevCertificate(dir, { hosts, days, minValidityMs: renewBefore });
    this.current = cert;
    return cert;
  }

  private schedule(cert: DevCertificate, justRenewed = false): void {
    if (this.stopped) return;
    const renewBefore = this.options.renewBeforeMs ?? DEFAULT_MIN_VALIDITY_MS;
    const due = cert.notAfter.getTime() - renewBefore - Date.now();
    if (due <= 0 && justRenewed) {
      // A new certificate already due: renewBeforeMs is longer than its validity.
      this.options.onError?.(new WwatpError('UNSUPPORTED', `renewBeforeMs (${renewBefore}) leaves no validity to use; retrying in a minute`));
      this.arm(RETRY_MS);
      return;
    }
    this.arm(Math.max(0, due));
  }

  private arm(delay: number): void {
    if (this.timer) clearTimeout(this.timer);
    // Long waits are chained because setTimeout holds at most ~24.8 days.
    const step = Math.min(delay, MAX_TIMER_MS);
    this.timer = setTimeout(() => void this.fire(delay - step), step);
    this.timer.unref(); // renewal alone never keeps the process alive
  }

  private async fire(remaining: number): Promise<void> {
    if (this.stopped) return;
    if (remaining > 0) return this.arm(remaining);
    try {
      const previous = this.current;
      // On disk, another process may have renewed already: then this is that pair,
      // still well within its validity, and only the schedule moves.
      const cert = await this.obtain();
      if (this.stopped) return;
      this.schedule(cert, true);
      if (cert.sha256 !== previous?.sha256) this.options.onRenew(cert);
    } catch (err) {
      this.options.onError?.(err);
      if (!this.stopped) this.arm(RETRY_MS);
    }
  }
}
