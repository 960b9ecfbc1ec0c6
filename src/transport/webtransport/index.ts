/** WebTransport over HTTP/3 (draft-02 as Chromium speaks it) on top of our H3Connection. */
export { WebTransportConnection, type WebTransportOptions, type ConnectOptions } from './connection.js';
export { WebTransportSession, type WebTransportCloseInfo, type SessionInfo } from './session.js';
export { WebTransportBidiStream, WebTransportUniRecvStream, WebTransportUniSendStream, type WebTransportIncomingStream } from './streams.js';
export { WebTransportStreamError, webTransportCodeToHttp3, http3CodeToWebTransport } from './error-codes.js';
export { CapsuleReader, encodeCapsule, encodeCloseSession, decodeCloseSession, type Capsule } from './capsules.js';
export { encodeHttpDatagram, decodeHttpDatagram, streamHeader } from './wire.js';
export * from './constants.js';
