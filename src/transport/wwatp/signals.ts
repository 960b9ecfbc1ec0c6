/**
 * WWATP signals. A request's response uses the next code up (request + 1); ERROR may
 * answer any request. Codes 0x07..0x22 follow the earlier implementation's pairing.
 */
export const Signal = {
  HEARTBEAT: 0x01,
  HEARTBEAT_RESPONSE: 0x02,
  CLOSE: 0x03,
  CLOSE_RESPONSE: 0x04,
  ERROR: 0x05,
  GET_NODE: 0x07,
  GET_NODE_RESPONSE: 0x08,
  UPSERT: 0x09,
  UPSERT_RESPONSE: 0x0a,
  DELETE: 0x0b,
  DELETE_RESPONSE: 0x0c,
  GET_PAGE_TREE: 0x0d,
  GET_PAGE_TREE_RESPONSE: 0x0e,
  QUERY_NODES: 0x0f,
  QUERY_NODES_RESPONSE: 0x10,
  OPEN_TXN: 0x11,
  OPEN_TXN_RESPONSE: 0x12,
  CLOSE_TXNS: 0x13,
  CLOSE_TXNS_RESPONSE: 0x14,
  APPLY_TXN: 0x15,
  APPLY_TXN_RESPONSE: 0x16,
  GET_FULL_TREE: 0x17,
  GET_FULL_TREE_RESPONSE: 0x18,
  REGISTER_LISTENER: 0x19,
  REGISTER_LISTENER_RESPONSE: 0x1a,
  DEREGISTER: 0x1b,
  DEREGISTER_RESPONSE: 0x1c,
  NOTIFY: 0x1d,
  NOTIFY_RESPONSE: 0x1e,
  PROCESS_NOTIFICATION: 0x1f,
  PROCESS_NOTIFICATION_RESPONSE: 0x20,
  GET_JOURNAL: 0x21,
  GET_JOURNAL_RESPONSE: 0x22,
  SUBSCRIBE: 0x23,
  /** Server → client on a subscription stream: journal entries as they happen. */
  PUSH_JOURNAL: 0x24,
  /** Server → client on a subscription stream: a registered listener fired. */
  PUSH_LISTENER: 0x26,
  /** Server → client on a subscription stream: everything before it has been pushed (answers PROCESS_NOTIFICATION's token). */
  PUSH_MARKER: 0x28,
} as const;

export type SignalName = keyof typeof Signal;
export type SignalCode = (typeof Signal)[SignalName];

const NAMES = new Map<number, SignalName>(Object.entries(Signal).map(([name, code]) => [code, name as SignalName]));

export function signalName(code: number): SignalName | undefined {
  return NAMES.get(code);
}

/** Requests a client may send (each answered by request + 1 or ERROR). */
export const REQUEST_SIGNALS: ReadonlySet<number> = new Set([
  Signal.HEARTBEAT, Signal.CLOSE, Signal.GET_NODE, Signal.UPSERT, Signal.DELETE, Signal.GET_PAGE_TREE, Signal.QUERY_NODES,
  Signal.OPEN_TXN, Signal.CLOSE_TXNS, Signal.APPLY_TXN, Signal.GET_FULL_TREE, Signal.REGISTER_LISTENER, Signal.DEREGISTER,
  Signal.NOTIFY, Signal.PROCESS_NOTIFICATION, Signal.GET_JOURNAL,
]);
