export { SqliteBackend, DEFAULT_BUSY_TIMEOUT_MS, DEFAULT_JOURNAL_RETENTION, type SqliteBackendOptions } from './sqlite-backend.js';
export type { SynchronousMode } from './open-database.js';
export { SCHEMA_VERSION } from './schema.js';
