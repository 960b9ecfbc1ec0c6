import t from 'tap';
import { status } from '@grpc/grpc-js';
import { ERROR_CODES, WwatpError } from '../../../src/tree/errors.js';
import {
  applyMask,
  collectionFromProto,
  collectionToProto,
  offsetOfToken,
  pageToken,
  recordInputFromAny,
  recordToAny,
  searchQueryFromRequest,
  searchQueryFromStruct,
  typeNameOfUrl,
} from '../../../src/frontends/grpc/convert.js';
import { loadCollectorRoot } from '../../../src/frontends/grpc/proto.js';
import { errorStatus, grpcCodeFor, statusCodeName } from '../../../src/frontends/grpc/status.js';
import { WellKnown } from '../../../src/frontends/grpc/well-known.js';

const wk = new WellKnown(loadCollectorRoot());

t.test('Struct and Value round trip JSON', async (t) => {
  const json = { a: 1, b: 'x', c: true, d: null, e: [1, 'two', { f: false }], g: { h: { i: -2.5 } } };
  t.same(wk.decodeStruct(wk.encodeStruct(json)), json);
  t.same(wk.structToJson(undefined), {});
  t.same(wk.valueToJson({}), null, 'an empty Value reads as null');
  t.throws(() => wk.valueToJson('nope'), { code: 'MALFORMED' });
  t.throws(() => wk.decodeStruct(Uint8Array.of(0x0a, 0xff)), { code: 'MALFORMED' });
});

t.test('Collection messages and CollectionInfo', async (t) => {
  const info = {
    namespace: 'acme',
    name: 'books',
    messageType: 'shop.Book',
    indexedFields: ['year'],
    labels: { team: 'lit' },
    serverEndpoint: '',
    recordCount: 3,
    createdAt: 1_700_000_000_123,
    updatedAt: 1_700_000_001_000,
    version: 2,
  };
  const proto = collectionToProto(info);
  t.match(proto, {
    namespace: 'acme',
    name: 'books',
    message_type: { namespace: 'acme', message_name: 'shop.Book' },
    metadata: { created_at: { seconds: 1_700_000_000, nanos: 123_000_000 }, labels: { team: 'lit' } },
  });
  t.same(collectionFromProto(proto), { namespace: 'acme', name: 'books', messageType: 'shop.Book', indexedFields: ['year'], labels: { team: 'lit' }, serverEndpoint: '' });
  t.equal(collectionFromProto({ namespace: 'a', name: 'b' }).messageType, 'json', 'no type means schemaless');
  t.throws(() => collectionFromProto({ namespace: 7 }), { code: 'MALFORMED' });
});

t.test('Any items become record inputs and back', async (t) => {
  t.equal(typeNameOfUrl('type.googleapis.com/shop.Book'), 'shop.Book');
  t.equal(typeNameOfUrl('shop.Book'), 'shop.Book');
  const bytes = Uint8Array.of(8, 1);
  t.same(recordInputFromAny({ type_url: 'type.googleapis.com/shop.Book', value: bytes }, 'r1', 'shop.Book', wk), { id: 'r1', protoData: bytes });
  t.same(recordInputFromAny({ value: bytes }, 'r1', 'shop.Book', wk), { id: 'r1', protoData: bytes }, 'no type_url: the collection type');
  t.throws(() => recordInputFromAny({ type_url: 'x/shop.Author', value: bytes }, 'r1', 'shop.Book', wk), { code: 'TYPE_MISMATCH' });
  t.throws(() => recordInputFromAny(undefined, 'r1', 'shop.Book', wk), { code: 'MALFORMED' });
  const struct = { type_url: 'type.googleapis.com/google.protobuf.Struct', value: wk.encodeStruct({ title: 'Dune' }) };
  t.same(recordInputFromAny(struct, 'r1', 'shop.Book', wk), { id: 'r1', json: { title: 'Dune' } });
  t.same(recordInputFromAny({ value: Buffer.from('{"a":1}') }, 'n', 'json', wk), { id: 'n', json: { a: 1 } });
  t.throws(() => recordInputFromAny({ value: Buffer.from('[1]') }, 'n', 'json', wk), { code: 'TYPE_MISMATCH' });
  t.throws(() => recordInputFromAny({ value: Buffer.from('{') }, 'n', 'json', wk), { code: 'TYPE_MISMATCH' });

  const record = { id: 'n', type: 'json', json: { a: [1] }, protoData: new Uint8Array(), dataUri: '', version: 1, createdAt: 0, updatedAt: 0 };
  const any = recordToAny(record, wk);
  t.equal(any.type_url, 'type.googleapis.com/google.protobuf.Struct');
  t.same(wk.decodeStruct(any.value as Uint8Array), { a: [1] });
  t.same(recordToAny({ ...record, type: 'shop.Book', protoData: bytes }, wk), { type_url: 'type.googleapis.com/shop.Book', value: bytes });
});

t.test('update masks copy dotted paths', async (t) => {
  const target = { title: 'Dune', year: 1965, author: { name: 'Frank', born: 1920 }, price: 9 };
  const source = { title: 'X', year: 1966, author: { name: 'F.' } };
  t.same(applyMask(target, source, ['year', 'author.name']), { title: 'Dune', year: 1966, author: { name: 'F.', born: 1920 }, price: 9 });
  t.same(applyMask(target, source, ['price']), { title: 'Dune', year: 1965, author: { name: 'Frank', born: 1920 } }, 'absent in source: removed');
  t.same(applyMask({}, { a: { b: 1 } }, ['a.b']), { a: { b: 1 } });
  t.same(target.year, 1965, 'target untouched');
  t.throws(() => applyMask(target, source, ['a..b']), { code: 'MALFORMED' });
});

