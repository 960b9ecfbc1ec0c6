/**
 * The page Chromium runs the WebTransport tests in, as plain JS: a secure context needs
 * http://localhost (or https), so a node:http server serves it. The helpers keep sessions
 * in a map by number and move bytes as number arrays (what page.evaluate can carry).
 */
export const WEBTRANSPORT_PAGE = `<!doctype html><meta charset="utf-8"><title>wwatp webtransport test</title>
<script>
const sessions = new Map();
let nextId = 1;
const hexBytes = (hex) => new Uint8Array(hex.match(/../g).map((h) => parseInt(h, 16)));
const readAll = async (readable) => {
  const reader = readable.getReader();
  const out = [];
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return out;
    for (const b of value) out.push(b);
  }
};
const session = (id) => {
  const wt = sessions.get(id);
  if (!wt) throw new Error('no session ' + id);
  return wt;
};
// A ReadableStream takes one reader: keep each session's incoming-stream readers.
const incoming = (wt, kind) => {
  wt.readers = wt.readers || {};
  wt.readers[kind] = wt.readers[kind] || (kind === 'uni' ? wt.incomingUnidirectionalStreams : wt.incomingBidirectionalStreams).getReader();
  return wt.readers[kind];
};
const errorInfo = (e) => ({ name: e && e.name, message: String(e && e.message), source: e && e.source, streamErrorCode: e && e.streamErrorCode });
window.wtTest = {
  async open(url, hashHex) {
    const wt = new WebTransport(url, { serverCertificateHashes: [{ algorithm: 'sha-256', value: hexBytes(hashHex) }] });
    wt.closedInfo = wt.closed.then((info) => ({ closeCode: info.closeCode, reason: info.reason }), (e) => ({ error: errorInfo(e) }));
    try {
      await wt.ready;
    } catch (e) {
      return { error: errorInfo(e) };
    }
    const id = nextId++;
    sessions.set(id, wt);
    return { id };
  },
  async exchange(id, bytes) {
    const stream = await session(id).createBidirectionalStream();
    const writer = stream.writable.getWriter();
    const reply = readAll(stream.readable);
    // The server may stop our side once it has read enough (a malformed stream gets
    // STOP_SENDING with its ERROR reply): what counts is the reply, read to its end.
    await writer.write(new Uint8Array(bytes)).then(() => writer.close()).catch(() => undefined);
    return reply;
  },
  exchangeMany(id, list) {
    return Promise.all(list.map((bytes) => window.wtTest.exchange(id, bytes)));
  },
  async sendUni(id, bytes) {
    const writable = await session(id).createUnidirectionalStream();
    const writer = writable.getWriter();
    await writer.write(new Uint8Array(bytes));
    await writer.close();
  },
  async receiveUni(id) {
    const { value } = await incoming(session(id), 'uni').read();
    return readAll(value);
  },
  async receiveBidi(id, answer) {
    const { value } = await incoming(session(id), 'bidi').read();
    const got = await readAll(value.readable);
    const writer = value.writable.getWriter();
    await writer.write(new Uint8Array(answer));
    await writer.close();
    return got;
  },
  /** Writes, waits until the server acknowledges the stream (a uni stream back), then aborts it. */
  async abortUni(id, bytes, code) {
    const writable = await session(id).createUnidirectionalStream();
    const writer = writable.getWriter();
    await writer.write(new Uint8Array(bytes));
    const { value } = await incoming(session(id), 'uni').read();
    await readAll(value);
    await writer.abort(new WebTransportError({ message: 'aborted by the test', streamErrorCode: code }));
  },
  /** Reads the next incoming uni stream; once its first bytes are in, tells the server (uni [6]). */
  async readUntilError(id) {
    const { value } = await incoming(session(id), 'uni').read();
    try {
      const reader = value.getReader();
      await reader.read();
      await window.wtTest.sendUni(id, [6]);
      for (;;) if ((await reader.read()).done) return { ended: true };
    } catch (e) {
      return { error: errorInfo(e) };
    }
  },
  async datagramEcho(id, bytes, timeoutMs) {
    const wt = session(id);
    const reader = wt.datagrams.readable.getReader();
    const writer = wt.datagrams.writable.getWriter();
    const got = reader.read().then(({ value }) => Array.from(value));
    // Datagrams are unreliable: resend until the echo comes back.
    const deadline = Date.now() + timeoutMs;
    let answer;
    while (answer === undefined && Date.now() < deadline) {
      await writer.write(new Uint8Array(bytes));
      answer = await Promise.race([got, new Promise((r) => setTimeout(() => r(undefined), 200))]);
    }
    reader.releaseLock();
    writer.releaseLock();
    return answer ?? null;
  },
  maxDatagramSize(id) {
    return session(id).datagrams.maxDatagramSize;
  },
  async close(id, closeCode, reason) {
    const wt = session(id);
    wt.close({ closeCode, reason });
    sessions.delete(id);
    return wt.closedInfo;
  },
  closedInfo(id) {
    return session(id).closedInfo;
  },
};
</script>`;

/** What the page's `window.wtTest` offers, for typed calls from Node. */
export interface WtErrorInfo {
  readonly name?: string;
  readonly message: string;
  readonly source?: string;
  readonly streamErrorCode?: number | null;
}

export interface WtPageApi {
  open(url: string, hashHex: string): Promise<{ id?: number; error?: WtErrorInfo }>;
  exchange(id: number, bytes: number[]): Promise<number[]>;
  exchangeMany(id: number, list: number[][]): Promise<number[][]>;
  sendUni(id: number, bytes: number[]): Promise<void>;
  receiveUni(id: number): Promise<number[]>;
  receiveBidi(id: number, answer: number[]): Promise<number[]>;
  abortUni(id: number, bytes: number[], code: number): Promise<void>;
  readUntilError(id: number): Promise<{ ended?: boolean; error?: WtErrorInfo }>;
  datagramEcho(id: number, bytes: number[], timeoutMs: number): Promise<number[] | null>;
  maxDatagramSize(id: number): number;
  close(id: number, closeCode: number, reason: string): Promise<{ closeCode?: number; reason?: string; error?: WtErrorInfo }>;
  closedInfo(id: number): Promise<{ closeCode?: number; reason?: string; error?: WtErrorInfo }>;
}
