import { connect } from '../../client/connect.js';
import type { Http3ClientBackend } from '../../../backends/http3-client/http3-client-backend.js';
import { connectOptions } from '../client-options.js';
import { UsageError } from '../exit-codes.js';

/** Connects to the server named by the first positional argument, runs `work`, closes. */
export async function withClient<T>(positionals: string[], values: { hash?: unknown; ca?: unknown; insecure?: unknown }, work: (client: Http3ClientBackend, rest: string[]) => Promise<T>): Promise<T> {
  const [url, ...rest] = positionals;
  if (!url) throw new UsageError('missing the server URL (wwatp://host:port/)');
  const client = await connect(url, connectOptions(values));
  try {
    return await work(client, rest);
  } finally {
    await client.close();
  }
}
