import t from 'tap';
import protobuf from 'protobufjs';
import descriptor from 'protobufjs/ext/descriptor/index.js';
import { Collector, type CollectionStore } from '../../../src/collector/index.js';
import { BOOK_PROTO, openCollector, tempDir } from './env.js';

async function withBooks(t: Parameters<typeof openCollector>[0], dir?: string) {
  const env = await openCollector(t, dir);
  await env.collector.registry.registerProto({ namespace: 'acme', fileName: 'acme/book.proto', source: BOOK_PROTO });
  await env.collector.repo.createCollection({ namespace: 'acme', name: 'books', messageType: 'acme.Book', indexedFields: ['year'] });
  const store = (await env.collector.repo.collection('acme', 'books')) as CollectionStore;
  return { ...env, store };
}

t.test('typed records are checked, encoded, and kept as bytes plus JSON', async (t) => {
  const { store, collector } = await withBooks(t);
  const json = { title: 'Dune', year: 1965, tags: ['scifi'], author: { name: 'Frank Herbert', born: 1920 }, copies: '9007199254740993', genre: 'SCIFI', rating: 4.5, stock: { paris: 3 }, in_print: true };
  const record = await store.create({ id: 'dune', json });
  t.equal(record.type, 'acme.Book');
  t.same(record.json, json, 'JSON mapping: .proto names, int64 as exact strings, enums by name');
  const type = collector.registry.type('acme', 'acme.Book');
  t.same(type.toObject(type.decode(record.protoData), { longs: String, enums: String }), json, 'protoData is the protobuf encoding');
  t.same(collector.registry.decode('acme', 'acme.Book', collector.registry.encode('acme', 'acme.Book', json)), json);

  // lowerCamelCase JSON names are accepted and stored under .proto names.
  t.same((await store.create({ id: 'camel', json: { title: 'x', inPrint: true } })).json, { title: 'x', in_print: true });
  // Bytes in: decoded to JSON, both kept.
  const bytes = collector.registry.encode('acme', 'acme.Book', { title: 'From bytes', year: 2000 });
  const fromBytes = await store.create({ id: 'bytes', protoData: bytes });
  t.same(fromBytes.json, { title: 'From bytes', year: 2000 });
  t.ok(Buffer.from((await store.get('bytes'))?.protoData ?? []).equals(Buffer.from(bytes)));
  // Typed records are searchable by their JSON.
  t.same((await store.search({ filters: [{ field: 'author.name', operator: 'EQUALS', value: 'Frank Herbert' }] })).map((h) => h.record.id), ['dune']);
  t.same((await store.search({ filters: [{ field: 'genre', operator: 'EQUALS', value: 'SCIFI' }] })).map((h) => h.record.id), ['dune']);
});

t.test('records that do not match the type are refused, naming the field', async (t) => {
  const { store } = await withBooks(t);
  const cases: Array<[object, RegExp]> = [
    [{ year: 'abc' }, /^acme\.Book\.year: integer expected$/],
    [{ year: 1.5 }, /^acme\.Book\.year: integer expected$/],
    [{ year: 2 ** 31 }, /^acme\.Book\.year: integer from/],
    [{ title: 5 }, /^acme\.Book\.title: string expected$/],
    [{ tags: ['a', 2] }, /^acme\.Book\.tags\[1\]: string expected$/],
    [{ tags: 'a' }, /^acme\.Book\.tags: array expected$/],
    [{ author: { born: 'long ago' } }, /^acme\.Book\.author\.born: integer expected$/],
    [{ author: 'Frank' }, /^acme\.Book\.author: object \(message acme\.Author\) expected$/],
    [{ genre: 'HORROR' }, /^acme\.Book\.genre: one of GENRE_UNKNOWN, SCIFI, FANTASY expected$/],
    [{ copies: '12x' }, /^acme\.Book\.copies: integer or decimal string/],
    [{ stock: { paris: 'many' } }, /^acme\.Book\.stock\[paris\]: integer expected$/],
    [{ in_print: 'yes' }, /^acme\.Book\.in_print: boolean expected$/],
    [{ publisher: 'Chilton' }, /^acme\.Book\.publisher: unknown field/],
    [{ author: { name: 'x', email: 'y' } }, /^acme\.Book\.author\.email: unknown field/],
  ];
  for (const [json, message] of cases) {
    const error = await store.create({ id: 'bad', json: json as never }).catch((e: unknown) => e);
    t.match(error, { code: 'TYPE_MISMATCH', message }, JSON.stringify(json));
  }
  t.equal(await store.count(), 0, 'nothing was written');
});

