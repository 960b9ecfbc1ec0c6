import t, { type Test } from 'tap';
import type { CollectionStore, JsonObject, SearchQuery } from '../../../src/collector/index.js';
import { openCollector } from './env.js';

const BOOKS: Record<string, JsonObject> = {
  dune: { title: 'Dune', year: 1965, rating: 4.5, tags: ['scifi', 'classic'], author: { name: 'Frank Herbert', born: 1920 }, inPrint: true, blurb: 'Spice and sand on Arrakis' },
  neuromancer: { title: 'Neuromancer', year: 1984, rating: 4.1, tags: ['scifi', 'cyberpunk'], author: { name: 'William Gibson', born: 1948 }, inPrint: true, blurb: 'Cyberspace cowboys' },
  hobbit: { title: 'The Hobbit', year: 1937, rating: 4.7, tags: ['fantasy', 'classic'], author: { name: 'J. R. R. Tolkien', born: 1892 }, inPrint: false, blurb: 'There and back again' },
  snow: { title: 'Snow Crash', year: 1992, tags: ['scifi', 'cyberpunk', 'satire'], author: { name: 'Neal Stephenson' }, blurb: 'Pizza delivery and sand-sized viruses' },
  strings: { title: "O'Brien's \"quoted\" book; drop table records;--", year: '1999', tags: [], author: null },
  mixed: { title: 'Numbers', year: 2001.5, tags: [1, 2, 3], extra: { deep: { er: [10, 20] } } },
};

async function setup(t: Test): Promise<CollectionStore> {
  const { collector } = await openCollector(t);
  await collector.repo.createCollection({ namespace: 'lib', name: 'books', messageType: 'json', indexedFields: ['year', 'author.name'] });
  const store = (await collector.repo.collection('lib', 'books')) as CollectionStore;
  await Promise.all(Object.entries(BOOKS).map(([id, json]) => store.create({ id, json })));
  return store;
}

async function ids(store: CollectionStore, query: SearchQuery): Promise<string[]> {
  return (await store.search(query)).map((h) => h.record.id);
}

const f = (field: string, operator: string, value?: unknown): SearchQuery => ({ filters: [{ field, operator, value } as never] });

t.test('every operator, typed as JSON types are', async (t) => {
  const s = await setup(t);
  t.same(await ids(s, f('year', 'EQUALS', 1965)), ['dune']);
  t.same(await ids(s, f('year', 'EQUALS', '1999')), ['strings'], 'a string equals only a string');
  t.same(await ids(s, f('year', 'NOT_EQUALS', 1965)), ['hobbit', 'mixed', 'neuromancer', 'snow', 'strings']);
  t.same(await ids(s, f('year', 'GREATER_THAN', 1965)), ['mixed', 'neuromancer', 'snow'], 'numbers compare as numbers; the string 1999 is left out');
  t.same(await ids(s, f('year', 'GREATER_EQUAL', 1965)), ['dune', 'mixed', 'neuromancer', 'snow']);
  t.same(await ids(s, f('year', 'LESS_THAN', 1965)), ['hobbit']);
  t.same(await ids(s, f('year', 'LESS_EQUAL', 1965)), ['dune', 'hobbit']);
  t.same(await ids(s, f('title', 'GREATER_THAN', 'S')), ['hobbit', 'snow'], 'strings compare as strings');
  t.same(await ids(s, f('year', 'GREATER_THAN', '1000')), ['strings']);
  t.same(await ids(s, f('inPrint', 'EQUALS', true)), ['dune', 'neuromancer']);
  t.same(await ids(s, f('inPrint', 'EQUALS', false)), ['hobbit']);
  t.same(await ids(s, f('author', 'EQUALS', null)), ['strings']);
  t.same(await ids(s, f('rating', 'EXISTS')), ['dune', 'hobbit', 'neuromancer']);
  t.same(await ids(s, f('rating', 'NOT_EXISTS')), ['mixed', 'snow', 'strings']);
  t.same(await ids(s, f('author', 'EXISTS')), ['dune', 'hobbit', 'neuromancer', 'snow', 'strings'], 'an explicit null exists');
  t.same(await ids(s, f('year', 'EQUALS', 2001.5)), ['mixed']);
});

