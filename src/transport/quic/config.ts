/**
 * quiche configurations: the transport parameters we advertise and the TLS side
 * (server certificate, client verification mode).
 */
import { quiche, type Config } from './binding.js';

const MiB = 1024 * 1024;

/** Knobs shared by servers and clients; defaults suit both a LAN and loopback. */
export interface TransportOptions {
  /** Close after this long without packets (ms, default 30 s); 0 disables it. */
  idleTimeoutMs?: number;
  /** Accept QUIC DATAGRAM frames (RFC 9221). */
  datagrams?: boolean;
  /**
   * Largest UDP payload we send (default 1350, safe on the Internet; LOOPBACK_UDP_PAYLOAD
   * when the peer, or for a server the listening address, is loopback). quiche uses it
   * once the peer's transport parameters allow it; it does no path MTU discovery.
   */
  maxUdpPayload?: number;
}

/**
 * The largest UDP payload for a peer on this host. Loopback's MTU is 64 KiB on Linux and
 * 16 KiB on macOS, so the packets can be about twelve times the Internet-safe size, and
 * per-packet work (quiche's send and receive, one system call each) is most of what a
 * bulk transfer costs: local bulk transfers run two to three times as fast.
 */
export const LOOPBACK_UDP_PAYLOAD = 16_384 - 48; // macOS lo0's MTU less IPv6 and UDP headers

export function isLoopbackHost(host: string): boolean {
  return host === '::1' || host === 'localhost' || /^127\./.test(host) || /^::ffff:127\./i.test(host);
}

/** `explicit` when given; otherwise the loopback size for a loopback address, else the default. */
export function udpPayloadFor(host: string, explicit?: number): number {
  return explicit ?? (isLoopbackHost(host) ? LOOPBACK_UDP_PAYLOAD : TRANSPORT_DEFAULTS.maxUdpPayload);
}

export const TRANSPORT_DEFAULTS = {
  idleTimeoutMs: 30_000,
  maxUdpPayload: 1350,
  /** We accept anything up to the UDP maximum: costs nothing, helps peers on loopback. */
  maxRecvUdpPayload: 65_527,
  initialMaxData: 16 * MiB,
  initialMaxStreamData: 4 * MiB,
  /** quiche grows windows (auto-tuning) up to these when the reader keeps up. */
  maxStreamWindow: 16 * MiB,
  maxConnectionWindow: 32 * MiB,
  maxStreamsBidi: 2048,
  maxStreamsUni: 1024,
  datagramQueueLength: 1024,
  /** The ACK delay we promise the peer (RFC 9000 §18.2): AckDelay waits less than this. */
  maxAckDelayMs: 25,
} as const;

function applyTransport(c: Config, alpn: string[], t: TransportOptions): void {
  const d = TRANSPORT_DEFAULTS;
  c.setApplicationProtos(alpn);
  c.setMaxIdleTimeout(t.idleTimeoutMs ?? d.idleTimeoutMs);
  c.setMaxRecvUdpPayloadSize(d.maxRecvUdpPayload);
  c.setMaxAckDelay(d.maxAckDelayMs);
  c.setMaxSendUdpPayloadSize(t.maxUdpPayload ?? d.maxUdpPayload);
  c.setInitialMaxData(d.initialMaxData);
  c.setInitialMaxStreamDataBidiLocal(d.initialMaxStreamData);
  c.setInitialMaxStreamDataBidiRemote(d.initialMaxStreamData);
  c.setInitialMaxStreamDataUni(d.initialMaxStreamData);
  c.setInitialMaxStreamsBidi(d.maxStreamsBidi);
  c.setInitialMaxStreamsUni(d.maxStreamsUni);
  c.setMaxStreamWindow(d.maxStreamWindow);
  c.setMaxConnectionWindow(d.maxConnectionWindow);
  c.setCcAlgorithm(quiche.CongestionControlAlgorithm.CUBIC);
  c.enableHystart(true);
  // We send as soon as quiche hands us a packet (SendInfo.at is opaque to JS), so
  // pacing timestamps would be ignored anyway.
  c.enablePacing(false);
  c.setDisableActiveMigration(true);
  c.enableDgram(t.datagrams ?? false, d.datagramQueueLength, d.datagramQueueLength);
}

const encoder = new TextEncoder();

export function serverConfig(opts: { cert: string; key: string; alpn: string[] } & TransportOptions): Config {
  const c = quiche.Config.withBoringSslCtx(false, false, null, [encoder.encode(opts.key)], [encoder.encode(opts.cert)], null);
  applyTransport(c, opts.alpn, opts);
  return c;
}

/** How the client decides to trust the server. */
export type ClientVerification = { mode: 'ca'; ca: string } | { mode: 'hash' } | { mode: 'insecure' };

export function clientConfig(opts: { verify: ClientVerification; alpn: string[] } & TransportOptions): Config {
  const v = opts.verify;
  // 'hash': ask for the certificate and accept any chain; the pin is checked after the
  // handshake against peerCertChain()[0]. 'insecure': no verification at all.
  const c =
    v.mode === 'ca'
      ? quiche.Config.withBoringSslCtx(true, false, encoder.encode(v.ca), null, null, null)
      : quiche.Config.withBoringSslCtx(v.mode === 'hash', true, null, null, null, null);
  applyTransport(c, opts.alpn, opts);
  return c;
}