t.test('imports between files of a namespace, and the well-known types', async (t) => {
  const { collector } = await openCollector(t);
  const shop = `syntax = "proto3"; package shop; import "shop/money.proto"; import "google/protobuf/timestamp.proto";
    message Order { string id = 1; shop.money.Money total = 2; google.protobuf.Timestamp placed = 3; }`;
  const error = await collector.registry.registerProto({ namespace: 'shop', fileName: 'shop/order.proto', source: shop }).catch((e: Error) => e);
  t.match(error, { code: 'NOT_FOUND', message: /imports shop\/money\.proto, which is not registered/ });
  const money = await collector.registry.registerProto({ namespace: 'shop', fileName: 'shop/money.proto', source: 'syntax = "proto3"; package shop.money; message Money { string currency = 1; int64 units = 2; }' });
  t.same(money.messages, ['shop.money.Money']);
  const order = await collector.registry.registerProto({ namespace: 'shop', fileName: 'shop/order.proto', source: shop });
  t.same(order.messages, ['shop.Order']);
  await collector.repo.createCollection({ namespace: 'shop', name: 'orders', messageType: 'shop.Order' });
  const orders = (await collector.repo.collection('shop', 'orders')) as CollectionStore;
  const r = await orders.create({ id: 'o1', json: { id: 'o1', total: { currency: 'EUR', units: '12' }, placed: { seconds: '1700000000' } } });
  t.same(r.json, { id: 'o1', total: { currency: 'EUR', units: '12' }, placed: { seconds: '1700000000' } });
  await t.rejects(orders.create({ id: 'o2', json: { total: { currency: 'EUR', cents: 5 } } }), { code: 'TYPE_MISMATCH', message: /shop\.Order\.total\.cents: unknown field/ });
  // Types are per namespace.
  await t.rejects(collector.repo.createCollection({ namespace: 'other', name: 'orders', messageType: 'shop.Order' }), { code: 'NOT_FOUND', message: /shop\.Order.*not registered in namespace other/ });
});

t.test('bad registrations are refused and change nothing', async (t) => {
  const { collector, changes } = await openCollector(t);
  await t.rejects(collector.registry.registerProto({ namespace: 'x', fileName: 'x.proto', source: 'message {' }), { code: 'MALFORMED', message: /x\.proto/ });
  await t.rejects(collector.registry.registerProto({ namespace: 'x', fileName: 'y.proto', source: 'syntax = "proto3"; message A { Missing m = 1; }' }), { code: 'NOT_FOUND', message: /Missing/ });
  await collector.registry.registerProto({ namespace: 'x', fileName: 'a.proto', source: 'syntax = "proto3"; package p; message A { int32 n = 1; }' });
  await t.rejects(collector.registry.registerProto({ namespace: 'x', fileName: 'b.proto', source: 'syntax = "proto3"; package p; message A { int32 n = 1; }' }), { code: 'ALREADY_EXISTS' });
  await t.rejects(collector.registry.registerProto({ namespace: 'x', fileName: '../a.proto', source: '' }), { code: 'INVALID_LABEL' });
  await t.rejects(collector.registry.registerProto({ namespace: 'bad ns', fileName: 'a.proto', source: '' }), { code: 'INVALID_LABEL' });
  await t.rejects(collector.registry.registerDescriptorSet({ namespace: 'x', fileName: 'd.bin', descriptorSet: new Uint8Array([0xff, 0xff, 0xff]) }), { code: 'MALFORMED' });
  await t.rejects(collector.repo.createCollection({ namespace: 'x', name: 'c', messageType: 'p.Nope' }), { code: 'NOT_FOUND', message: /p\.Nope.*registered: p\.A/ });
  t.equal(changes.length, 1, 'only the one good registration reported a change');
  t.same(collector.registry.messageTypes('x'), ['p.A']);
});