t.test('nested fields and array elements', async (t) => {
  const s = await setup(t);
  t.same(await ids(s, f('author.name', 'EQUALS', 'William Gibson')), ['neuromancer']);
  t.same(await ids(s, f('author.born', 'LESS_THAN', 1930)), ['dune', 'hobbit']);
  t.same(await ids(s, f('author.born', 'NOT_EXISTS')), ['mixed', 'snow', 'strings']);
  t.same(await ids(s, f('tags.0', 'EQUALS', 'fantasy')), ['hobbit'], 'numeric segments index arrays');
  t.same(await ids(s, f('extra.deep.er.1', 'EQUALS', 20)), ['mixed']);
  t.same(await ids(s, f('extra.deep', 'EQUALS', { er: [10, 20] })), ['mixed'], 'objects compare as JSON');
});

t.test('IN takes an array and matches any of its values', async (t) => {
  const s = await setup(t);
  t.same(await ids(s, f('year', 'IN', [1965, 1992, 1234])), ['dune', 'snow']);
  t.same(await ids(s, f('author.name', 'IN', ['Frank Herbert', 'Neal Stephenson'])), ['dune', 'snow']);
  t.same(await ids(s, f('year', 'IN', [1937, '1999'])), ['hobbit', 'strings'], 'mixed types, each compared as its own type');
  t.same(await ids(s, f('inPrint', 'IN', [false, null])), ['hobbit']);
  t.same(await ids(s, f('year', 'IN', [])), [], 'an empty list matches nothing');
  await t.rejects(s.search(f('year', 'IN', 1965)), { code: 'INVALID_FILTER' });
  await t.rejects(s.search(f('year', 'IN', '1965,1992')), { code: 'INVALID_FILTER' });
});

t.test('CONTAINS: substring of strings, membership of arrays', async (t) => {
  const s = await setup(t);
  t.same(await ids(s, f('title', 'CONTAINS', 'Crash')), ['snow']);
  t.same(await ids(s, f('title', 'CONTAINS', 'crash')), ['snow'], 'ASCII case does not matter');
  t.same(await ids(s, f('tags', 'CONTAINS', 'CYBERPUNK')), [], 'array membership is exact');
  t.same(await ids(s, f('title', 'CONTAINS', '%')), [], 'no LIKE wildcards');
  t.same(await ids(s, f('title', 'CONTAINS', "O'Brien")), ['strings'], 'quotes are plain characters');
  t.same(await ids(s, f('tags', 'CONTAINS', 'cyberpunk')), ['neuromancer', 'snow']);
  t.same(await ids(s, f('tags', 'CONTAINS', 'cyber')), [], 'array membership is whole elements');
  t.same(await ids(s, f('tags', 'CONTAINS', 2)), ['mixed']);
  t.same(await ids(s, f('tags', 'CONTAINS', '2')), [], 'the number 2 is not the string "2"');
});

t.test('full text with bm25 scores, combined with filters', async (t) => {
  const s = await setup(t);
  const hits = await s.search({ fullText: 'sand' });
  t.same(hits.map((h) => h.record.id).sort(), ['dune', 'snow']);
  t.ok(hits.every((h) => typeof h.score === 'number'), 'each hit has a score');
  t.ok((hits[0]?.score ?? 0) <= (hits[1]?.score ?? 0), 'best (lowest bm25) first');
  t.same(await ids(s, { fullText: 'sand', filters: [{ field: 'year', operator: 'GREATER_THAN', value: 1970 }] }), ['snow']);
  t.same(await ids(s, { fullText: 'tolkien' }), ['hobbit'], 'nested strings are indexed, case-folded');
  t.same(await ids(s, { fullText: 'cybersp*' }), ['neuromancer'], 'FTS5 prefix queries');
  t.same(await ids(s, { fullText: '"there and back"' }), ['hobbit'], 'phrases');
  await t.rejects(s.search({ fullText: 'AND OR (' }), { code: 'INVALID_FILTER' });
  await t.rejects(s.search({ fullText: '"unterminated' }), { code: 'INVALID_FILTER' });
  // Full text follows updates and deletes.
  await s.update({ id: 'dune', json: { title: 'Dune', blurb: 'desert planet' } });
  t.same(await ids(s, { fullText: 'sand' }), ['snow']);
  t.same(await ids(s, { fullText: 'desert' }), ['dune']);
  await s.delete('dune');
  t.same(await ids(s, { fullText: 'desert' }), []);
});

