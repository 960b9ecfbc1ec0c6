/**
 * wwatp — the World Wide Anthropomorphic Tree Protocol: a tree of versioned nodes that
 * people, programs and agents browse, watch and write. This is the package root.
 */
export * from './tree/index.js';
export * from './backends/index.js';
export { YamlMediator, FileDocument, NodeDocument, type YamlDocument, type YamlMediatorOptions, type YamlFileOptions } from './frontends/yaml-mediator/index.js';
// The WebSocket tunnel (docs/PROTOCOL.md §2.1, docs/BROWSER-CLIENT.md): a client for networks without UDP.
export { connectWebSocket, openWebSocketStreams, tunnelUrl, type WebSocketConnectOptions } from './frontends/client/websocket.js';
export { WWATP_INFO_PATH, WWATP_WS_PATH, type WwatpInfo } from './transport/wwatp/ws-mux.js';
// The server and the QUIC client (docs/PROTOCOL.md).
export { startServer, type StartServerOptions, type WwatpServer } from './frontends/server/start-server.js';
export { connect, parseServerUrl, type ConnectOptions } from './frontends/client/connect.js';
export { Http3ClientBackend, type Http3ClientBackendOptions } from './backends/http3-client/http3-client-backend.js';