t.test('FileDescriptorSets register too', async (t) => {
  const { collector } = await openCollector(t);
  const root = new protobuf.Root();
  protobuf.parse(BOOK_PROTO, root, { keepCase: true });
  const set = descriptor.FileDescriptorSet.encode((root as unknown as { toDescriptor(s: string): protobuf.Message }).toDescriptor('proto3')).finish();
  const registered = await collector.registry.registerDescriptorSet({ namespace: 'desc', fileName: 'books.desc', descriptorSet: set });
  t.same(registered.messages, ['acme.Author', 'acme.Book']);
  await collector.repo.createCollection({ namespace: 'desc', name: 'books', messageType: 'acme.Book' });
  const store = (await collector.repo.collection('desc', 'books')) as CollectionStore;
  t.same((await store.create({ id: 'd', json: { title: 'Dune', in_print: true, genre: 'SCIFI' } })).json, { title: 'Dune', genre: 'SCIFI', in_print: true });
  await t.rejects(store.create({ id: 'e', json: { year: 'x' } }), { code: 'TYPE_MISMATCH', message: /acme\.Book\.year: integer expected/ });
});

t.test('services: register, look up, validate methods', async (t) => {
  const { collector } = await openCollector(t);
  await collector.registry.registerProto({
    namespace: 'acme',
    fileName: 'lib.proto',
    source: 'syntax = "proto3"; package acme; message Q { string id = 1; } message A { string v = 1; } service Library { rpc Get(Q) returns (A); rpc Watch(Q) returns (stream A); }',
  });
  await t.rejects(collector.registry.registerService({ namespace: 'acme', name: 'acme.Nope' }), { code: 'NOT_FOUND' });
  const info = await collector.registry.registerService({ namespace: 'acme', name: 'acme.Library' });
  t.same(info.methods, [
    { name: 'Get', inputType: 'acme.Q', outputType: 'acme.A', clientStreaming: false, serverStreaming: false },
    { name: 'Watch', inputType: 'acme.Q', outputType: 'acme.A', clientStreaming: false, serverStreaming: true },
  ]);
  t.same(collector.registry.lookupService('acme', 'acme.Library'), info);
  t.equal(collector.registry.validateMethod('acme', 'acme.Library', 'Get').outputType, 'acme.A');
  t.throws(() => collector.registry.validateMethod('acme', 'acme.Library', 'Put'), { code: 'NOT_FOUND' });
  t.same(collector.registry.listServices().map((s) => s.name), ['acme.Library']);
});

t.test('the registry persists in system collections and reloads on open', async (t) => {
  const dir = tempDir(t);
  const first = await withBooks(t, dir);
  await first.store.create({ id: 'dune', json: { title: 'Dune', year: 1965 } });
  await first.collector.registry.registerProto({ namespace: 'acme', fileName: 'acme/lib.proto', source: 'syntax = "proto3"; package acme; import "acme/book.proto"; service Shelf { rpc Get(Book) returns (Book); }' });
  await first.collector.registry.registerService({ namespace: 'acme', name: 'acme.Shelf' });
  const protos = (await first.collector.repo.collection('system', 'protos')) as CollectionStore;
  t.same((await protos.list({})).map((r) => r.json.fileName), ['acme/book.proto', 'acme/lib.proto'], 'system/protos holds one record per file');
  t.equal(await ((await first.collector.repo.collection('system', 'services')) as CollectionStore).count(), 1);
  await first.collector.close();

  const second = await Collector.open({ dir });
  t.teardown(() => second.close());
  t.same(second.registry.files('acme').map((f) => f.fileName), ['acme/book.proto', 'acme/lib.proto']);
  t.equal(second.registry.source('acme', 'acme/book.proto'), BOOK_PROTO);
  t.ok(second.registry.lookupService('acme', 'acme.Shelf'), 'services reload');
  const store = (await second.repo.collection('acme', 'books')) as CollectionStore;
  await t.rejects(store.create({ id: 'bad', json: { year: 'x' } }), { code: 'TYPE_MISMATCH' }, 'types are resolved again after restart');
  t.equal((await store.create({ id: 'ok', json: { year: 1 } })).type, 'acme.Book');
  t.same((await store.get('dune'))?.json, { title: 'Dune', year: 1965 });
});

