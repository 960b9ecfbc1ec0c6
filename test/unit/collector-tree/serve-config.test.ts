import t from 'tap';
import { parseServerConfig } from '../../../src/frontends/config/server-config.js';

t.test('wwatp.yaml: data and collector keys', async (t) => {
  t.same(parseServerConfig('').backend, { kind: 'sqlite', path: './data/tree.db' });
  t.equal(parseServerConfig('').collector, undefined, 'absent: the collector goes in DATA/collector');
  const withData = parseServerConfig('data: /srv/w\n');
  t.equal(withData.dataDir, '/srv/w');
  t.same(withData.backend, { kind: 'sqlite', path: '/srv/w/tree.db' }, 'the tree follows the data directory');
  t.same(parseServerConfig('data: /srv/w\nbackend: memory\n').backend, { kind: 'memory' });
  t.equal(parseServerConfig('collector: off\n').collector, '', 'off turns it off');
  t.equal(parseServerConfig('collector: false\n').collector, '');
  t.equal(parseServerConfig('collector: /fast/c\n').collector, '/fast/c');
  t.throws(() => parseServerConfig('collector: 3\n'), { code: 'MALFORMED' });
  t.throws(() => parseServerConfig('colector: off\n'), { code: 'MALFORMED', message: /unknown key/ });
});
