export {
  createDevCertificate,
  certificateSha256,
  certificateDer,
  describeCertificate,
  certificateHosts,
  DEFAULT_DEV_HOSTS,
  MAX_DEV_DAYS,
  type DevCertificate,
  type DevCertificateOptions,
} from './dev-certificate.js';
export { loadOrCreateDevCertificate, defaultCertsDir, DEFAULT_MIN_VALIDITY_MS, type LoadOrCreateOptions } from './store.js';
export { DevCertificateRenewer, type DevCertificateRenewerOptions } from './renewer.js';
