import t from 'tap';
import { SimpleBackend } from '../../../src/backends/simple-backend.js';
import { runConformanceSuite } from '../../conformance/index.js';

runConformanceSuite(t, { make: async () => ({ backend: new SimpleBackend() }) });
