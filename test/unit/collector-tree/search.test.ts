import t from 'tap';
import { collectionNodeFor, fresh, ids, loadBooks, recordNodeFor } from './env.js';

t.test('queryNodes with a query runs the store search, through the grammar', async (t) => {
  const { backend } = await fresh(t);
  await loadBooks(backend);
  const q = async (query: string): Promise<string[]> => ids(await backend.queryNodes(`acme/books/*?${query}`));
  const sorted = async (query: string): Promise<string[]> => (await q(query)).sort();

  t.same(await q('year>=2000&order=-year&limit=10'), ['fifthseason', 'annihilation'], 'the issue\'s example, in search order');
  t.same(await q('year>=1960&title~dune&order=-year&limit=10'), ['dunemessiah', 'dune'], '~ ignores ASCII case, as in the issue\'s example');
  t.same(await q('title~DUNE&order=year'), ['dune', 'dunemessiah']);
  t.same(await sorted('tags~spice'), ['dune', 'dunemessiah'], '~ on an array is membership');
  t.same(await sorted('genre=sf'), ['dune', 'dunemessiah', 'foundation'], '=');
  t.same(await sorted('genre==cyberpunk'), ['neuromancer', 'snowcrash'], '==');
  t.same(await sorted('genre!=sf&genre!=cyberpunk'), ['annihilation', 'fifthseason'], '!=');
  t.same(await sorted('year>1990'), ['annihilation', 'fifthseason', 'snowcrash'], '>');
  t.same(await sorted('year<1960'), ['foundation'], '<');
  t.same(await sorted('year>=2014'), ['annihilation', 'fifthseason'], '>=');
  t.same(await sorted('year<=1965'), ['dune', 'foundation'], '<=');
  t.same(await sorted('title~Crash'), ['snowcrash'], '~ contains');
  t.same(await sorted('genre=in:(weird,fantasy)'), ['annihilation', 'fifthseason'], 'in');
  t.same(await sorted('year=in:(1951,1984,1900)'), ['foundation', 'neuromancer'], 'in with numbers');
  t.same(await sorted('isbn=in:("0441013597")'), ['dune'], 'in with a quoted string');
  t.same(await sorted('!isbn'), ['annihilation', 'snowcrash'], '! not exists');
  t.equal((await q('isbn')).length, 5, 'bare field: exists');
  t.same(await sorted('author.name=Frank%20Herbert'), ['dune', 'dunemessiah'], 'dotted field, percent-decoded value');
  t.same(await sorted('author.born<1930&author.born>1900'), ['dune', 'dunemessiah', 'foundation'], 'nested numbers');
  t.same(await sorted('tags.0=spice'), ['dunemessiah'], 'an array element');
  t.same(await sorted('q=spice'), ['dune', 'dunemessiah'], 'full text');
  t.same(await sorted('q=psychohistory'), ['foundation'], 'full text, one match');
  t.same(await sorted('q=desert&genre=sf'), ['dune', 'dunemessiah'], 'full text with a filter');
  t.same(await q('order=year&limit=3'), ['foundation', 'dune', 'dunemessiah'], 'order ascending, limit');
  t.same(await q('order=year&limit=3&offset=3'), ['neuromancer', 'snowcrash', 'annihilation'], 'offset pages on');
  t.same(await q('order=author.born,-year&limit=3'), ['dunemessiah', 'dune', 'foundation'], 'two keys');
  t.same(await q('year="1965"'), [], 'a quoted number is a string and matches no number');
  t.equal((await q('')).length, 7, 'an empty query is every record');

  const hit = (await backend.queryNodes('acme/books/*?title=Dune'))[0];
  t.equal(hit?.labelRule, 'acme/books/dune', 'hits are record nodes with their labels');
  t.equal(hit?.getProperty('type'), 'json');

  // Across collections.
  await backend.upsertNode([collectionNodeFor('acme/magazines', 'json'), collectionNodeFor('other/books', 'json')]);
  await backend.upsertNode([recordNodeFor('acme/magazines/m1', { title: 'Dune Digest', year: 2001 }), recordNodeFor('other/books/o1', { title: 'Dune Atlas', year: 2010 })]);
  t.same((await backend.queryNodes('acme/*/*?title~Dune&order=year')).map((n) => n.labelRule), ['acme/books/dune', 'acme/books/dunemessiah', 'acme/magazines/m1']);
  t.same((await backend.queryNodes('*/*/*?year>2000&year<2012')).map((n) => n.labelRule).sort(), ['acme/magazines/m1', 'other/books/o1']);
  t.same((await backend.queryNodes('*/books/*?title~Atlas')).map((n) => n.labelRule), ['other/books/o1']);
  t.same(await backend.queryNodes('acme/none/*?a=1'), [], 'a missing collection has no hits');
});

t.test('bad filters and injection attempts', async (t) => {
  const { backend } = await fresh(t);
  await loadBooks(backend);
  for (const query of ['year>=', 'year>>1', '=1', 'a..b=1', 'order=-', 'limit=x', 'a=in:(1,', "title');DROP TABLE records;--=1", 'q=', 'a=1&&b=2']) {
    await t.rejects(backend.queryNodes(`acme/books/*?${query}`), { code: 'INVALID_FILTER' }, query);
  }
  for (const rule of ['acme/books?year=1', 'acme/books/dune?year=1', 'acme/**?year=1', 'acme/books/d*?year=1', 'acme/b*/*?year=1']) {
    await t.rejects(backend.queryNodes(rule), { code: 'INVALID_RULE' }, rule);
  }
  await t.rejects(backend.queryNodes('acme/books/*?q=%22unbalanced'), { code: 'INVALID_FILTER' }, 'bad FTS5 syntax');
  for (const text of ["Dune' OR '1'='1", "x'); DELETE FROM records; --", '%', '_', '*', "\\' OR 1=1"]) {
    t.same(await backend.queryNodes(`acme/books/*?title=${encodeURIComponent(text)}`), [], `no match for ${text}`);
    t.same(await backend.queryNodes(`acme/books/*?title~${encodeURIComponent(text)}`), [], `no contains-match for ${text}`);
  }
  t.equal((await backend.queryNodes('acme/books/*')).length, 7, 'every record is still there');
});
