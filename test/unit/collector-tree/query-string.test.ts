import t from 'tap';
import { parseQueryString, typedValue, MAX_QUERY_TERMS } from '../../../src/collector/tree/query-string.js';

t.test('filters, one per operator', async (t) => {
  t.same(parseQueryString('year=2000'), { filters: [{ field: 'year', operator: 'EQUALS', value: 2000 }] });
  t.same(parseQueryString('year==2000'), { filters: [{ field: 'year', operator: 'EQUALS', value: 2000 }] });
  t.same(parseQueryString('year!=2000'), { filters: [{ field: 'year', operator: 'NOT_EQUALS', value: 2000 }] });
  t.same(parseQueryString('year>2000'), { filters: [{ field: 'year', operator: 'GREATER_THAN', value: 2000 }] });
  t.same(parseQueryString('year<2000'), { filters: [{ field: 'year', operator: 'LESS_THAN', value: 2000 }] });
  t.same(parseQueryString('year>=2000'), { filters: [{ field: 'year', operator: 'GREATER_EQUAL', value: 2000 }] });
  t.same(parseQueryString('year<=2000'), { filters: [{ field: 'year', operator: 'LESS_EQUAL', value: 2000 }] });
  t.same(parseQueryString('title~dune'), { filters: [{ field: 'title', operator: 'CONTAINS', value: 'dune' }] });
  t.same(parseQueryString('genre=in:(sf,fantasy,"1984")'), { filters: [{ field: 'genre', operator: 'IN', value: ['sf', 'fantasy', '1984'] }] });
  t.same(parseQueryString('year=in:(1965,1984)'), { filters: [{ field: 'year', operator: 'IN', value: [1965, 1984] }] });
  t.same(parseQueryString('isbn'), { filters: [{ field: 'isbn', operator: 'EXISTS' }] });
  t.same(parseQueryString('!isbn'), { filters: [{ field: 'isbn', operator: 'NOT_EXISTS' }] });
});

t.test('the full example, dotted fields and the reserved words', async (t) => {
  t.same(parseQueryString('year>=2000&title~dune&order=-year&limit=10'), {
    filters: [
      { field: 'year', operator: 'GREATER_EQUAL', value: 2000 },
      { field: 'title', operator: 'CONTAINS', value: 'dune' },
    ],
    orderBy: [{ field: 'year', ascending: false }],
    limit: 10,
  });
  t.same(parseQueryString('author.name=Herbert&author.born.year<1930'), {
    filters: [
      { field: 'author.name', operator: 'EQUALS', value: 'Herbert' },
      { field: 'author.born.year', operator: 'LESS_THAN', value: 1930 },
    ],
  });
  t.same(parseQueryString('q=spice%20melange&offset=20&limit=5&order=author.name,-year,+title'), {
    fullText: 'spice melange',
    offset: 20,
    limit: 5,
    orderBy: [
      { field: 'author.name', ascending: true },
      { field: 'year', ascending: false },
      { field: 'title', ascending: true },
    ],
  });
  t.same(parseQueryString('limit==5'), { filters: [{ field: 'limit', operator: 'EQUALS', value: 5 }] }, '== reaches a field named limit');
  t.same(parseQueryString('q==x'), { filters: [{ field: 'q', operator: 'EQUALS', value: 'x' }] });
  t.same(parseQueryString(''), {});
  t.same(parseQueryString('tags.0=a'), { filters: [{ field: 'tags.0', operator: 'EQUALS', value: 'a' }] });
});

