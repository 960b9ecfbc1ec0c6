/**
 * How a client trusts a server: a CA (quiche/BoringSSL verifies the chain and the
 * name), a pinned SHA-256 of the leaf certificate (checked here after the handshake),
 * or nothing at all when the caller says `insecure`.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import { WwatpError } from '../../tree/errors.js';
import { certificateHosts } from '../certs/dev-certificate.js';
import type { ClientVerification } from './config.js';

export interface VerifyOptions {
  ca?: string;
  certificateHash?: string;
  insecure?: boolean;
}

/** Picks the mode; refuses to go on without one. The pin wins over a CA when both are given. */
export function chooseVerification(o: VerifyOptions): ClientVerification {
  if (o.certificateHash !== undefined) {
    parsePin(o.certificateHash);
    return { mode: 'hash' };
  }
  if (o.ca !== undefined) return { mode: 'ca', ca: o.ca };
  if (o.insecure === true) return { mode: 'insecure' };
  throw new WwatpError('PROTOCOL', 'no way to verify the server: give ca, certificateHash or insecure');
}

/** A hex SHA-256, with or without colons, as 32 bytes. */
export function parsePin(hex: string): Buffer {
  const clean = hex.replace(/[:\s]/g, '').toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(clean)) throw new WwatpError('MALFORMED', 'certificateHash must be a hex SHA-256 (64 hex digits)');
  return Buffer.from(clean, 'hex');
}

/**
 * The check left for us once the handshake is done, or undefined when all is well.
 * `ipHost`: in CA mode with an IP address and no serverName, BoringSSL checked the
 * chain only (it matches names against DNS entries), so the IP entry is checked here.
 */
export function verifyAfterHandshake(chain: Uint8Array[], o: VerifyOptions, ipHost: string | undefined): string | undefined {
  const leaf = chain[0];
  if (o.certificateHash !== undefined) {
    if (!leaf) return 'the server sent no certificate';
    const actual = createHash('sha256').update(leaf).digest();
    return timingSafeEqual(actual, parsePin(o.certificateHash)) ? undefined : 'certificate hash mismatch';
  }
  if (o.ca !== undefined && ipHost !== undefined) {
    if (!leaf) return 'the server sent no certificate';
    const want = canonicalIp(ipHost);
    const ok = certificateHosts(leaf).some((h) => isIP(h) !== 0 && canonicalIp(h) === want);
    return ok ? undefined : `the certificate is not valid for ${ipHost}`;
  }
  return undefined;
}

function canonicalIp(ip: string): string {
  return isIP(ip) === 6 ? new URL(`http://[${ip}]/`).hostname : ip;
}
