import t from 'tap';
import { SimpleBackend } from '../../../src/backends/simple-backend.js';
import { Http3ClientBackend } from '../../../src/backends/http3-client/http3-client-backend.js';
import { runConformanceSuite } from '../../conformance/index.js';
import { memoryServer } from '../../support/memory-wire.js';

// The protocol logic end to end (batching, pushes, listeners, transactions, errors) over
// an in-process byte pipe; test/integration runs the same suite over real QUIC.
runConformanceSuite(t, {
  transactionLayers: true,
  rounds: 100,
  make: async () => {
    const server = memoryServer(new SimpleBackend());
    const backend = await Http3ClientBackend.open({ connect: () => server.connect() });
    const peer = await Http3ClientBackend.open({ connect: () => server.connect() });
    return {
      backend,
      peer,
      close: async () => {
        await backend.close();
        await peer.close();
        server.close();
      },
    };
  },
});
