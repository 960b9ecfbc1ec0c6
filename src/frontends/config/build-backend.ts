import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Backend } from '../../backends/backend.js';
import { SimpleBackend } from '../../backends/simple-backend.js';
import { SqliteBackend } from '../../backends/sqlite/index.js';
import { PostgresBackend } from '../../backends/postgres/index.js';
import { FileBackend } from '../../backends/file/index.js';
import type { BackendSpec } from './backend-spec.js';

/** A backend the server opened and must close when it stops. */
export interface OpenedBackend {
  readonly backend: Backend;
  close(): Promise<void>;
}

export type RemoteConnector = (url: string) => Promise<Backend & { close(): Promise<void> }>;

/** Opens the backend a spec names; `connectRemote` is how remote trees are reached. */
export async function openBackend(spec: BackendSpec, connectRemote: RemoteConnector): Promise<OpenedBackend> {
  switch (spec.kind) {
    case 'memory':
      return { backend: new SimpleBackend(), close: async () => undefined };
    case 'sqlite': {
      mkdirSync(dirname(spec.path), { recursive: true });
      const backend = await SqliteBackend.open({ path: spec.path });
      return { backend, close: () => backend.close() };
    }
    case 'postgres': {
      const backend = await PostgresBackend.open({ connectionString: spec.url });
      return { backend, close: () => backend.close() };
    }
    case 'file': {
      const backend = await FileBackend.open({ dir: spec.dir });
      return { backend, close: () => backend.close() };
    }
    case 'remote': {
      const backend = await connectRemote(spec.url);
      return { backend, close: () => backend.close() };
    }
  }
}
