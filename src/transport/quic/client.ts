/**
 * connectQuic: a client connection on its own connected UDP socket. Resolves once the
 * handshake is done and the server verified (CA, pinned hash, or explicitly insecure).
 */
import { randomBytes } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { WwatpError } from '../../tree/errors.js';
import { CID_LEN, quiche, type Host } from './binding.js';
import { clientConfig, udpPayloadFor, type TransportOptions } from './config.js';
import { QuicheConnection } from './connection.js';
import { UdpEndpoint } from './endpoint.js';
import { describeTransportCode } from './errors.js';
import type { QuicCloseInfo, QuicConnection } from './types.js';
import { chooseVerification, verifyAfterHandshake, type VerifyOptions } from './verify.js';

export interface ConnectQuicOptions extends TransportOptions, VerifyOptions {
  host: string;
  port: number;
  /** SNI and the name the certificate must carry (default: host, unless it is an IP address). */
  serverName?: string;
  alpn: string[];
  /** Give up on the handshake after this long (ms, default 10 s). */
  handshakeTimeoutMs?: number;
}

const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;
/** A transport close with TLS alert bad_certificate (0x100 + 42): what a failed pin is. */
const BAD_CERTIFICATE = 0x12a;

export async function connectQuic(options: ConnectQuicOptions): Promise<QuicConnection> {
  const verify = chooseVerification(options);
  const peer = await resolve(options.host, options.port);
  const serverName = options.serverName ?? (isIP(options.host) ? undefined : options.host);
  const maxUdpPayload = udpPayloadFor(peer.host, options.maxUdpPayload);
  const config = clientConfig({ ...options, maxUdpPayload, verify });
  const v6 = isIP(peer.host) === 6;
  const endpoint = await UdpEndpoint.open({
    host: v6 ? '::' : '0.0.0.0',
    port: 0,
    bufferSize: maxUdpPayload,
    peer,
  });
  let q;
  try {
    q = quiche.Connection.connect(serverName ?? null, randomBytes(CID_LEN), endpoint.local, peer, config);
  } catch (err) {
    await endpoint.close();
    throw new WwatpError('UNAVAILABLE', `QUIC connect to ${peer.host}:${peer.port} failed: ${(err as Error).message}`, { cause: err });
  }
  const conn = new QuicheConnection(q, endpoint, peer, false, options.datagrams ?? false);
  endpoint.onPacket = (msg, rinfo) => conn.receive(msg, rinfo);
  conn.hooks.closing = () => endpoint.socket.unref();
  conn.hooks.released = () => void endpoint.close();
  const ipHost = verify.mode === 'ca' && serverName === undefined ? peer.host : undefined;
  const where = `${options.host}:${options.port}`;

  return new Promise<QuicConnection>((resolvePromise, reject) => {
    let settled = false;
    const settle = (err?: WwatpError): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) reject(err);
      else resolvePromise(conn);
    };
    const abandon = (err: WwatpError, code = 0): void => {
      settle(err);
      void conn.close({ app: false, code, reason: err.message });
    };
    const timeoutMs = options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
    const timer = setTimeout(() => abandon(new WwatpError('UNAVAILABLE', `QUIC handshake with ${where} timed out after ${timeoutMs} ms`)), timeoutMs);
    endpoint.onError = (err) => {
      // ICMP unreachable on our connected socket: nobody listens there
      if (!settled) abandon(new WwatpError('UNAVAILABLE', `QUIC connect to ${where}: ${err.message}`, { cause: err }));
    };
    conn.hooks.established = () => {
      const problem = verifyAfterHandshake(conn.peerCertificates(), options, ipHost);
      if (problem) abandon(new WwatpError('PROTOCOL', `${problem} (server ${where})`), BAD_CERTIFICATE);
      else settle();
    };
    conn.hooks.failed = (info) => settle(handshakeError(info, where));
    conn.flush(); // sends the first Initial
  });
}

async function resolve(host: string, port: number): Promise<Host> {
  if (isIP(host)) return { host, port };
  try {
    const { address } = await lookup(host);
    return { host: address, port };
  } catch (err) {
    throw new WwatpError('UNAVAILABLE', `cannot resolve ${host}: ${(err as Error).message}`, { cause: err });
  }
}

function handshakeError(info: QuicCloseInfo, where: string): WwatpError {
  if (info.timedOut) return new WwatpError('UNAVAILABLE', `QUIC handshake with ${where} timed out (no answer)`);
  const who = info.remote ? 'the server' : 'this client';
  if (!info.app && info.code >= 0x100 && info.code <= 0x1ff) {
    return new WwatpError('PROTOCOL', `QUIC handshake with ${where} failed at ${who}: ${describeTransportCode(info.code)}`);
  }
  const what = info.app ? `application code ${info.code}` : describeTransportCode(info.code);
  return new WwatpError('UNAVAILABLE', `QUIC handshake with ${where} closed by ${who}: ${what}${info.reason ? ` (${info.reason})` : ''}`);
}
