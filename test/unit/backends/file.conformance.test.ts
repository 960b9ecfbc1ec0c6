import t from 'tap';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileBackend } from '../../../src/backends/file/index.js';
import { runConformanceSuite } from '../../conformance/index.js';

// Every round of the build-and-delete check writes and removes 28 fsynced files, so the
// default 1000 rounds are cut to 25 here; everything else runs at full size.
runConformanceSuite(t, {
  rounds: 25,
  make: async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wwatp-file-conf-'));
    const backend = await FileBackend.open({ dir });
    return {
      backend,
      close: async () => {
        await backend.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  },
});