t.test('concurrent registrations in one namespace all take effect', async (t) => {
  const { collector } = await openCollector(t);
  const files = Array.from({ length: 8 }, (_, i) => ({ namespace: 'many', fileName: `m${i}.proto`, source: `syntax = "proto3"; package many; message M${i} { int32 n = 1; }` }));
  await Promise.all(files.map((f) => collector.registry.registerProto(f)));
  t.same(collector.registry.messageTypes('many'), files.map((_, i) => `many.M${i}`));
});

/** A FileDescriptorSet of `source`, carrying the well-known files it imports, as protobufjs's descriptor extension writes one. */
function descriptorSetOf(source: string, wellKnown: readonly string[]): Uint8Array {
  const root = new protobuf.Root();
  for (const name of wellKnown) root.addJSON(protobuf.common.get(name)?.nested ?? {});
  protobuf.parse(source, root, { keepCase: true });
  root.resolveAll();
  return descriptor.FileDescriptorSet.encode((root as unknown as { toDescriptor(s: string): protobuf.Message }).toDescriptor('proto3')).finish();
}

t.test('descriptor sets in one namespace each bring the well-known types they need', async (t) => {
  const dir = tempDir(t);
  const { collector } = await openCollector(t, dir);
  const events = descriptorSetOf('syntax = "proto3"; package ev; import "google/protobuf/timestamp.proto"; message Event { string id = 1; google.protobuf.Timestamp at = 2; }', ['google/protobuf/timestamp.proto']);
  const docs = descriptorSetOf('syntax = "proto3"; package ev; import "google/protobuf/struct.proto"; message Doc { string id = 1; google.protobuf.Struct body = 2; }', ['google/protobuf/struct.proto']);
  t.same((await collector.registry.registerDescriptorSet({ namespace: 'wk', fileName: 'ev/event.desc', descriptorSet: events })).messages, ['ev.Event']);
  // The namespace already has google.protobuf.Timestamp; Struct (and Value, ListValue) must still arrive.
  t.same((await collector.registry.registerDescriptorSet({ namespace: 'wk', fileName: 'ev/doc.desc', descriptorSet: docs })).messages, ['ev.Doc']);
  // A third set carrying Timestamp again (already there) changes nothing and does not clash.
  const again = descriptorSetOf('syntax = "proto3"; package ev; import "google/protobuf/timestamp.proto"; message Later { google.protobuf.Timestamp at = 1; }', ['google/protobuf/timestamp.proto']);
  t.same((await collector.registry.registerDescriptorSet({ namespace: 'wk', fileName: 'ev/later.desc', descriptorSet: again })).messages, ['ev.Later']);
  t.ok(collector.registry.hasType('wk', 'google.protobuf.Struct'));
  t.ok(collector.registry.hasType('wk', 'google.protobuf.Timestamp'));
  t.same(collector.registry.messageTypes('wk'), ['ev.Doc', 'ev.Event', 'ev.Later'], 'well-known types are usable, not listed');

  await collector.repo.createCollection({ namespace: 'wk', name: 'docs', messageType: 'ev.Doc' });
  const store = (await collector.repo.collection('wk', 'docs')) as CollectionStore;
  const bytes = collector.registry.encode('wk', 'ev.Doc', { id: 'd1', body: { fields: { k: { stringValue: 'v' } } } });
  t.same((await store.create({ id: 'd1', protoData: bytes })).json, { id: 'd1', body: { fields: { k: { stringValue: 'v' } } } });
  await collector.close();

  const reopened = await Collector.open({ dir });
  t.teardown(() => reopened.close());
  t.same(reopened.registry.messageTypes('wk'), ['ev.Doc', 'ev.Event', 'ev.Later'], 'the namespace builds again on open');
  t.ok(reopened.registry.hasType('wk', 'google.protobuf.Struct'));
});

