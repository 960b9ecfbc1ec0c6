/**
 * The server half of the engine floor (see engine-floor.ts), in a process of its own as
 * every server of bench:peers runs: QUIC alone, through the same quiche binding and UDP
 * endpoint wwatp uses, answering each fixed-size request on a stream with a fixed-size
 * answer. No HTTP/3, no WWATP, no storage: what is left of a read once those are gone.
 */
import { createDevCertificate } from '../../src/transport/certs/index.js';
import { listenQuic, type QuicBidiStream } from '../../src/transport/quic/index.js';
import { FLOOR_ALPN } from './engine-floor.js';

export interface FloorServerReady {
  host: string;
  port: number;
  certificateHash: string;
}
export type FromFloorServer = { ready: FloorServerReady } | { cpuMicros: number } | { failed: string };
export type ToFloorServer = 'cpu' | 'close';

async function answer(stream: QuicBidiStream, requestBytes: number, reply: Uint8Array): Promise<void> {
  let pending = 0;
  for await (const bytes of stream) {
    pending += bytes.length;
    for (; pending >= requestBytes; pending -= requestBytes) void stream.write(reply).catch(() => undefined);
  }
}

async function main(requestBytes: number, answerBytes: number): Promise<void> {
  const dev = await createDevCertificate();
  const reply = new Uint8Array(answerBytes).fill(0x5a);
  const server = await listenQuic({
    cert: dev.cert,
    key: dev.key,
    alpn: [FLOOR_ALPN],
    onConnection: (connection) => {
      connection.onStream = (stream) => {
        if (stream.kind === 'bidi') answer(stream, requestBytes, reply).catch(() => undefined);
      };
    },
  });
  const close = (): void => void server.close().finally(() => process.exit(0));
  process.on('message', (m: ToFloorServer) => {
    if (m === 'close') close();
    else if (m === 'cpu') {
      const cpu = process.cpuUsage();
      process.send?.({ cpuMicros: cpu.user + cpu.system } satisfies FromFloorServer);
    }
  });
  process.once('disconnect', close);
  process.send?.({ ready: { ...server.address, certificateHash: dev.sha256 } } satisfies FromFloorServer);
}

const [requestBytes, answerBytes] = process.argv.slice(2).map(Number);
if (!process.send || !(requestBytes && requestBytes > 0) || !(answerBytes && answerBytes > 0)) {
  console.error('engine-floor-server.ts is started by bench/peers/engine-floor.ts');
  process.exit(2);
}
main(requestBytes, answerBytes).catch((error: unknown) => {
  process.send?.({ failed: error instanceof Error ? (error.stack ?? error.message) : String(error) } satisfies FromFloorServer);
  process.exit(1);
});
