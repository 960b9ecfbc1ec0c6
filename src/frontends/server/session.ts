import { WwatpError } from '../../tree/errors.js';
import { DEFAULT_MAX_CONTENT_BYTES } from '../../tree/limits.js';
import type { Backend } from '../../backends/backend.js';
import { TransactionalBackend } from '../../backends/transactional-backend.js';
import { Signal, signalName } from '../../transport/wwatp/signals.js';
import {
  decodePayload, encodePayload, errorToWire, field, journalAnswerToWire, journalEntriesToWire, transactionFromWire,
  type DecodeLimits,
} from '../../transport/wwatp/payloads.js';
import type { RawMessage } from '../../transport/wwatp/message-assembler.js';
import type { JournalEntry } from '../../backends/journal.js';
import { stateOf, type NodeState, type TreeNode } from '../../tree/tree-node.js';
import type { JournalSource } from './memory-journal.js';
import { EncodedPayload, encodeNodesPayload } from './node-payloads.js';
import { encodeNodeMap, encodeWithLast } from '../../transport/wwatp/node-payloads.js';
import { encodeWireNode } from '../../tree/codecs/cbor-node-writer.js';

export interface Reply {
  readonly signal: number;
  readonly requestId: number;
  readonly payload: Uint8Array;
}

/**
 * Server → client messages outside request/response: journal pushes and listener events.
 * `more`: another push follows at once (the transport may hold the send for it).
 */
export type PushSink = (signal: number, payload: Uint8Array, more?: boolean) => void;

/**
 * One client's view of the server: requests become Backend calls on a session of its
 * own (a TransactionalBackend, so transaction layers are per client), listeners it
 * registers push events to it, and everything it registered goes away when it leaves.
 */
let sessions = 0;

/** Most journal entries a subscription's first push carries; a longer gap is answered resync. */
const CATCH_UP_ENTRIES = 10_000;

/** How long a cacheless client's latest sequence may lag behind (see #followSequenceOnly). */
const SEQUENCE_PUSH_MS = 100;

/**
 * Live journal pushes, encoded once for every session that takes the same entries the
 * same way, not once per subscriber. Sessions gather the entries of one synchronous run
 * (a group commit notifies all its writes together) into one push, and every session
 * sees the journal's entries in the same order, so the first entry, the count and the
 * body limit name a push's contents.
 */
const livePushes = new WeakMap<JournalEntry, Map<string, Uint8Array>>();

function livePush(entries: readonly JournalEntry[], bodyLimit: number): Uint8Array {
  const first = entries[0] as JournalEntry;
  const key = `${entries.length}:${bodyLimit}`;
  let encoded = livePushes.get(first);
  if (!encoded) livePushes.set(first, (encoded = new Map()));
  let payload = encoded.get(key);
  if (!payload) {
    payload = encodePayload({ entries: journalEntriesToWire(entries, bodyLimit), latest: (entries.at(-1) as JournalEntry).sequence });
    encoded.set(key, payload);
  }
  return payload;
}

/** A node's CBOR, made once however many sessions' listeners push it. */
const nodeBytes = new WeakMap<NodeState, Uint8Array>();

function listenerPush(name: string, rule: string, label: string, node: TreeNode | undefined, latest: number | undefined): Uint8Array {
  const fields = latest === undefined ? { name, rule, label } : { name, rule, label, latest };
  if (node === undefined) return encodePayload({ ...fields, node: null });
  const state = stateOf(node);
  let body = nodeBytes.get(state);
  if (!body) nodeBytes.set(state, (body = encodeWireNode(node)));
  return encodeWithLast(fields, 'node', body);
}

