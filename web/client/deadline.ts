import { WwatpError } from '../../src/tree/errors.js';

/** Rejects with UNAVAILABLE when `promise` has not settled within `ms`; `onTimeout` cleans up. */
export function withDeadline<T>(promise: Promise<T>, ms: number, what: string, onTimeout?: () => void): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout?.();
      reject(new WwatpError('UNAVAILABLE', `${what} did not finish within ${ms} ms`));
    }, ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}