t.test('values are percent-decoded, then typed by content', async (t) => {
  const v = (q: string): unknown => parseQueryString(`f=${q}`).filters?.[0]?.value;
  t.equal(v('2000'), 2000);
  t.equal(v('-1.5e3'), -1500);
  t.equal(v('"2000"'), '2000', 'quoted numbers stay strings');
  t.equal(v('%222000%22'), '2000', 'percent-encoded quotes too');
  t.equal(v('true'), true);
  t.equal(v('false'), false);
  t.equal(v('null'), null);
  t.equal(v('"true"'), 'true');
  t.equal(v('007'), '007', 'not a JSON number, so text');
  t.equal(v('a%26b%3Dc'), 'a&b=c', '& and = arrive encoded');
  t.equal(v('caf%C3%A9'), 'café');
  t.equal(v(''), '', 'equals the empty string');
  t.equal(v('"say \\"hi\\""'), 'say "hi"');
  t.equal(v('in%3A(a)'), 'in:(a)', 'an encoded in: is plain text');
  t.equal(v('"in:(a,b)"'), 'in:(a,b)', 'a quoted in: is plain text');
  t.equal(v('%3Etag'), '>tag', 'an encoded leading operator character is text');
  t.equal(v('">tag"'), '>tag');
  t.same(parseQueryString('f=in:("a,b",c%2Cd,%22e,f%22)').filters?.[0]?.value, ['a,b', 'c,d', 'e,f'], 'commas inside quotes or encoded');
  t.equal(typedValue('12'), 12);
});

t.test('injection-looking text is only ever a value', async (t) => {
  const cases = [
    "x'; DROP TABLE records; --",
    '1 OR 1=1',
    "') OR json_extract(json, '$.a') --",
    '$.a',
    '*',
    '%',
    '_',
  ];
  for (const text of cases) {
    const parsed = parseQueryString(`title=${encodeURIComponent(text)}`);
    t.same(parsed.filters, [{ field: 'title', operator: 'EQUALS', value: text }], text);
  }
  t.same(parseQueryString("title~a'b").filters, [{ field: 'title', operator: 'CONTAINS', value: "a'b" }]);
});

t.test('malformed queries are INVALID_FILTER, saying what and where', async (t) => {
  const badQueries: Array<[string, RegExp]> = [
    ['year>=', /needs a value/],
    ['=5', /field name is missing/],
    ['&a=1', /empty term/],
    ['a=1&', /empty term/],
    ['a=1&&b=2', /character 5: empty term/],
    ['a..b=1', /not a field name/],
    ['.a=1', /not a field name/],
    ['a.=1', /not a field name/],
    ["title');DROP TABLE x;--=1", /not allowed here/],
    ['json_extract(json)=1', /not allowed here/],
    ['a b=1', /not allowed here/],
    ['ti%74le=x', /not allowed here/],
    ['!a=1', /only before a bare field/],
    ['!', /field name is missing/],
    ['a=%E0%A4%A', /percent-encoding/],
    ['a="unterminated', /no closing quote/],
    ['a="bad \\q escape"', /not a valid quoted string/],
    ['a=in:(1,2', /must end with/],
    ['a=in:()', /at least one value/],
    ['a=in:(1,,2)', /empty item/],
    ['a=in:("x,y)', /no closing quote/],
    ['limit=-1', /whole number/],
    ['limit=ten', /whole number/],
    ['limit=1000001', /at most/],
    ['limit=1&limit=2', /given twice/],
    ['offset=1.5', /whole number/],
    ['order=', /at least one field/],
    ['order=-', /field name is missing/],
    ['order=a;b', /not a field name/],
    ['order=a&order=b', /given twice/],
    ['q=', /needs text/],
    ['q=a&q=b', /given twice/],
    ['a~true', /text or a number/],
    ['a>1e999', /out of the range/],
    ['a?b', /not allowed here/],
    ['year>>1', /mistyped operator/],
    ['year=>1', /mistyped operator/],
    ['year===1', /mistyped operator/],
    ['year!==1', /mistyped operator/],
  ];
  for (const [query, message] of badQueries) {
    t.throws(() => parseQueryString(query), { code: 'INVALID_FILTER', message }, query);
  }
  t.throws(() => parseQueryString(Array.from({ length: MAX_QUERY_TERMS + 1 }, (_, i) => `f${i}`).join('&')), { code: 'INVALID_FILTER', message: /at most/ });
});

t.test('field names follow the store: no leading digit, numeric segments index arrays', async (t) => {
  t.throws(() => parseQueryString('1a=1'), { code: 'INVALID_FILTER', message: /not a field name/ });
  t.same(parseQueryString('a.12.b=1').filters?.[0]?.field, 'a.12.b');
});
