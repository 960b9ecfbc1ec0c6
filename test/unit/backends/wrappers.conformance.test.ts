import t from 'tap';
import { CompositeBackend } from '../../../src/backends/composite-backend.js';
import { RedirectedBackend } from '../../../src/backends/redirected-backend.js';
import { SimpleBackend } from '../../../src/backends/simple-backend.js';
import { ThreadsafeBackend } from '../../../src/backends/threadsafe-backend.js';
import { TransactionalBackend } from '../../../src/backends/transactional-backend.js';
import { runConformanceSuite } from '../../conformance/index.js';

t.test('TransactionalBackend', async (t) => {
  runConformanceSuite(t, {
    transactionLayers: true,
    make: async () => {
      const inner = new SimpleBackend();
      return { backend: new TransactionalBackend(inner), peer: new TransactionalBackend(inner) };
    },
  });
});

t.test('ThreadsafeBackend', async (t) => {
  runConformanceSuite(t, {
    make: async () => {
      const inner = new SimpleBackend();
      return { backend: new ThreadsafeBackend(inner), peer: new ThreadsafeBackend(inner) };
    },
  });
});

t.test('ThreadsafeBackend over TransactionalBackend', async (t) => {
  runConformanceSuite(t, {
    transactionLayers: true,
    make: async () => {
      const inner = new SimpleBackend();
      return { backend: new ThreadsafeBackend(new TransactionalBackend(inner)), peer: new ThreadsafeBackend(new TransactionalBackend(inner)) };
    },
  });
});

t.test('CompositeBackend mount under zoo/', async (t) => {
  runConformanceSuite(t, {
    prefix: 'zoo',
    make: async () => {
      const mounted = new SimpleBackend();
      const a = new CompositeBackend(new SimpleBackend());
      const b = new CompositeBackend(new SimpleBackend());
      await a.mountBackend('zoo/', mounted);
      await b.mountBackend('zoo', new ThreadsafeBackend(mounted));
      return { backend: a, peer: b };
    },
  });
});

t.test('CompositeBackend mount under museum/ with transaction layers', async (t) => {
  runConformanceSuite(t, {
    prefix: 'museum',
    transactionLayers: true,
    make: async () => {
      const mounted = new SimpleBackend();
      const a = new CompositeBackend(new SimpleBackend());
      const b = new CompositeBackend(new SimpleBackend());
      await a.mountBackend('museum', new TransactionalBackend(mounted));
      await b.mountBackend('museum', new TransactionalBackend(mounted));
      return { backend: a, peer: b };
    },
  });
});

t.test('CompositeBackend root with nothing mounted', async (t) => {
  runConformanceSuite(t, { make: async () => ({ backend: new CompositeBackend(new SimpleBackend()) }) });
});

t.test('RedirectedBackend view of museum/', async (t) => {
  runConformanceSuite(t, {
    make: async () => {
      const inner = new SimpleBackend();
      return { backend: new RedirectedBackend(inner, 'museum'), peer: new RedirectedBackend(inner, 'museum/') };
    },
  });
});
