import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { WwatpError } from '../../tree/errors.js';
import { normalizeLabel } from '../../tree/labels.js';
import { nodeFromState, type TreeNode } from '../../tree/tree-node.js';
import type { NodeListener, Transaction } from '../backend.js';
import { checkedStates, pageLabels, relativeLabel, relativeRule, unsupportedLayers, parsePlainRule } from '../backend-helpers.js';
import type { JournalAnswer, JournaledBackend } from '../journal.js';
import { ListenerRegistry } from '../listener-registry.js';
import { ChangeFeed } from './change-feed.js';
import { committedHere, noteCommitted } from './commit-horizon.js';
import { postgresError } from './errors.js';
import { GroupCommit } from './group-commit.js';
import { readJournal, readMeta } from './journal-reader.js';
import { checkOptions, serverName, type PostgresBackendOptions, type ResolvedOptions } from './options.js';
import { decodeRow, decodeState } from './row-codec.js';
import { migrate } from './schema.js';

/** [label, node] rows, fetched as arrays: no object per row on large reads. */
type NodeRow = [string, Buffer];
type Statement = { name: string; text: string };

// Named: prepared once per connection, so hot statements are not re-planned per call.
const GET = { name: 'wwatp_get', text: 'SELECT node FROM wwatp_nodes WHERE label = $1' };
const GET_MANY = { name: 'wwatp_get_many', text: 'SELECT label, node FROM wwatp_nodes WHERE label = ANY($1::text[])' };
const GET_SEQ = { name: 'wwatp_get_seq', text: 'SELECT seq FROM wwatp_nodes WHERE label = $1' };
const ALL = { name: 'wwatp_all', text: 'SELECT label, node FROM wwatp_nodes ORDER BY label' };
// A rule's literal prefix p and everything below it lie in [p, p0) ('0' follows '/'): one
// index range scan. The range also holds siblings such as p-x (bytes below '/' sort
// between p and p/), which the rule's matcher drops.
const PREFIXED = {
  name: 'wwatp_prefixed',
  text: `SELECT label, node FROM wwatp_nodes
    WHERE label >= $1::text COLLATE "C" AND label < ($1::text || '0') COLLATE "C"
    ORDER BY label`,
};

/**
 * The tree in PostgreSQL, so several wwatp servers can share one database. Reads go
 * straight to a pg Pool; writes go through group commit (one transaction per batch of
 * concurrent writers, each caller answered after COMMIT). Every change gets a journal
 * sequence number; after COMMIT a NOTIFY tells the other servers, whose ChangeFeed reads
 * the journal and fires their own listeners. Semantics are SimpleBackend's.
 */
export class PostgresBackend implements JournaledBackend {
  readonly #o: ResolvedOptions;
  readonly #where: string;
  readonly #pool: pg.Pool;
  readonly #feed: ChangeFeed;
  readonly #commit: GroupCommit;
  readonly #listeners = new ListenerRegistry();
  /** The journal sequence being delivered from another server, while its listeners run. */
  #delivering: number | undefined;
  #closed: Promise<void> | undefined;

