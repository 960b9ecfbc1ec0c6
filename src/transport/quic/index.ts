export type * from './types.js';
export { listenQuic, type ListenQuicOptions, type QuicServer } from './server.js';
export { connectQuic, type ConnectQuicOptions } from './client.js';
export { TRANSPORT_DEFAULTS, type TransportOptions } from './config.js';
export { QuicStreamAbortedError } from './errors.js';