t.test('a descriptor set naming a well-known file only in its dependency list gets the bundled copy', async (t) => {
  const { collector } = await openCollector(t);
  const file = (name: string, dependency: string[], message: string, field: string, typeName: string) =>
    descriptor.FileDescriptorProto.fromObject({
      name,
      package: 'dep',
      dependency,
      syntax: 'proto3',
      messageType: [{ name: message, field: [{ name: field, number: 1, label: 1, type: 11, typeName }] }],
    });
  const setOf = (f: protobuf.Message) => descriptor.FileDescriptorSet.encode(descriptor.FileDescriptorSet.fromObject({ file: [f.toJSON()] })).finish();
  const first = setOf(file('dep/a.proto', ['google/protobuf/timestamp.proto'], 'A', 'at', '.google.protobuf.Timestamp'));
  const second = setOf(file('dep/b.proto', ['google/protobuf/struct.proto'], 'B', 'body', '.google.protobuf.Struct'));
  t.same((await collector.registry.registerDescriptorSet({ namespace: 'dep', fileName: 'dep/a.desc', descriptorSet: first })).messages, ['dep.A']);
  t.same((await collector.registry.registerDescriptorSet({ namespace: 'dep', fileName: 'dep/b.desc', descriptorSet: second })).messages, ['dep.B']);
  t.ok(collector.registry.hasType('dep', 'google.protobuf.Value'));
  // A dependency neither registered nor well known still fails, and registers nothing.
  const third = setOf(file('dep/c.proto', ['dep/missing.proto'], 'C', 'm', '.dep.Missing'));
  await t.rejects(collector.registry.registerDescriptorSet({ namespace: 'dep', fileName: 'dep/c.desc', descriptorSet: third }), { code: /^(MALFORMED|NOT_FOUND)$/, message: /dep\/c\.desc/ });
  t.same(collector.registry.messageTypes('dep'), ['dep.A', 'dep.B']);
});

t.test('a second collector on the same directory sees what the first one registers', async (t) => {
  const first = await openCollector(t);
  const second = await openCollector(t, first.dir);
  await first.collector.registry.registerProto({ namespace: 'acme', fileName: 'acme/book.proto', source: BOOK_PROTO });
  await first.collector.repo.createCollection({ namespace: 'acme', name: 'books', messageType: 'acme.Book' });
  t.ok(second.collector.registry.hasType('acme', 'acme.Book'), 'the type, registered by the other');
  t.same(second.collector.registry.files('acme').map((f) => f.fileName), ['acme/book.proto']);
  const store = (await second.collector.repo.collection('acme', 'books')) as CollectionStore;
  t.same((await store.create({ id: 'dune', json: { title: 'Dune', year: 1965 } })).json, { title: 'Dune', year: 1965 }, 'a typed write through the second');
  await t.rejects(store.create({ id: 'bad', json: { year: 'abc' } }), { code: 'TYPE_MISMATCH' }, 'checked against the type');
  await first.collector.registry.registerProto({ namespace: 'lib', fileName: 'lib.proto', source: 'syntax = "proto3"; package lib; message Q { string q = 1; } service Library { rpc Find (Q) returns (Q); }' });
  await first.collector.registry.registerService({ namespace: 'lib', name: 'lib.Library' });
  t.same(second.collector.registry.lookupService('lib', 'lib.Library')?.methods.map((m) => m.name), ['Find'], 'a service registered by the other');
  const updated = BOOK_PROTO.replace('message Book {', 'message Shelf {\n  string name = 1;\n}\n\nmessage Book {');
  await first.collector.registry.registerProto({ namespace: 'acme', fileName: 'acme/book.proto', source: updated });
  t.ok(second.collector.registry.hasType('acme', 'acme.Shelf'), 'a file replaced by the other');
});

t.test('after close the registry still answers from what it read', async (t) => {
  const dir = tempDir(t);
  const collector = await Collector.open({ dir });
  await collector.registry.registerProto({ namespace: 'acme', fileName: 'acme/book.proto', source: BOOK_PROTO });
  await collector.close();
  t.ok(collector.registry.hasType('acme', 'acme.Book'));
  t.same(collector.registry.files('acme').map((f) => f.fileName), ['acme/book.proto']);
});