t.test('order by several fields, limit and offset paging', async (t) => {
  const s = await setup(t);
  t.same(await ids(s, { orderBy: [{ field: 'year', ascending: false }] }), ['strings', 'mixed', 'snow', 'neuromancer', 'dune', 'hobbit'], 'text sorts after numbers in SQLite order');
  t.same(await ids(s, { filters: [{ field: 'year', operator: 'LESS_THAN', value: 3000 }], orderBy: [{ field: 'year', ascending: true }] }), ['hobbit', 'dune', 'neuromancer', 'snow', 'mixed']);
  t.same(await ids(s, { orderBy: [{ field: 'author.born', ascending: false }, { field: 'title', ascending: true }] }), ['neuromancer', 'dune', 'hobbit', 'mixed', 'strings', 'snow'], 'absent values (NULL) last descending, ties broken by the next field');
  const pages: string[] = [];
  for (let offset = 0; offset < 6; offset += 2) pages.push(...(await ids(s, { limit: 2, offset })));
  t.same(pages, ['dune', 'hobbit', 'mixed', 'neuromancer', 'snow', 'strings'], 'pages in id order, none repeated');
  t.same(await ids(s, { limit: 2, offset: 6 }), []);
  await t.rejects(s.search({ limit: 10_001 }), { code: 'INVALID_FILTER' });
  await t.rejects(s.search({ limit: -1 }), { code: 'INVALID_FILTER' });
  await t.rejects(s.search({ offset: 1.5 }), { code: 'INVALID_FILTER' });
});

t.test('the default limit is 100', async (t) => {
  const { collector } = await openCollector(t);
  await collector.repo.createCollection({ namespace: 'lib', name: 'many', messageType: 'json' });
  const s = (await collector.repo.collection('lib', 'many')) as CollectionStore;
  await Promise.all(Array.from({ length: 150 }, (_, i) => s.create({ id: `r${String(i).padStart(3, '0')}`, json: { i } })));
  t.equal((await s.search({})).length, 100);
  t.equal((await s.search({ limit: 0 })).length, 100, 'limit 0 means the default, as in protobuf');
  t.equal((await s.search({ limit: 150 })).length, 150);
});

t.test('bad filters are refused, naming the problem', async (t) => {
  const s = await setup(t);
  const bad: Array<[SearchQuery, RegExp]> = [
    [f('year', 'LIKE', 1), /unknown operator "LIKE"/],
    [f('year', 'equals', 1), /unknown operator "equals"/],
    [f('', 'EQUALS', 1), /field "" is not a field name/],
    [f('a..b', 'EQUALS', 1), /field "a\.\.b"/],
    [f('year', 'GREATER_THAN', true), /compares a number or a string/],
    [f('year', 'GREATER_THAN', { a: 1 }), /compares a number or a string/],
    [f('year', 'EQUALS'), /needs a value/],
    [f('year', 'EQUALS', Number.NaN), /not a finite number/],
    [{ orderBy: [{ field: 'year desc', ascending: true }] }, /field "year desc"/],
    [{ filters: 'year=1' as never }, /filters must be an array/],
  ];
  for (const [query, message] of bad) {
    const error = await s.search(query).then(
      () => undefined,
      (e: unknown) => e as { code: string; message: string },
    );
    t.equal(error?.code, 'INVALID_FILTER', JSON.stringify(query));
    t.match(error?.message, message);
  }
});

t.test('injection attempts reach SQL only as checked names or bound values', async (t) => {
  const s = await setup(t);
  const attacks = [
    "a'); drop table records;--",
    'year) OR 1=1 --',
    "year' OR '1'='1",
    'json_extract(json, "$.year")',
    'year;DELETE FROM records',
    'a"b',
    '$.year',
    'year[0]',
    'year\n',
  ];
  for (const field of attacks) {
    await t.rejects(s.search(f(field, 'EQUALS', 1)), { code: 'INVALID_FILTER' }, `filter field ${JSON.stringify(field)}`);
    await t.rejects(s.search({ orderBy: [{ field, ascending: true }] }), { code: 'INVALID_FILTER' }, `order field ${JSON.stringify(field)}`);
  }
  // Hostile values are just values.
  t.same(await ids(s, f('title', 'EQUALS', "' OR 1=1 --")), []);
  t.same(await ids(s, f('title', 'EQUALS', BOOKS.strings?.title)), ['strings'], 'a value full of quotes and SQL matches itself');
  t.same(await ids(s, f('title', 'IN', ["x') OR 1=1 --", "'; DROP TABLE records; --"])), []);
  t.same(await ids(s, { fullText: '"drop table records"' }), ['strings']);
  t.equal(await s.count(), 6, 'every record is still there');
  t.equal((await s.list({})).length, 6);
});

t.test('indexed fields are used by the query planner', async (t) => {
  const s = await setup(t);
  t.match(s.explain(f('year', 'EQUALS', 1965)).join('\n'), /USING INDEX ix:year/);
  t.match(s.explain(f('author.name', 'IN', ['a', 'b'])).join('\n'), /USING INDEX ix:author\.name/);
});
