import t from 'tap';

// Imports the built package through its own name, the way an application would.
t.test('the package root exports the public API from built JavaScript', async (t) => {
  const wwatp = await import('wwatp');
  for (const name of [
    'TreeNode', 'WwatpError', 'SimpleBackend', 'TransactionalBackend', 'ThreadsafeBackend', 'CompositeBackend', 'RedirectedBackend',
    'parseLabelRule', 'normalizeLabel', 'incrementVersion', 'compareVersionNumbers', 'encodePage', 'decodePage', 'encodeNodeCbor',
    'decodeNodeCbor', 'treeToYaml', 'yamlToTree',
  ]) {
    t.type((wwatp as Record<string, unknown>)[name], 'function', name);
  }
  const backend = new wwatp.SimpleBackend();
  const node = new wwatp.TreeNode({ labelRule: 'hello', description: 'world' });
  await backend.upsertNode([node]);
  t.equal((await backend.getNode('hello'))?.description, 'world');
});
