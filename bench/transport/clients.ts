/**
 * The operations every workload runs, one face per protocol: wwatp's own client
 * (connect(), a Backend over QUIC + HTTP/3) and the HTTP/2 peer (h2-peer.ts).
 */
import { connect } from '../../src/frontends/client/connect.js';
import type { Http3ClientBackend } from '../../src/backends/http3-client/http3-client-backend.js';
import type { TreeNode } from '../../src/tree/tree-node.js';

export type NodeCallback = (label: string, node: TreeNode | undefined) => void;

export interface BenchClient {
  readonly name: string;
  /** The node at `label`, decoded into a TreeNode. */
  get(label: string): Promise<TreeNode | undefined>;
  /** Writes `node`; resolves when the server has acknowledged it. */
  put(node: TreeNode): Promise<void>;
  /** Calls `onChange` for every write to `label`; resolves once the server has the watch. */
  watch(label: string, onChange: NodeCallback): Promise<void>;
  close(): Promise<void>;
}

/** wwatp's client with its cache disabled, so every get goes to the server. */
export class WwatpClient implements BenchClient {
  readonly name = 'wwatp';
  #watches = 0;

  private constructor(readonly backend: Http3ClientBackend) {}

  static async open(url: string, certificateHash: string, maxContentBytes: number): Promise<WwatpClient> {
    return new WwatpClient(await connect(url, { certificateHash, cacheSize: 0, maxContentBytes, reconnect: false }));
  }

  get(label: string): Promise<TreeNode | undefined> {
    return this.backend.getNode(label);
  }

  async put(node: TreeNode): Promise<void> {
    if (!(await this.backend.upsertNode([node]))) throw new Error(`upsert of ${node.labelRule} refused`);
  }

  async watch(label: string, onChange: NodeCallback): Promise<void> {
    this.backend.registerNodeListener(`bench${++this.#watches}`, label, false, (_b, l, node) => onChange(l, node));
    // The registration travels in the same batch, ahead of this: once answered, it is in place.
    await this.backend.processNotifications();
  }

  close(): Promise<void> {
    return this.backend.close();
  }
}
