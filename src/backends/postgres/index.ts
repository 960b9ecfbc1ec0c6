export { PostgresBackend } from './postgres-backend.js';
export { DEFAULT_CHANNEL, DEFAULT_JOURNAL_RETENTION, type PostgresBackendOptions, type SynchronousCommit } from './options.js';
export { SCHEMA_VERSION } from './schema.js';
