import { WwatpError } from '../../src/tree/errors.js';
import { WWATP_INFO_PATH, type WwatpInfo } from '../../src/transport/wwatp/ws-mux.js';

export type { WwatpInfo };

/** The page's own origin when there is one (a window or worker). */
function base(): string | undefined {
  return globalThis.location?.href;
}

/** Resolves `url` (default /wwatp-info) against the page. */
export function infoUrlOf(url: string = WWATP_INFO_PATH): URL {
  try {
    return new URL(url, base());
  } catch (cause) {
    throw new WwatpError('INVALID_NODE', `cannot resolve the info URL "${url}" (give an absolute URL outside a page)`, { cause });
  }
}

function check(value: unknown, where: string): WwatpInfo {
  const v = value as Partial<Record<keyof WwatpInfo, unknown>> | null;
  const ok = typeof v === 'object' && v !== null
    && typeof v.webTransportUrl === 'string'
    && typeof v.certificateHash === 'string' && /^[0-9a-f]{64}$/i.test(v.certificateHash)
    && typeof v.webSocketPath === 'string'
    && typeof v.quicPort === 'number';
  if (!ok) throw new WwatpError('PROTOCOL', `${where} is not a WWATP info document`);
  return value as WwatpInfo;
}

/** Fetches and checks the server's /wwatp-info (fresh each time: the certificate hash changes on renewal). */
export async function fetchWwatpInfo(url?: string): Promise<WwatpInfo> {
  const target = infoUrlOf(url);
  let response: Response;
  try {
    response = await fetch(target, { cache: 'no-store' });
  } catch (cause) {
    throw new WwatpError('UNAVAILABLE', `cannot fetch ${target.href}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
  if (!response.ok) throw new WwatpError('UNAVAILABLE', `${target.href} answered HTTP ${response.status}`);
  let body: unknown;
  try {
    body = await response.json();
  } catch (cause) {
    throw new WwatpError('PROTOCOL', `${target.href} is not JSON`, { cause });
  }
  return check(body, target.href);
}

/** The certificate hash as bytes, for `serverCertificateHashes`. */
export function certificateHashBytes(info: WwatpInfo): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(32);
  for (let i = 0; i < 32; i++) bytes[i] = parseInt(info.certificateHash.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

/** ws(s)://host:port/wwatp-ws on the server that answered `infoUrl`. */
export function webSocketUrlOf(info: WwatpInfo, infoUrl?: string): string {
  const url = new URL(info.webSocketPath, infoUrlOf(infoUrl));
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.href;
}
