/**
 * The wwatp browser client (bundled by web/build.mjs into web/dist/wwatp-client.js).
 * The tree, the Backend and the wire protocol are the Node code itself, imported from
 * src/: only the transports are browser-specific. See docs/BROWSER-CLIENT.md.
 */
export { connectBrowser, type BrowserConnection, type BrowserTransport, type ConnectBrowserOptions, type ConnectionState } from './connect-browser.js';
export { fetchWwatpInfo, webSocketUrlOf, type WwatpInfo } from './info.js';
export { openWebTransportStreams, webTransportAvailable } from './webtransport.js';
export { openWebSocketTunnel } from './websocket.js';
export { Http3ClientBackend, type Http3ClientBackendOptions } from '../../src/backends/http3-client/http3-client-backend.js';
export type { Backend, NodeListener, Transaction } from '../../src/backends/backend.js';
export type { ByteStream, StreamOpener } from '../../src/transport/wwatp/byte-stream.js';
export * from '../../src/tree/index.js';