  private constructor(o: ResolvedOptions, where: string, pool: pg.Pool, latest: number) {
    this.#o = o;
    this.#where = where;
    this.#pool = pool;
    const instanceId = randomUUID();
    this.#feed = new ChangeFeed(
      {
        pool,
        // Keepalive: an idle LISTEN connection would otherwise not notice a dead peer.
        client: { connectionString: o.connectionString, connectionTimeoutMillis: o.connectTimeoutMs, keepAlive: true, keepAliveInitialDelayMillis: 10_000 },
        channel: o.channel,
        instanceId,
        mode: o.changeFeed,
        pollIntervalMs: o.pollIntervalMs,
        deliver: (sequence, label, node) => {
          this.#delivering = sequence;
          try {
            this.#listeners.notify(this, label, () => node?.clone());
          } finally {
            this.#delivering = undefined;
          }
        },
      },
      latest,
    );
    this.#commit = new GroupCommit({
      pool,
      maxContentBytes: o.maxContentBytes,
      journalRetention: o.journalRetention,
      synchronousCommit: o.synchronousCommit,
      // Engines without LISTEN lack NOTIFY too: in polling mode no NOTIFY is sent.
      notify: () => (this.#feed.mode === 'listen' ? { channel: o.channel, tag: instanceId } : undefined),
      beginOwn: () => {
        const own = this.#feed.beginOwn();
        let last = 0;
        return {
          range: (from, to) => {
            last = to;
            own.range(from, to);
          },
          settle: (fired) => {
            if (fired) noteCommitted(where, last);
            own.settle(fired);
          },
        };
      },
      fire: (notices) => {
        for (const { label, state } of notices) this.#listeners.notify(this, label, () => state && nodeFromState(state));
      },
      wrap: (doing, error) => postgresError(where, doing, error),
    });
  }

  /** Connects, brings the schema up to date and starts listening for other servers' changes. */
  static async open(options: PostgresBackendOptions): Promise<PostgresBackend> {
    const o = checkOptions(options);
    const where = serverName(o.connectionString);
    const pool = new pg.Pool({ connectionString: o.connectionString, max: o.poolSize, connectionTimeoutMillis: o.connectTimeoutMs, keepAlive: true });
    // Idle connections die when the server restarts; the pool drops them and reconnects.
    pool.on('error', () => undefined);
    try {
      await migrate(pool);
      const { latest } = await readMeta(pool);
      const backend = new PostgresBackend(o, where, pool, latest);
      await backend.#feed.start();
      return backend;
    } catch (error) {
      await pool.end().catch(() => undefined);
      throw postgresError(where, 'opening', error);
    }
  }

  /** How other servers' changes arrive: 'listen' (NOTIFY) or 'poll' (journal polling). */
  get changeFeed(): 'listen' | 'poll' {
    return this.#feed.mode;
  }

  async getNode(label: string): Promise<TreeNode | undefined> {
    this.#live();
    const canonical = normalizeLabel(label);
    const { rows } = await this.#query<{ node: Buffer }>('reading a node', GET, [canonical]);
    const row = rows[0];
    return row && decodeRow(canonical, row.node);
  }

  async upsertNode(nodes: readonly TreeNode[]): Promise<boolean> {
    this.#live();
    const states = checkedStates(nodes, this.#o.maxContentBytes);
    if (states.length === 0) return true;
    return this.#commit.submit({ kind: 'upsert', states });
  }

  async deleteNode(label: string): Promise<boolean> {
    this.#live();
    return this.#commit.submit({ kind: 'delete', label: normalizeLabel(label) });
  }

  async getPageTree(label: string): Promise<TreeNode[]> {
    this.#live();
    const canonical = normalizeLabel(label);
    const page = (await this.#query<{ node: Buffer }>('reading a page', GET, [canonical])).rows[0];
    if (!page) return [];
    const labels = pageLabels(decodeState(canonical, page.node));
    if (labels.length === 0) return [];
    const rows = await this.#nodeRows('reading a page', GET_MANY, [labels]);
    const found = new Map(rows);
    const out: TreeNode[] = [];
    for (const child of labels) {
      const bytes = found.get(child);
      if (bytes) out.push(decodeRow(child, bytes));
    }
    return out;
  }

  async relativeGetPageTree(node: TreeNode, label: string): Promise<TreeNode[]> {
    return this.getPageTree(relativeLabel(node, label));
  }

  async queryNodes(rule: string): Promise<TreeNode[]> {
    this.#live();
    const parsed = parsePlainRule(rule);
    // Narrow by the literal prefix in SQL, then match the wildcards here.
    const rows =
      parsed.literalPrefix === ''
        ? await this.#nodeRows('querying nodes', ALL, [])
        : await this.#nodeRows('querying nodes', PREFIXED, [parsed.literalPrefix]);
    const out: TreeNode[] = [];
    for (const [label, node] of rows) if (parsed.matches(label)) out.push(decodeRow(label, node));
    return out;
  }

  async relativeQueryNodes(node: TreeNode, rule: string): Promise<TreeNode[]> {
    return this.queryNodes(relativeRule(node, rule));
  }

  async openTransactionLayer(_node: TreeNode): Promise<void> {
    throw unsupportedLayers('PostgresBackend');
  }

  async closeTransactionLayers(): Promise<boolean> {
    this.#live();
    return true; // No layer can be open (as in SimpleBackend), so there is nothing to apply.
  }

  async applyTransaction(tx: Transaction): Promise<boolean> {
    this.#live();
    return this.#commit.submit({ kind: 'transaction', tx });
  }

  async getFullTree(): Promise<TreeNode[]> {
    // Sorted by label, every node comes after its ancestors.
    const rows = await this.#nodeRows('reading the tree', ALL, []);
    return rows.map(([label, node]) => decodeRow(label, node));
  }

  registerNodeListener(name: string, rule: string, childNotify: boolean, callback: NodeListener): void {
    this.#live();
    // Changes committed before now are not news to this listener (see commit-horizon.ts).
    const horizon = Math.max(this.#feed.lastSeen, committedHere(this.#where));
    this.#listeners.register(name, rule, childNotify, (backend, label, node) => {
      if (this.#delivering !== undefined && this.#delivering <= horizon) return;
      callback(backend, label, node);
    });
  }

  deregisterNodeListener(name: string, rule: string): void {
    this.#listeners.deregister(name, rule);
  }

  notifyListeners(label: string, node: TreeNode | undefined): void {
    const canonical = normalizeLabel(label);
    this.#listeners.notify(this, canonical, () => node?.clone());
  }

  /** Waits for this backend's queued writes, then delivers every change other servers committed. */
  async processNotifications(): Promise<void> {
    this.#live();
    await this.#commit.idle();
    try {
      await this.#feed.catchUp();
    } catch (error) {
      throw postgresError(this.#where, 'reading the journal', error);
    }
  }

  async latestSequence(): Promise<number> {
    this.#live();
    try {
      return (await readMeta(this.#pool)).latest;
    } catch (error) {
      throw postgresError(this.#where, 'reading the journal', error);
    }
  }

  async getJournal(since: number, limit?: number): Promise<JournalAnswer> {
    this.#live();
    try {
      return await readJournal(this.#pool, since, limit);
    } catch (error) {
      throw postgresError(this.#where, 'reading the journal', error);
    }
  }

  /** The journal sequence of a node's last change, or undefined when there is no node. */
  async sequenceOf(label: string): Promise<number | undefined> {
    this.#live();
    const canonical = normalizeLabel(label);
    const { rows } = await this.#query<{ seq: string }>('reading a node', GET_SEQ, [canonical]);
    return rows[0] === undefined ? undefined : Number(rows[0].seq);
  }

  /** Lets queued writes finish, then ends the pool and the LISTEN connection. Idempotent. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      await this.#commit.idle();
      await this.#feed.close();
      await this.#pool.end();
    })();
    return this.#closed;
  }

  #live(): void {
    if (this.#closed) throw new WwatpError('CLOSED', `PostgresBackend at ${this.#where} is closed`);
  }

  async #nodeRows(doing: string, statement: Statement, values: unknown[]): Promise<NodeRow[]> {
    this.#live();
    try {
      return (await this.#pool.query<NodeRow>({ ...statement, values, rowMode: 'array' })).rows;
    } catch (error) {
      throw postgresError(this.#where, doing, error);
    }
  }

  async #query<R extends pg.QueryResultRow>(doing: string, statement: Statement, values: unknown[]): Promise<pg.QueryResult<R>> {
    this.#live();
    try {
      return await this.#pool.query<R>({ ...statement, values });
    } catch (error) {
      throw postgresError(this.#where, doing, error);
    }
  }
}