export class WwatpSession {
  readonly #id = ++sessions;
  readonly #tx: TransactionalBackend;
  readonly #limits: DecodeLimits;
  readonly #listeners = new Set<string>();
  readonly #sinks = new Set<PushSink>();
  #stopJournal: (() => void) | undefined;
  #sendGathered: () => void = () => undefined;
  /** Live journal entries waiting for the drain, as one push (followEntries), taken. */
  #takeGathered: () => Uint8Array | undefined = () => undefined;
  /** Listener events waiting for the drain, each built when it runs. */
  #pendingListeners: Array<() => Uint8Array> = [];
  #drainQueued = false;
  /** Sequence-only subscriptions: the latest sequence not yet sent (now counted as sent). */
  #takeLatest: () => number | undefined = () => undefined;
  #closed = false;

  constructor(
    readonly backend: Backend,
    readonly journal: JournalSource,
    options: { maxContentBytes?: number } = {},
  ) {
    this.#tx = new TransactionalBackend(backend);
    this.#limits = { maxContentBytes: options.maxContentBytes ?? DEFAULT_MAX_CONTENT_BYTES };
  }

  /** Answers one request. Never throws: failures become ERROR replies for that request alone. */
  async handle(message: RawMessage): Promise<Reply> {
    try {
      if (this.#closed) throw new WwatpError('CLOSED', 'session closed');
      const payload = await this.#dispatch(message.signal, decodePayload(message.payload));
      return { signal: message.signal + 1, requestId: message.requestId, payload: payload instanceof EncodedPayload ? payload.bytes : encodePayload(payload) };
    } catch (error) {
      return { signal: Signal.ERROR, requestId: message.requestId, payload: encodePayload(errorToWire(error)) };
    }
  }

  async #dispatch(signal: number, p: Record<string, unknown>): Promise<unknown> {
    const b = this.#tx;
    const limits = this.#limits;
    switch (signal) {
      case Signal.HEARTBEAT:
        return { t: Date.now(), latest: await this.journal.latestSequence() };
      case Signal.CLOSE:
        this.close();
        return {};
      case Signal.GET_NODE: {
        const node = await b.getNode(field.string(p, 'label'));
        return node ? new EncodedPayload(encodeNodeMap(node)) : { node: null };
      }
      case Signal.UPSERT:
        return { ok: await b.upsertNode(field.nodes(p, 'nodes', limits)), latest: await this.journal.latestSequence() };
      case Signal.DELETE:
        return { ok: await b.deleteNode(field.string(p, 'label')), latest: await this.journal.latestSequence() };
      case Signal.GET_PAGE_TREE:
        return encodeNodesPayload(await b.getPageTree(field.string(p, 'label')));
      case Signal.QUERY_NODES:
        return encodeNodesPayload(await b.queryNodes(field.string(p, 'rule')));
      case Signal.OPEN_TXN:
        await b.openTransactionLayer(field.node(p, 'node', limits));
        return {};
      case Signal.CLOSE_TXNS:
        return { ok: await b.closeTransactionLayers(), latest: await this.journal.latestSequence() };
      case Signal.APPLY_TXN:
        return { ok: await b.applyTransaction(transactionFromWire(p['tx'], limits)), latest: await this.journal.latestSequence() };
      case Signal.GET_FULL_TREE:
        return encodeNodesPayload(await b.getFullTree(), { latest: await this.journal.latestSequence() });
      case Signal.REGISTER_LISTENER:
        return this.#register(field.string(p, 'name'), field.string(p, 'rule'), field.boolean(p, 'childNotify'));
      case Signal.DEREGISTER: {
        const name = field.string(p, 'name');
        const rule = field.string(p, 'rule');
        b.deregisterNodeListener(this.#listenerName(name), rule);
        this.#listeners.delete(`${name}\u0000${rule}`);
        return {};
      }
      case Signal.NOTIFY: {
        const label = field.string(p, 'label');
        const node = field.maybeNode(p, 'node', limits);
        this.journal.notifyOnly(() => b.notifyListeners(label, node));
        return {};
      }
      case Signal.PROCESS_NOTIFICATION: {
        await b.processNotifications();
        // A marker down the subscription stream tells the client every earlier push is in.
        const token = p['token'];
        if (typeof token === 'number') this.#push(Signal.PUSH_MARKER, encodePayload({ token }));
        return { latest: await this.journal.latestSequence() };
      }
      case Signal.GET_JOURNAL:
        return journalAnswerToWire(await this.journal.getJournal(field.count(p, 'since'), field.count(p, 'limit', 10_000)));
      default:
        throw new WwatpError('PROTOCOL', `unknown request signal 0x${signal.toString(16)}${signalName(signal) ? ` (${signalName(signal)} is not a request)` : ''}`);
    }
  }

  #listenerName(name: string): string {
    // Sessions share the backend's listener registry: keep their names apart.
    return `${name}\u0000session${this.#id}`;
  }

