/**
 * The status bar: connection state and transport, also on <body> as `data-state` and
 * `data-transport` (for tests and for CSS that dims the page while reconnecting), and
 * the last change seen live.
 */
import { required } from './dom.js';

export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'closed';
export type TransportName = 'webtransport' | 'websocket';

const STATE_TEXT: Record<ConnectionState, string> = {
  connecting: 'Connecting…',
  connected: 'Connected',
  reconnecting: 'Reconnecting…',
  closed: 'Closed',
};

const TRANSPORT_TEXT: Record<TransportName, string> = {
  webtransport: 'WebTransport (HTTP/3)',
  websocket: 'WebSocket (TCP fallback)',
};

export class StatusBar {
  readonly #state = required<HTMLElement>('#status-state');
  readonly #transport = required<HTMLElement>('#status-transport');
  readonly #last = required<HTMLElement>('#status-last');
  #changes = 0;

  setState(state: ConnectionState, detail?: string): void {
    document.body.dataset['state'] = state;
    this.#state.textContent = detail ? `${STATE_TEXT[state]} — ${detail}` : STATE_TEXT[state];
    this.#state.dataset['state'] = state;
  }

  setTransport(transport: TransportName): void {
    document.body.dataset['transport'] = transport;
    this.#transport.textContent = TRANSPORT_TEXT[transport];
    this.#transport.title = transport === 'websocket' ? 'WebTransport is unavailable or was turned off (?transport=websocket)' : 'WWATP over WebTransport streams';
  }

  noteChange(label: string, deleted: boolean): void {
    this.#changes += 1;
    const time = new Date().toLocaleTimeString();
    this.#last.textContent = `${this.#changes} live ${this.#changes === 1 ? 'change' : 'changes'}; last: ${label}${deleted ? ' (deleted)' : ''} at ${time}`;
  }
}
