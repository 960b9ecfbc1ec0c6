import t from 'tap';

// Imports the built package through its own name, the way an application would.
t.test('the package root exports the public API from built JavaScript', async (t) => {
  const wwatp = await import('wwatp');
  for (const name of [
    'TreeNode', 'WwatpError', 'SimpleBackend', 'TransactionalBackend', 'ThreadsafeBackend', 'CompositeBackend', 'RedirectedBackend',
    'parseLabelRule', 'normalizeLabel', 'incrementVersion', 'compareVersionNumbers', 'encodePage', 'decodePage', 'encodeNodeCbor',
    'decodeNodeCbor', 'treeToYaml', 'yamlToTree', 'SqliteBackend', 'PostgresBackend', 'FileBackend', 'YamlMediator',
    'startServer', 'connect', 'Http3ClientBackend', 'connectWebSocket',
  ]) {
    t.type((wwatp as Record<string, unknown>)[name], 'function', name);
  }
  const backend = new wwatp.SimpleBackend();
  const node = new wwatp.TreeNode({ labelRule: 'hello', description: 'world' });
  await backend.upsertNode([node]);
  t.equal((await backend.getNode('hello'))?.description, 'world');
});

t.test('startServer and connect from the package root talk over QUIC', async (t) => {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const wwatp = await import('wwatp');
  const certsDir = mkdtempSync(join(tmpdir(), 'wwatp-root-'));
  t.teardown(() => rmSync(certsDir, { recursive: true, force: true }));
  const server = await wwatp.startServer({ backend: new wwatp.SimpleBackend(), port: 0, certsDir });
  t.teardown(() => server.close());
  const client = await wwatp.connect(server.url, { certificateHash: server.certificateHash });
  t.teardown(() => client.close());
  t.ok(client instanceof wwatp.Http3ClientBackend);
  await client.upsertNode([new wwatp.TreeNode({ labelRule: 'root/api', description: 'works' })]);
  t.equal((await client.getNode('root/api'))?.description, 'works');
});