  #register(name: string, rule: string, childNotify: boolean): unknown {
    this.#tx.registerNodeListener(this.#listenerName(name), rule, childNotify, (_b, label, node) => {
      // A cacheless client's pending latest sequence rides along instead of a push of its
      // own. Built in the drain, a microtask later, so a journal that numbers changes in a
      // listener of its own has numbered this one (listeners fire in no set order).
      this.#pendingListeners.push(() => listenerPush(name, rule, label, node, this.#takeLatest()));
      this.#queueDrain();
    });
    this.#listeners.add(`${name}\u0000${rule}`);
    return {};
  }

  /**
   * Starts pushing journal entries after `since` (and listener events) to `sink`. The first
   * push carries the entries the client missed (or says resync when history is gone) and
   * acknowledges the subscription. Nodes with more than `bodyLimit` bytes of contents
   * are withheld from journal pushes (the client fetches them if it needs them). A
   * session has one subscription: a second call replaces the first.
   */
  async subscribe(since: number, sink: PushSink, epoch?: string, bodyLimit = Infinity): Promise<() => void> {
    this.#sendGathered(); // the old subscription's last entries go to its own sink
    this.#stopJournal?.();
    this.#stopJournal = undefined;
    this.#sinks.clear();
    this.#sinks.add(sink);
    const first = await this.#catchUp(since, epoch, bodyLimit);
    // The first push always goes out: it acknowledges the subscription.
    sink(Signal.PUSH_JOURNAL, first.payload);
    const last = first.last;
    if (bodyLimit === 0) this.#followSequenceOnly(last);
    else this.#followEntries(last, bodyLimit);
    return () => this.#sinks.delete(sink);
  }

  /** Live entries, those of one synchronous run (a group commit) in one push. */
  #followEntries(after: number, bodyLimit: number): void {
    this.#takeLatest = () => undefined;
    let last = after;
    let gathered: JournalEntry[] = [];
    const takeGathered = (): Uint8Array | undefined => {
      if (gathered.length === 0) return undefined;
      const entries = gathered;
      gathered = [];
      return livePush(entries, bodyLimit);
    };
    this.#takeGathered = takeGathered;
    this.#sendGathered = () => {
      const payload = takeGathered();
      if (payload) this.#emit([[Signal.PUSH_JOURNAL, payload]]);
    };
    this.#stopJournal = this.journal.onEntry((entry) => {
      if (entry.sequence <= last) return;
      last = entry.sequence;
      // Sent in the drain, before the run's replies (a turn later).
      if (gathered.length === 0) this.#queueDrain();
      gathered.push(entry);
    });
  }

  /**
   * A client with no cache (`bodies: 0`) uses live entries only to know the latest
   * sequence, for resuming. It gets `{ entries: [], latest }` at most every
   * SEQUENCE_PUSH_MS, and always before any other push (so a listener event never
   * arrives ahead of its sequence): no packet per write to every such client.
   */
  #followSequenceOnly(after: number): void {
    this.#takeGathered = () => undefined;
    let last = after;
    let sent = after;
    // The timer stays set when a push carried the latest sequence: it then finds nothing
    // to send. Clearing it and setting another at the next write cost every subscriber a
    // timer per write, all set before the first push of that write could leave.
    let timer: NodeJS.Timeout | undefined;
    const takeLatest = (): number | undefined => {
      if (last === sent) return undefined;
      sent = last;
      return last;
    };
    const sendLatest = (): void => {
      const latest = takeLatest();
      if (latest === undefined) return;
      this.#emit([[Signal.PUSH_JOURNAL, encodePayload({ entries: [], latest })]]);
    };
    const onTimer = (): void => {
      timer = undefined;
      sendLatest();
    };
    this.#sendGathered = sendLatest;
    this.#takeLatest = takeLatest;
    const stop = this.journal.onEntry((entry) => {
      if (entry.sequence <= last) return;
      last = entry.sequence;
      if (timer === undefined) {
        timer = setTimeout(onTimer, SEQUENCE_PUSH_MS);
        timer.unref();
      }
    });
    this.#stopJournal = () => {
      stop();
      if (timer !== undefined) clearTimeout(timer);
    };
  }

  /**
   * A subscription's first push: every entry after `since`, or resync when they cannot be
   * sent whole, since a partial catch-up would leave the client's cache stale: `since` lies
   * past the latest (the client saw another history, e.g. before a memory journal
   * restarted), there are more than CATCH_UP_ENTRIES, or they would not fit in a message.
   */
  async #catchUp(since: number, epoch: string | undefined, bodyLimit: number): Promise<{ payload: Uint8Array; last: number }> {
    const answer = await this.journal.getJournal(since, CATCH_UP_ENTRIES);
    // A client whose sequence numbers come from another history (a restarted memory server) must start over.
    const sameHistory = epoch === undefined || epoch === this.journal.epoch;
    if (sameHistory && answer.kind === 'entries' && since <= answer.latest && answer.entries.length < CATCH_UP_ENTRIES) {
      const payload = encodePayload({ entries: journalEntriesToWire(answer.entries, bodyLimit), latest: answer.latest, epoch: this.journal.epoch });
      if (payload.length <= this.#limits.maxContentBytes) return { payload, last: answer.entries.at(-1)?.sequence ?? since };
    }
    return { payload: encodePayload({ resync: true, latest: answer.latest, epoch: this.journal.epoch }), last: answer.latest };
  }

  #push(signal: number, payload: Uint8Array): void {
    // What was caused before this push goes first: pushes keep the order they were caused in.
    this.#drain();
    this.#sendGathered();
    this.#emit([[signal, payload]]);
  }

  #queueDrain(): void {
    if (this.#drainQueued) return;
    this.#drainQueued = true;
    queueMicrotask(() => this.#drain());
  }

  /**
   * What one synchronous run (a commit) caused for this session, sent together: its
   * journal entries, then its listener events, one write after another with a single
   * send at the end, so a client with a cache gets both in one packet rather than two.
   * Sessions drain one after another, so each subscriber's pushes leave before the next
   * subscriber's are built.
   */
  #drain(): void {
    this.#drainQueued = false;
    const out: Array<[number, Uint8Array]> = [];
    const journal = this.#takeGathered();
    if (journal) out.push([Signal.PUSH_JOURNAL, journal]);
    for (const build of this.#pendingListeners.splice(0)) out.push([Signal.PUSH_LISTENER, build()]);
    this.#emit(out);
  }

  #emit(pushes: ReadonlyArray<[number, Uint8Array]>): void {
    for (const sink of this.#sinks) pushes.forEach(([signal, payload], i) => sink(signal, payload, i < pushes.length - 1));
  }

  /** Deregisters this client's listeners and drops its open transaction layers. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const key of this.#listeners) {
      const [name, rule] = key.split('\u0000') as [string, string];
      this.#tx.deregisterNodeListener(this.#listenerName(name), rule);
    }
    this.#listeners.clear();
    this.#tx.discardTransactionLayers();
    this.#stopJournal?.();
    this.#sinks.clear();
  }
}