t.test('SearchRequest as a SearchQuery', async (t) => {
  const q = searchQueryFromRequest(
    {
      full_text: 'dune',
      filters: {
        year: { operator: 'OP_GREATER_EQUAL', value: { kind: 'numberValue', numberValue: 1960 } },
        title: { value: { kind: 'stringValue', stringValue: 'Dune' } },
        tags: { operator: 'OP_IN', value: { kind: 'listValue', listValue: { values: [{ kind: 'stringValue', stringValue: 'a' }] } } },
        isbn: { operator: 'OP_EXISTS' },
        one: { operator: 'OP_IN', value: { kind: 'numberValue', numberValue: 1 } },
      },
      order_by: 'year, title',
      ascending: true,
      limit: 5,
      offset: 2,
    },
    wk,
  );
  t.same(q, {
    filters: [
      { field: 'year', operator: 'GREATER_EQUAL', value: 1960 },
      { field: 'title', operator: 'EQUALS', value: 'Dune' },
      { field: 'tags', operator: 'IN', value: ['a'] },
      { field: 'isbn', operator: 'EXISTS' },
      { field: 'one', operator: 'IN', value: [1] },
    ],
    fullText: 'dune',
    orderBy: [
      { field: 'year', ascending: true },
      { field: 'title', ascending: true },
    ],
    limit: 5,
    offset: 2,
  });
  t.same(searchQueryFromRequest({}, wk), { filters: [] });
  t.throws(() => searchQueryFromRequest({ filters: { a: { operator: 42 } } }, wk), { code: 'INVALID_FILTER' });
  t.throws(() => searchQueryFromRequest({ limit: -1 }, wk), { code: 'INVALID_FILTER' });
  t.throws(() => searchQueryFromRequest({ label_filters: { a: 'b' } }, wk), { code: 'UNSUPPORTED' });
  t.throws(() => searchQueryFromRequest({ vector: [0.5] }, wk), { code: 'UNSUPPORTED' });
});

t.test('Struct queries', async (t) => {
  t.same(
    searchQueryFromStruct({
      q: 'dune',
      filters: { year: { operator: 'GREATER_THAN', value: 2000 } },
      author: 'Herbert',
      tags: { operator: 'op_contains', value: 'scifi' },
      order_by: '-year,title',
      limit: 3,
    }),
    {
      filters: [
        { field: 'year', operator: 'GREATER_THAN', value: 2000 },
        { field: 'author', operator: 'EQUALS', value: 'Herbert' },
        { field: 'tags', operator: 'CONTAINS', value: 'scifi' },
      ],
      fullText: 'dune',
      orderBy: [
        { field: 'year', ascending: false },
        { field: 'title', ascending: true },
      ],
      limit: 3,
    },
  );
  t.same(searchQueryFromStruct({ filters: [{ field: 'x', operator: 'NOT_EXISTS' }], order_by: 'x', ascending: false }), {
    filters: [{ field: 'x', operator: 'NOT_EXISTS' }],
    orderBy: [{ field: 'x', ascending: false }],
  });
  t.throws(() => searchQueryFromStruct({ filters: 'x' }), { code: 'INVALID_FILTER' });
  t.throws(() => searchQueryFromStruct({ filters: [{ operator: 'EQUALS' }] }), { code: 'INVALID_FILTER' });
  t.throws(() => searchQueryFromStruct({ a: { operator: 'LIKE', value: 1 } }), { code: 'INVALID_FILTER' });
  t.throws(() => searchQueryFromStruct({ limit: 'ten' }), { code: 'INVALID_FILTER' });
  t.throws(() => searchQueryFromStruct({ q: 5 }), { code: 'INVALID_FILTER' });
});

t.test('page tokens', async (t) => {
  t.equal(offsetOfToken(pageToken(250)), 250);
  t.equal(pageToken(100), 'MTAw', 'base64 of the decimal offset');
  t.equal(offsetOfToken(''), 0);
  t.throws(() => offsetOfToken('bm9wZQ=='), { code: 'MALFORMED' });
});

t.test('every error code maps to a gRPC status and a Status name', async (t) => {
  t.equal(grpcCodeFor('NOT_FOUND'), status.NOT_FOUND);
  t.equal(grpcCodeFor('ALREADY_EXISTS'), status.ALREADY_EXISTS);
  for (const c of ['TYPE_MISMATCH', 'INVALID_FILTER', 'INVALID_LABEL', 'MALFORMED'] as const) t.equal(grpcCodeFor(c), status.INVALID_ARGUMENT, c);
  t.equal(grpcCodeFor('VERSION_CONFLICT'), status.ABORTED);
  t.equal(grpcCodeFor('UNSUPPORTED'), status.UNIMPLEMENTED);
  t.equal(grpcCodeFor('STORAGE'), status.INTERNAL);
  for (const code of ERROR_CODES) t.ok(statusCodeName(grpcCodeFor(code)) !== 'UNKNOWN', code);
  t.equal(statusCodeName(status.DEADLINE_EXCEEDED), 'UNKNOWN', 'no such entry in Status.Code');
  t.match(errorStatus(new WwatpError('NOT_FOUND', 'gone')), { code: 'NOT_FOUND', message: 'gone', details: { 'wwatp-code': 'NOT_FOUND' } });
  t.match(errorStatus(new Error('boom')), { code: 'INTERNAL', message: 'boom' });
});
