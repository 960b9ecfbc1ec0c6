/**
 * Development certificates: ECDSA P-256, self-signed, valid at most 14 days, so that
 * Chromium accepts them through WebTransport's `serverCertificateHashes` with no flags
 * (it requires ECDSA and a validity period of 14 days or less).
 */
import { createHash, webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
import './reflect-shim.js';
import * as x509 from '@peculiar/x509';
import { WwatpError } from '../../tree/errors.js';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export interface DevCertificate {
  /** The certificate, PEM. */
  readonly cert: string;
  /** Its private key, PKCS#8 PEM. */
  readonly key: string;
  /** Lowercase hex SHA-256 of the certificate's DER (what browsers and clients pin). */
  readonly sha256: string;
  readonly notAfter: Date;
}

export interface DevCertificateOptions {
  /** DNS names and IP addresses the certificate is for (its subjectAltName). */
  hosts?: string[];
  /** Validity in days, at most 14 (fractions allowed, for tests). */
  days?: number;
}

export const DEFAULT_DEV_HOSTS: readonly string[] = ['localhost', '127.0.0.1', '::1'];
export const MAX_DEV_DAYS = 14;
const DAY_MS = 86_400_000;
// Backdated a little for clocks that lag; the total period still stays within `days`.
const BACKDATE_MS = 60_000;

export async function createDevCertificate(options: DevCertificateOptions = {}): Promise<DevCertificate> {
  const hosts = options.hosts ?? [...DEFAULT_DEV_HOSTS];
  const days = options.days ?? MAX_DEV_DAYS;
  if (!(days > 0 && days <= MAX_DEV_DAYS)) {
    throw new WwatpError('UNSUPPORTED', `a development certificate lasts more than 0 and at most ${MAX_DEV_DAYS} days, not ${days}`);
  }
  if (hosts.length === 0) throw new WwatpError('UNSUPPORTED', 'a development certificate needs at least one host');
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
  const keys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
  const now = Date.now();
  const notBefore = new Date(now - BACKDATE_MS);
  const notAfter = new Date(notBefore.getTime() + Math.floor(days * DAY_MS));
  const names = hosts.map((h) => ({ type: isIP(h) ? ('ip' as const) : ('dns' as const), value: h }));
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: `CN=wwatp development (${hosts[0]})`,
    notBefore,
    notAfter,
    signingAlgorithm: alg,
    keys: keys as unknown as CryptoKeyPair,
    extensions: [
      // CA:TRUE so the certificate can be its own trust anchor (`ca` on the client):
      // BoringSSL refuses a CA:FALSE self-signed certificate as a root.
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyCertSign, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(names),
    ],
  });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  const der = new Uint8Array(cert.rawData);
  return {
    cert: cert.toString('pem'),
    key: x509.PemConverter.encode(pkcs8, 'PRIVATE KEY'),
    sha256: sha256Hex(der),
    notAfter: cert.notAfter,
  };
}

/** SHA-256 (lowercase hex) of a certificate given as PEM (the first one) or DER. */
export function certificateSha256(pemOrDer: string | Uint8Array): string {
  return sha256Hex(certificateDer(pemOrDer));
}

/** The DER of the first certificate in a PEM string (or the DER itself). */
export function certificateDer(pemOrDer: string | Uint8Array): Uint8Array {
  if (typeof pemOrDer !== 'string') return pemOrDer;
  const blocks = x509.PemConverter.decodeWithHeaders(pemOrDer).filter((b) => b.type === 'CERTIFICATE');
  const first = blocks[0];
  if (!first) throw new WwatpError('MALFORMED', 'no CERTIFICATE block in the PEM text');
  return new Uint8Array(first.rawData);
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Parses a certificate (PEM or DER) into what callers usually want to know about it. */
export function describeCertificate(pemOrDer: string | Uint8Array): { notAfter: Date; notBefore: Date; hosts: string[]; sha256: string } {
  const cert = new x509.X509Certificate(new Uint8Array(certificateDer(pemOrDer)));
  return { notAfter: cert.notAfter, notBefore: cert.notBefore, hosts: sanValues(cert), sha256: sha256Hex(new Uint8Array(cert.rawData)) };
}

/** The DNS names and IP addresses in a certificate's subjectAltName. */
export function certificateHosts(pemOrDer: string | Uint8Array): string[] {
  return sanValues(new x509.X509Certificate(new Uint8Array(certificateDer(pemOrDer))));
}

function sanValues(cert: x509.X509Certificate): string[] {
  const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
  return san ? san.names.items.filter((n) => n.type === 'dns' || n.type === 'ip').map((n) => n.value) : [];
}

function randomSerial(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0] ?? 0) & 0x7f; // positive INTEGER
  return Buffer.from(bytes).toString('hex');
}
