import t from 'tap';
import { WsMux, encodeWsFrame, decodeWsFrame, WS_FLAG_FIN, WS_MAX_SEND_PAYLOAD, type MuxStream, type MuxSocket, type WsMuxOptions } from '../../src/transport/wwatp/ws-mux.js';
import { within } from '../support/transport-env.js';

// The tunnel mux alone, over an in-memory socket pair: what the browser runs, without a browser.

interface End {
  mux: WsMux;
  sent: Uint8Array[];
  closedWith: Array<[number, string]>;
  pauses: number;
  resumes: number;
  buffered: number;
}

function pair(server: Omit<WsMuxOptions, 'role'> = {}): { client: End; server: End } {
  const make = (role: 'client' | 'server', options: Omit<WsMuxOptions, 'role'>): End => {
    const end = { sent: [], closedWith: [], pauses: 0, resumes: 0, buffered: 0 } as unknown as End;
    const socket: MuxSocket = {
      send: (frame) => {
        end.sent.push(frame);
        // Delivered a turn later, like a real socket.
        setImmediate(() => (role === 'client' ? ends.server : ends.client).mux.receive(frame));
      },
      get bufferedAmount() {
        return end.buffered;
      },
      close: (code, reason) => {
        end.closedWith.push([code, reason]);
        setImmediate(() => (role === 'client' ? ends.server : ends.client).mux.socketClosed(code, reason));
      },
      pause: () => void end.pauses++,
      resume: () => void end.resumes++,
    };
    end.mux = new WsMux(socket, { role, ...options });
    return end;
  };
  const ends = {} as { client: End; server: End };
  ends.client = make('client', {});
  ends.server = make('server', server);
  return ends;
}

async function readAll(stream: MuxStream): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const p of stream.readable) parts.push(p);
  return Uint8Array.from(parts.flatMap((p) => Array.from(p)));
}

t.test('streams carry bytes both ways, in order, with FIN; ids go 0, 2, 4', async (t) => {
  const accepted: MuxStream[] = [];
  const { client, server } = pair({ onStream: (s) => accepted.push(s) });
  const s0 = client.mux.openStream();
  const s1 = client.mux.openStream();
  t.same([s0.id, s1.id], [0, 2]);
  const big = new Uint8Array(WS_MAX_SEND_PAYLOAD * 2 + 5).map((_, i) => i & 0xff);
  void s0.write(Uint8Array.of(1, 2));
  void s0.write(big);
  void s0.end();
  await s1.write(Uint8Array.of(9));
  await s1.end();
  await within((async () => { while (accepted.length < 2) await new Promise((r) => setImmediate(r)); })(), 2000, 'accept');
  const [a, b] = accepted as [MuxStream, MuxStream];
  t.same(Array.from(await readAll(b)), [9]);
  const got = await readAll(a);
  t.equal(got.length, big.length + 2);
  t.same(Array.from(got.subarray(0, 4)), [1, 2, 0, 1], 'writes arrive in call order');
  t.equal(client.sent.filter((f) => decodeWsFrame(f).streamId === 0).length, 5, 'a big write is split into frames of at most 256 KiB');
  await a.write(Uint8Array.of(7));
  await a.end();
  t.same(Array.from(await readAll(s0)), [7]);
  await b.end();
  await readAll(s1);
  await new Promise((r) => setImmediate(r));
  t.equal(client.mux.openStreams, 0, 'finished streams are forgotten');
  t.equal(server.mux.openStreams, 0);
  await t.rejects(s0.write(Uint8Array.of(1)), { code: 'CLOSED' });
});

t.test('a slow reader pauses the socket and resumes it when it catches up', async (t) => {
  const accepted: MuxStream[] = [];
  const { client, server } = pair({ maxQueuedBytes: 1000, onStream: (s) => accepted.push(s) });
  const s = client.mux.openStream();
  for (let i = 0; i < 10; i++) await s.write(new Uint8Array(300));
  await s.end();
  await new Promise((r) => setTimeout(r, 20));
  t.equal(server.pauses, 1, 'paused once more than 1000 bytes waited');
  t.equal((await readAll(accepted[0] as MuxStream)).length, 3000);
  t.equal(server.resumes, 1, 'resumed as they were read');
});

t.test('writes wait while the socket has too much buffered', async (t) => {
  const { client } = pair();
  client.buffered = 10 * 1024 * 1024;
  const s = client.mux.openStream();
  let done = false;
  const writing = s.write(Uint8Array.of(1)).then(() => (done = true));
  await new Promise((r) => setTimeout(r, 30));
  t.equal(done, false, 'held back');
  client.buffered = 0;
  await within(writing, 1000, 'write after drain');
  t.equal(done, true);
});

t.test('RESET reaches the other side; abort fails our own side', async (t) => {
  const accepted: MuxStream[] = [];
  const { client } = pair({ onStream: (s) => accepted.push(s) });
  const s = client.mux.openStream();
  await s.write(Uint8Array.of(1));
  s.abort(new Error('no longer needed'));
  await t.rejects(s.write(Uint8Array.of(2)), { code: 'CLOSED' });
  await new Promise((r) => setTimeout(r, 10));
  await t.rejects(readAll(accepted[0] as MuxStream), { code: 'UNAVAILABLE', message: /reset by the peer: no longer needed/ });
});

t.test('the server resets streams over its limit; the connection goes on', async (t) => {
  const { client } = pair({ maxStreams: 1 });
  const first = client.mux.openStream();
  await first.write(Uint8Array.of(1));
  const second = client.mux.openStream();
  await second.write(Uint8Array.of(1));
  await t.rejects(readAll(second), { code: 'UNAVAILABLE', message: /more than 1 streams open/ });
  t.equal(client.closedWith.length, 0);
});

t.test('a server frame on a stream the client never opened closes the tunnel', async (t) => {
  const { client, server } = pair();
  const s = client.mux.openStream();
  server.mux.socket.send(encodeWsFrame(2, WS_FLAG_FIN, Uint8Array.of(1)));
  await t.rejects(within(readAll(s), 1000, 'read'), { code: 'PROTOCOL' });
  t.same(client.closedWith, [[1002, 'the server sent on stream 2, which the client never opened']]);
  await within(client.mux.closed, 1000, 'closed');
  t.throws(() => client.mux.openStream(), { code: 'PROTOCOL' });
});
