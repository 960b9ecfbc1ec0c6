import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import {
  certificateSha256,
  createDevCertificate,
  DevCertificateRenewer,
  defaultCertsDir,
  describeCertificate,
  loadOrCreateDevCertificate,
  type DevCertificate,
} from '../../../src/transport/certs/index.js';

const DAY = 86_400_000;
/** createDevCertificate backdates notBefore by a minute (validity counts from there). */
const BACKDATE = 60_000;

/** The renewer's timer is unref'd by design; keep the test process alive meanwhile. */
function keepAlive(t: { teardown(fn: () => void): void }): void {
  const timer = setInterval(() => {}, 1000);
  t.teardown(() => clearInterval(timer));
}

async function tempDir(t: { teardown(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'wwatp-certs-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

t.test('a development certificate: ECDSA P-256, self-signed, at most 14 days, with SANs', async (t) => {
  const dev = await createDevCertificate();
  const x = new X509Certificate(dev.cert);
  t.equal(x.publicKey.asymmetricKeyType, 'ec');
  t.equal(x.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  t.ok(x.verify(x.publicKey), 'self-signed');
  t.equal(x.subject, x.issuer);
  const validity = Date.parse(x.validTo) - Date.parse(x.validFrom);
  t.ok(validity <= 14 * DAY, `valid for at most 14 days (${validity / DAY} days)`);
  t.ok(Date.parse(x.validFrom) <= Date.now() && Date.now() < Date.parse(x.validTo), 'valid now');
  t.match(x.subjectAltName, /DNS:localhost/);
  t.match(x.subjectAltName, /IP Address:127\.0\.0\.1/);
  t.match(x.subjectAltName, /IP Address:0:0:0:0:0:0:0:1/);
  t.equal(dev.notAfter.getTime(), Date.parse(x.validTo));
  const key = createPrivateKey(dev.key);
  t.equal(key.asymmetricKeyType, 'ec');
  t.match(dev.key, /^-----BEGIN PRIVATE KEY-----/, 'PKCS#8 PEM');
});

t.test('sha256 is the SHA-256 of the leaf DER, as browsers pin it', async (t) => {
  const dev = await createDevCertificate({ hosts: ['example.test'], days: 1 });
  const fingerprint = new X509Certificate(dev.cert).fingerprint256.replace(/:/g, '').toLowerCase();
  t.equal(dev.sha256, fingerprint);
  t.equal(certificateSha256(dev.cert), fingerprint);
  t.equal(certificateSha256(new X509Certificate(dev.cert).raw), fingerprint);
  t.same(describeCertificate(dev.cert).hosts, ['example.test']);
  t.throws(() => certificateSha256('no pem here'), { code: 'MALFORMED' });
});

t.test('more than 14 days, or no host, is refused', async (t) => {
  await t.rejects(createDevCertificate({ days: 15 }), { code: 'UNSUPPORTED' });
  await t.rejects(createDevCertificate({ days: 0 }), { code: 'UNSUPPORTED' });
  await t.rejects(createDevCertificate({ hosts: [] }), { code: 'UNSUPPORTED' });
});

t.test('loadOrCreateDevCertificate stores, reuses, and renews when validity runs low', async (t) => {
  const dir = await tempDir(t);
  const first = await loadOrCreateDevCertificate(dir);
  t.equal((await stat(path.join(dir, 'key.pem'))).mode & 0o777, 0o600, 'the key file is private');
  t.equal(await readFile(path.join(dir, 'cert.pem'), 'utf8'), first.cert);
  const again = await loadOrCreateDevCertificate(dir);
  t.equal(again.sha256, first.sha256, 'reused while more than 2 days remain');
  const shortLived = await loadOrCreateDevCertificate(dir, { minValidityMs: 15 * DAY });
  t.not(shortLived.sha256, first.sha256, 'renewed when less validity remains than asked');
  const otherHosts = await loadOrCreateDevCertificate(dir, { hosts: ['wwatp.test'] });
  t.not(otherHosts.sha256, shortLived.sha256, 'renewed when the hosts differ');
  await writeFile(path.join(dir, 'cert.pem'), 'garbage');
  const repaired = await loadOrCreateDevCertificate(dir);
  t.not(repaired.sha256, otherHosts.sha256, 'an unreadable pair is replaced');
});

t.test('a 1-day certificate on disk is renewed (less than 2 days left)', async (t) => {
  const dir = await tempDir(t);
  const short = await loadOrCreateDevCertificate(dir, { days: 1 });
  const next = await loadOrCreateDevCertificate(dir);
  t.not(next.sha256, short.sha256);
});

t.test('the default directory is the project certs/ folder', async (t) => {
  t.equal(path.basename(defaultCertsDir()), 'certs');
  t.equal(path.dirname(defaultCertsDir()), path.resolve(import.meta.dirname, '../../..'));
});

t.test('DevCertificateRenewer renews before expiry and hands over the new certificate', { timeout: 20_000 }, async (t) => {
  keepAlive(t);
  const renewed: DevCertificate[] = [];
  let got!: () => void;
  const twice = new Promise<void>((r) => (got = r));
  const renewer = new DevCertificateRenewer({
    days: 1,
    renewBeforeMs: DAY - BACKDATE - 1500, // due 0.5 to 1.5 s after each one is made (X.509 keeps whole seconds)
    onRenew: (cert) => {
      renewed.push(cert);
      if (renewed.length === 2) got();
    },
  });
  t.teardown(() => renewer.stop());
  const first = await renewer.start();
  await twice;
  renewer.stop();
  t.not(renewed[0]?.sha256, first.sha256);
  t.not(renewed[1]?.sha256, renewed[0]?.sha256);
  t.equal(renewer.certificate?.sha256, renewed[1]?.sha256);
});

t.test('a renewBeforeMs longer than the validity is reported, not looped on', { timeout: 20_000 }, async (t) => {
  keepAlive(t);
  let renewals = 0;
  let reported!: (e: unknown) => void;
  const error = new Promise<unknown>((r) => (reported = r));
  const renewer = new DevCertificateRenewer({ days: 1, renewBeforeMs: 2 * DAY, onRenew: () => renewals++, onError: (e) => reported(e) });
  t.teardown(() => renewer.stop());
  await renewer.start();
  t.match(await error, { code: 'UNSUPPORTED' });
  t.equal(renewals, 1, 'renewed once, then waits');
});

t.test('DevCertificateRenewer with a directory keeps the files current', { timeout: 20_000 }, async (t) => {
  keepAlive(t);
  const dir = await tempDir(t);
  let got!: (c: DevCertificate) => void;
  const once = new Promise<DevCertificate>((r) => (got = r));
  const renewer = new DevCertificateRenewer({ dir, days: 1, renewBeforeMs: DAY - BACKDATE - 1500, onRenew: (c) => got(c) });
  t.teardown(() => renewer.stop());
  const first = await renewer.start();
  const next = await once;
  t.not(next.sha256, first.sha256);
  t.equal(await readFile(path.join(dir, 'cert.pem'), 'utf8'), next.cert);
});
