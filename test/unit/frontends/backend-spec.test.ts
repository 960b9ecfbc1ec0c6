import t from 'tap';
import { parseBackendSpec, parseMount } from '../../../src/frontends/config/backend-spec.js';

t.test('backend specs', async (t) => {
  t.same(parseBackendSpec('memory'), { kind: 'memory' });
  t.same(parseBackendSpec('sqlite:./data/tree.db'), { kind: 'sqlite', path: './data/tree.db' });
  t.same(parseBackendSpec('postgres:postgres://u@h/db'), { kind: 'postgres', url: 'postgres://u@h/db' });
  t.same(parseBackendSpec('postgresql://u@h/db'), { kind: 'postgres', url: 'postgresql://u@h/db' });
  t.same(parseBackendSpec('file:/srv/tree'), { kind: 'file', dir: '/srv/tree' });
  t.same(parseBackendSpec('wwatp://10.0.0.1:4433/'), { kind: 'remote', url: 'wwatp://10.0.0.1:4433/' });
  for (const bad of ['', 'mysql:x', 'sqlite:', 'file:']) t.throws(() => parseBackendSpec(bad), { code: 'INVALID_NODE' }, JSON.stringify(bad));
  t.same(parseMount('zoo=memory'), { label: 'zoo', spec: { kind: 'memory' } });
  t.throws(() => parseMount('=memory'), { code: 'INVALID_NODE' });
  t.throws(() => parseMount('zoo'), { code: 'INVALID_NODE' });
});
