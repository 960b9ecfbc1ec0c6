export type { Backend, NodeListener, NewNodeVersion, SubTransaction, Transaction } from './backend.js';
export type { JournalEntry, JournalAnswer, JournaledBackend } from './journal.js';
export { isJournaled } from './journal.js';
export { SimpleBackend, type SimpleBackendOptions } from './simple-backend.js';
export { TransactionalBackend } from './transactional-backend.js';
export { ThreadsafeBackend } from './threadsafe-backend.js';
export { CompositeBackend } from './composite-backend.js';
export { RedirectedBackend } from './redirected-backend.js';
