/**
 * The one place that imports the native quiche binding from @matrixai/quic, typed by
 * the package's own declarations. Everything else in this folder goes through here.
 */
import quiche from '@matrixai/quic/native/quiche.js';
import type { Config, Connection, Header, Host, RecvInfo, SendInfo, Stats } from '@matrixai/quic/native/types.js';

export { quiche };
export type { Config, Connection, Header, Host, RecvInfo, SendInfo, Stats };

/** Connection ids we issue: 20 random bytes (the maximum), so routing needs no lengths. */
export const CID_LEN = 20;

/**
 * quiche reports errors as exceptions whose message is the Rust error's Debug form,
 * e.g. `StreamReset(42)`, `StreamStopped(7)`, `StreamLimit`, `InvalidStreamState(4)`.
 */
export function quicheErrorName(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const m = /^([A-Za-z]+)/.exec(message);
  return m?.[1] ?? message;
}

/** The application error code carried by a `StreamReset(n)` or `StreamStopped(n)` error. */
export function quicheStreamCode(err: unknown, kind: 'StreamReset' | 'StreamStopped'): number | undefined {
  const message = err instanceof Error ? err.message : String(err);
  const m = new RegExp(`${kind}\\((\\d+)\\)`).exec(message);
  return m?.[1] === undefined ? undefined : Number(m[1]);
}
