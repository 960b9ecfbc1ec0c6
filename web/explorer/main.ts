/**
 * The explorer page's entry point (bundled to web/dist/explorer.js): connects with the
 * browser client library (WebTransport, or the WebSocket tunnel when `?transport=
 * websocket` or when WebTransport cannot be used), then starts the app.
 */
import { connectBrowser, type BrowserConnection } from '../client/index.js';
import { ExplorerApp } from './app.js';
import { h, required } from './dom.js';
import { describeError, showError } from './errors.js';
import { transportFromSearch } from './location.js';
import { StatusBar } from './status.js';

async function start(): Promise<void> {
  const status = new StatusBar();
  const problem = required<HTMLElement>('#app-error');
  status.setState('connecting');
  // Filled once connected; the state callback may run before (the first 'connected').
  const started: { app?: ExplorerApp } = {};
  let everConnected = false;
  let connection: BrowserConnection;
  try {
    connection = await connectBrowser({
      transport: transportFromSearch(location.search),
      onState: (state, detail) => {
        if (detail.transport) status.setTransport(detail.transport);
        status.setState(state, state === 'closed' && detail.error !== undefined ? describeError(detail.error).message : undefined);
        // Pushes missed while disconnected are not replayed to listeners: look again.
        if (state === 'connected' && everConnected) void started.app?.resync();
        if (state === 'connected') everConnected = true;
      },
    });
  } catch (error) {
    status.setState('closed', describeError(error).code);
    showError(problem, error);
    problem.append(' ', h('button', { type: 'button', onclick: () => location.reload() }, 'Retry'));
    required<HTMLElement>('#inspector').replaceChildren(h('p', { className: 'muted' }, 'Not connected.'));
    return;
  }
  status.setTransport(connection.transport);
  if (connection.fallbackReason) required<HTMLElement>('#status-transport').title = connection.fallbackReason;
  window.addEventListener('pagehide', () => void connection.close());
  started.app = new ExplorerApp(connection.backend, status);
  await started.app.start();
}

void start().catch((error: unknown) => {
  console.error('explorer failed to start', error);
  const problem = document.querySelector<HTMLElement>('#app-error');
  if (problem) showError(problem, error);
});
