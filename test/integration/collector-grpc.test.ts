import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import protobuf from 'protobufjs';
import descriptor from 'protobufjs/ext/descriptor/index.js';
import { Collector } from '../../src/collector/index.js';
import { PROTO_FILES, protoDir, startGrpcServer, WWATP_CODE_KEY } from '../../src/frontends/grpc/index.js';

// A real Collector in a temp dir, the real grpc-js server on loopback, and a client
// built from the .proto files with proto-loader, as a third-party client would.

type Obj = Record<string, unknown>;
type Callback = (error: grpc.ServiceError | null, response?: Obj) => void;
type UnaryMethod = (request: Obj, metadata: grpc.Metadata, callback: Callback) => grpc.ClientUnaryCall;

const BOOK_PROTO = `
syntax = "proto3";
package shop;

message Author {
  string name = 1;
  int32 born = 2;
}

message Book {
  string title = 1;
  int32 year = 2;
  Author author = 3;
  repeated string tags = 4;
  double price = 5;
  string isbn = 6;
}

service Catalog {
  rpc Lookup(Book) returns (Book);
  rpc Similar(Book) returns (stream Book);
}
`;

const shop = protobuf.parse(BOOK_PROTO, { keepCase: true }).root;
const Book = shop.lookupType('shop.Book');

interface BookJson {
  title: string;
  year: number;
  author?: { name: string; born?: number };
  tags?: string[];
  price?: number;
  isbn?: string;
}

const BOOKS: Record<string, BookJson> = {
  dune: { title: 'Dune', year: 1965, author: { name: 'Frank Herbert', born: 1920 }, tags: ['scifi', 'desert'], price: 9.5, isbn: '978-0441013593' },
  neuromancer: { title: 'Neuromancer', year: 1984, author: { name: 'William Gibson', born: 1948 }, tags: ['scifi', 'cyberpunk'], price: 8 },
  emma: { title: 'Emma', year: 1815, author: { name: 'Jane Austen', born: 1775 }, tags: ['classic'], price: 5 },
  leviathan: { title: 'Leviathan Wakes', year: 2011, author: { name: 'James Corey' }, tags: ['scifi', 'space'], price: 12 },
  middlemarch: { title: 'Middlemarch', year: 1871, author: { name: 'George Eliot', born: 1819 }, tags: ['classic'], price: 7 },
};

function encodeBook(b: BookJson): Buffer {
  return Buffer.from(Book.encode(Book.fromObject(b)).finish());
}

function decodeBook(value: unknown): Obj {
  if (!(value instanceof Uint8Array)) throw new Error('not bytes');
  return Book.toObject(Book.decode(value), { defaults: false }) as Obj;
}

function bookAny(b: BookJson): Obj {
  return { type_url: 'type.googleapis.com/shop.Book', value: encodeBook(b) };
}

/** The FileDescriptorProto (as proto-loader takes it) of the root's file declaring `pkg`. */
function fileDescriptorOf(root: protobuf.Root, name: string, pkg?: string): Obj {
  const set = descriptor.FileDescriptorSet.toObject((root as unknown as { toDescriptor(s: string): protobuf.Message }).toDescriptor('proto3'), {}) as { file: Obj[] };
  const file = (pkg === undefined ? set.file[0] : set.file.find((f) => f.package === pkg)) as Obj;
  return { ...file, name };
}

const dir = mkdtempSync(join(tmpdir(), 'wwatp-grpc-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

const collector = await Collector.open({ dir });
const server = await startGrpcServer({ collector, port: 0 });
t.teardown(async () => {
  await server.close();
  await collector.close();
});

const definition = protoLoader.loadSync([...PROTO_FILES], {
  includeDirs: [protoDir()],
  keepCase: true,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
});
const loaded = grpc.loadPackageDefinition(definition).collector as grpc.GrpcObject;
const address = `127.0.0.1:${server.port}`;
function client(name: string): grpc.Client {
  const Ctor = loaded[name] as grpc.ServiceClientConstructor;
  const c = new Ctor(address, grpc.credentials.createInsecure());
  t.teardown(() => c.close());
  return c;
}
const service = client('CollectionService');
const repo = client('CollectionRepo');
const registry = client('CollectorRegistry');

function call(c: grpc.Client, method: string, request: Obj, metadata = new grpc.Metadata()): Promise<Obj> {
  const fn = (c as unknown as Record<string, UnaryMethod>)[method];
  if (fn === undefined) throw new Error(`no method ${method}`);
  return new Promise((resolve, reject) => {
    fn.call(c, request, metadata, (error, response) => (error ? reject(error) : resolve(response ?? {})));
  });
}

async function failure(p: Promise<unknown>): Promise<grpc.ServiceError> {
  try {
    await p;
  } catch (error) {
    return error as grpc.ServiceError;
  }
  throw new Error('expected the call to fail');
}

const NS = 'acme';
const BOOKS_AT = { namespace: NS, collection_name: 'books' };

t.test('registry: RegisterProto with a FileDescriptorProto, services and their lookups', async (t) => {
  const reg = await call(registry, 'RegisterProto', { namespace: NS, file_descriptor: fileDescriptorOf(shop, 'shop/book.proto') });
  t.match(reg, { status: { code: 'OK' }, proto_id: 'acme/shop/book.proto' });
  t.ok((reg.registered_messages as string[]).includes('shop.Book'), 'shop.Book registered');

  const svc = await call(registry, 'RegisterService', { namespace: NS, service_descriptor: { name: 'Catalog' } });
  t.match(svc, { status: { code: 'OK' }, service_id: 'acme/shop.Catalog', registered_methods: ['Lookup', 'Similar'] });

  const found = await call(registry, 'LookupService', { namespace: NS, service_name: 'shop.Catalog' });
  t.match(found, { status: { code: 'OK' }, service: { id: 'acme/shop.Catalog', service_name: 'shop.Catalog', method_names: ['Lookup', 'Similar'] } });
  const missing = await call(registry, 'LookupService', { namespace: NS, service_name: 'shop.Nope' });
  t.match(missing, { status: { code: 'NOT_FOUND' } });

  t.match(await call(registry, 'ValidateMethod', { namespace: NS, service_name: 'shop.Catalog', method_name: 'Lookup' }), { status: { code: 'OK' }, is_valid: true });
  const invalid = await call(registry, 'ValidateMethod', { namespace: NS, service_name: 'shop.Catalog', method_name: 'Burn' });
  t.match(invalid, { status: { code: 'NOT_FOUND' }, is_valid: false, message: /Burn/ });

  const list = await call(registry, 'ListServices', { namespace: NS });
  t.same((list.services as Obj[]).map((s) => s.service_name), ['shop.Catalog']);

  // A service given with its own file (a second package) is registered with it.
  const other = protobuf.parse('syntax = "proto3"; package tools; message Ping { string text = 1; } service Pinger { rpc Ping(Ping) returns (Ping); }', { keepCase: true }).root;
  const file = fileDescriptorOf(other, 'tools/ping.proto');
  const pinger = await call(registry, 'RegisterService', { namespace: NS, service_descriptor: (file.service as Obj[])[0], file_descriptor: file });
  t.match(pinger, { service_id: 'acme/tools.Pinger', registered_methods: ['Ping'] });

  // A file importing a well-known type, sent without that dependency: the server supplies it.
  const eventSource = 'syntax = "proto3"; package log; import "google/protobuf/timestamp.proto"; message Event { string what = 1; google.protobuf.Timestamp at = 2; }';
  const eventRoot = protobuf.parse(eventSource, { keepCase: true }).root;
  eventRoot.addJSON((protobuf.common as unknown as { get(n: string): protobuf.INamespace }).get('google/protobuf/timestamp.proto').nested ?? {});
  const eventFile = { ...fileDescriptorOf(eventRoot, 'log/event.proto', 'log'), dependency: ['google/protobuf/timestamp.proto'] };
  const events = await call(registry, 'RegisterProto', { namespace: 'logs', file_descriptor: eventFile });
  t.match(events, { status: { code: 'OK' }, registered_messages: ['log.Event'] });
  await call(repo, 'CreateCollection', { collection: { namespace: 'logs', name: 'events', message_type: { message_name: 'log.Event' } } });
  const Event = eventRoot.lookupType('log.Event');
  const at = { seconds: 1_700_000_000, nanos: 5 };
  await call(service, 'Create', { namespace: 'logs', collection_name: 'events', id: 'e1', item: { type_url: 'type.googleapis.com/log.Event', value: Buffer.from(Event.encode(Event.fromObject({ what: 'boot', at })).finish()) } });
  const ev = await call(service, 'Get', { namespace: 'logs', collection_name: 'events', id: 'e1' });
  t.match(Event.toObject(Event.decode((ev.item as Obj).value as Uint8Array), { longs: Number }), { what: 'boot', at });

  // Struct's map field makes its generated descriptor the harder case.
  const cfgRoot = protobuf.parse('syntax = "proto3"; package cfg; import "google/protobuf/struct.proto"; message Setting { string key = 1; google.protobuf.Struct value = 2; }', { keepCase: true }).root;
  cfgRoot.addJSON((protobuf.common as unknown as { get(n: string): protobuf.INamespace }).get('google/protobuf/struct.proto').nested ?? {});
  cfgRoot.resolveAll();
  const cfgFile = { ...fileDescriptorOf(cfgRoot, 'cfg/setting.proto', 'cfg'), dependency: ['google/protobuf/struct.proto'] };
  t.match(await call(registry, 'RegisterProto', { namespace: 'cfg', file_descriptor: cfgFile }), { status: { code: 'OK' }, registered_messages: ['cfg.Setting'] });

  const err = await failure(call(registry, 'RegisterProto', { namespace: NS }));
  t.equal(err.code, grpc.status.INVALID_ARGUMENT);
});

t.test('repo: CreateCollection, Discover, Route', async (t) => {
  const created = await call(repo, 'CreateCollection', {
    collection: { namespace: NS, name: 'books', message_type: { namespace: NS, message_name: 'shop.Book' }, indexed_fields: ['year'], metadata: { labels: { team: 'lit' } } },
  });
  t.match(created, { status: { code: 'OK' }, collection_id: 'acme/books', server_endpoint: server.endpoint });
  t.equal(server.endpoint, address);
  await call(repo, 'CreateCollection', { collection: { namespace: NS, name: 'notes', metadata: { labels: { team: 'ops' } } } });
  await call(repo, 'CreateCollection', { collection: { namespace: 'other', name: 'books', message_type: { message_name: 'json' } } });

  const unregistered = await failure(call(repo, 'CreateCollection', { collection: { namespace: NS, name: 'x', message_type: { message_name: 'shop.Nope' } } }));
  t.equal(unregistered.code, grpc.status.NOT_FOUND);
  const badName = await failure(call(repo, 'CreateCollection', { collection: { namespace: 'bad ns', name: 'x' } }));
  t.equal(badName.code, grpc.status.INVALID_ARGUMENT);
  t.equal(badName.metadata.get(WWATP_CODE_KEY)[0], 'INVALID_LABEL');

  // The registry's own collections (namespace system) are discoverable too.
  const all = await call(repo, 'Discover', {});
  t.same((all.collections as Obj[]).map((c) => `${String(c.namespace)}/${String(c.name)}`), ['acme/books', 'acme/notes', 'logs/events', 'other/books', 'system/protos', 'system/services']);
  const byLabel = await call(repo, 'Discover', { label_filter: { team: 'lit' } });
  t.match(byLabel.collections, [{ name: 'books', message_type: { message_name: 'shop.Book' }, indexed_fields: ['year'], metadata: { labels: { team: 'lit' } } }]);
  t.equal((byLabel.collections as Obj[]).length, 1);
  const byType = await call(repo, 'Discover', { message_type_filter: { message_name: 'json' } });
  t.same((byType.collections as Obj[]).map((c) => `${String(c.namespace)}/${String(c.name)}`).filter((n) => !n.startsWith('system/')), ['acme/notes', 'other/books']);
  const page1 = await call(repo, 'Discover', { namespace: NS, page_size: 1 });
  t.equal((page1.collections as Obj[]).length, 1);
  t.not(page1.next_page_token, '');
  const page2 = await call(repo, 'Discover', { namespace: NS, page_size: 1, page_token: page1.next_page_token });
  t.match(page2, { collections: [{ name: 'notes' }], next_page_token: '' });

  const route = await call(repo, 'Route', { collection: { namespace: NS, name: 'books' } });
  t.match(route, { status: { code: 'OK' }, server_endpoint: address, collection: { namespace: NS, name: 'books' } });
  const noRoute = await failure(call(repo, 'Route', { collection: { namespace: NS, name: 'ghost' } }));
  t.equal(noRoute.code, grpc.status.NOT_FOUND);
});

t.test('service: CRUD with proto_data bytes', async (t) => {
  for (const [id, b] of Object.entries(BOOKS)) {
    t.match(await call(service, 'Create', { ...BOOKS_AT, id, item: bookAny(b) }), { status: { code: 'OK' }, id });
  }
  const generated = await call(service, 'Create', { ...BOOKS_AT, item: bookAny({ title: 'Untitled', year: 2020 }) });
  t.match(generated.id, /^[0-9a-f-]{36}$/);

  const got = await call(service, 'Get', { ...BOOKS_AT, id: 'dune' });
  t.equal((got.item as Obj).type_url, 'type.googleapis.com/shop.Book');
  t.same(decodeBook((got.item as Obj).value), BOOKS.dune);

  const dup = await failure(call(service, 'Create', { ...BOOKS_AT, id: 'dune', item: bookAny(BOOKS.dune as BookJson) }));
  t.equal(dup.code, grpc.status.ALREADY_EXISTS);

  await call(service, 'Update', { ...BOOKS_AT, id: 'dune', item: bookAny({ ...(BOOKS.dune as BookJson), price: 11 }) });
  t.equal(decodeBook(((await call(service, 'Get', { ...BOOKS_AT, id: 'dune' })).item as Obj).value).price, 11);

  // update_mask: only the named paths change, the rest of the record stays.
  await call(service, 'Update', { ...BOOKS_AT, id: 'dune', item: bookAny({ title: 'ignored', year: 1966, author: { name: 'F. Herbert' } }), update_mask: ['year', 'author.name'] });
  t.match(decodeBook(((await call(service, 'Get', { ...BOOKS_AT, id: 'dune' })).item as Obj).value), { title: 'Dune', year: 1966, author: { name: 'F. Herbert', born: 1920 }, price: 11 });

  const missingUpdate = await failure(call(service, 'Update', { ...BOOKS_AT, id: 'ghost', item: bookAny({ title: 'x', year: 1 }) }));
  t.equal(missingUpdate.code, grpc.status.NOT_FOUND);

  t.match(await call(service, 'Delete', { ...BOOKS_AT, id: generated.id }), { status: { code: 'OK' } });
  t.equal((await failure(call(service, 'Get', { ...BOOKS_AT, id: generated.id }))).code, grpc.status.NOT_FOUND);
  t.equal((await failure(call(service, 'Delete', { ...BOOKS_AT, id: generated.id }))).code, grpc.status.NOT_FOUND);
  t.equal((await failure(call(service, 'Get', { namespace: NS, collection_name: 'ghost', id: 'x' }))).code, grpc.status.NOT_FOUND);

  // Addressed by metadata instead of request fields, as a client dialing Route's endpoint may.
  const md = new grpc.Metadata();
  md.set('collector-namespace', NS);
  md.set('collector-collection', 'books');
  t.same(decodeBook(((await call(service, 'Get', { id: 'emma' }, md)).item as Obj).value), BOOKS.emma);
});

t.test('service: a record that does not fit the type is refused with INVALID_ARGUMENT', async (t) => {
  const wrongType = await failure(call(service, 'Create', { ...BOOKS_AT, id: 'w1', item: { type_url: 'type.googleapis.com/shop.Author', value: Buffer.alloc(0) } }));
  t.equal(wrongType.code, grpc.status.INVALID_ARGUMENT);
  t.match(wrongType.details, /shop\.Author.*shop\.Book/);

  // The JSON form (a Struct) is checked field by field: the error names the field.
  const Struct = definitionType('google.protobuf.Struct');
  const struct = Struct.encode(Struct.fromObject({ fields: { title: { stringValue: 'Bad' }, year: { stringValue: 'nineteen' } } })).finish();
  const mismatch = await failure(call(service, 'Create', { ...BOOKS_AT, id: 'w2', item: { type_url: 'type.googleapis.com/google.protobuf.Struct', value: Buffer.from(struct) } }));
  t.equal(mismatch.code, grpc.status.INVALID_ARGUMENT);
  t.equal(mismatch.metadata.get(WWATP_CODE_KEY)[0], 'TYPE_MISMATCH');
  t.match(mismatch.details, /year/);

  // Bytes that are not a Book at all.
  const garbage = await failure(call(service, 'Create', { ...BOOKS_AT, id: 'w3', item: { type_url: 'type.googleapis.com/shop.Book', value: Buffer.from([0x0a, 0xff, 0xff, 0xff]) } }));
  t.equal(garbage.code, grpc.status.INVALID_ARGUMENT);

  // A valid Struct is accepted for a typed collection and stored as the type.
  const good = Struct.encode(Struct.fromObject({ fields: { title: { stringValue: 'Good' }, year: { numberValue: 2001 } } })).finish();
  await call(service, 'Create', { ...BOOKS_AT, id: 'good', item: { type_url: 'type.googleapis.com/google.protobuf.Struct', value: Buffer.from(good) } });
  t.match(decodeBook(((await call(service, 'Get', { ...BOOKS_AT, id: 'good' })).item as Obj).value), { title: 'Good', year: 2001 });
  await call(service, 'Delete', { ...BOOKS_AT, id: 'good' });
  t.equal((await failure(call(service, 'Get', { ...BOOKS_AT, id: 'w2' }))).code, grpc.status.NOT_FOUND, 'nothing written');
});

function definitionType(name: string): protobuf.Type {
  const root = new protobuf.Root();
  root.addJSON((protobuf.common as unknown as { get(n: string): protobuf.INamespace }).get('google/protobuf/struct.proto').nested ?? {});
  return root.lookupType(name);
}

async function searchIds(request: Obj): Promise<string[]> {
  const res = await call(service, 'Search', { ...BOOKS_AT, ...request });
  return (res.results as Obj[]).map((r) => String(decodeBook((r.item as Obj).value).title));
}

const v = {
  num: (n: number): Obj => ({ numberValue: n }),
  str: (s: string): Obj => ({ stringValue: s }),
  list: (...xs: Obj[]): Obj => ({ listValue: { values: xs } }),
};

t.test('service: Search with every operator, nested fields, full text, order, limit and offset', async (t) => {
  const byYear = { order_by: 'year', ascending: true };
  t.same(await searchIds({ filters: { year: { operator: 'OP_EQUALS', value: v.num(1984) } } }), ['Neuromancer']);
  t.same(await searchIds({ filters: { year: { operator: 'OP_NOT_EQUALS', value: v.num(1984) } }, ...byYear }), ['Emma', 'Middlemarch', 'Dune', 'Leviathan Wakes']);
  t.same(await searchIds({ filters: { year: { operator: 'OP_GREATER_THAN', value: v.num(1966) } }, ...byYear }), ['Neuromancer', 'Leviathan Wakes']);
  t.same(await searchIds({ filters: { year: { operator: 'OP_LESS_THAN', value: v.num(1871) } }, ...byYear }), ['Emma']);
  t.same(await searchIds({ filters: { year: { operator: 'OP_GREATER_EQUAL', value: v.num(1984) } }, ...byYear }), ['Neuromancer', 'Leviathan Wakes']);
  t.same(await searchIds({ filters: { year: { operator: 'OP_LESS_EQUAL', value: v.num(1871) } }, ...byYear }), ['Emma', 'Middlemarch']);
  t.same(await searchIds({ filters: { tags: { operator: 'OP_CONTAINS', value: v.str('cyberpunk') } } }), ['Neuromancer']);
  t.same(await searchIds({ filters: { title: { operator: 'OP_IN', value: v.list(v.str('Emma'), v.str('Dune')) } }, ...byYear }), ['Emma', 'Dune']);
  t.same(await searchIds({ filters: { isbn: { operator: 'OP_EXISTS' } } }), ['Dune']);
  t.same((await searchIds({ filters: { isbn: { operator: 'OP_NOT_EXISTS' } } })).length, 4);
  t.same(await searchIds({ filters: { 'author.name': { operator: 'OP_EQUALS', value: v.str('Jane Austen') } } }), ['Emma']);
  t.same(await searchIds({ filters: { 'author.born': { operator: 'OP_LESS_THAN', value: v.num(1800) } } }), ['Emma']);
  t.same(await searchIds({ filters: { tags: { operator: 'OP_CONTAINS', value: v.str('scifi') }, price: { operator: 'OP_LESS_THAN', value: v.num(10) } }, ...byYear }), ['Neuromancer']);
  t.same(await searchIds({ full_text: 'Gibson' }), ['Neuromancer']);
  const ft = await call(service, 'Search', { ...BOOKS_AT, full_text: 'Gibson' });
  t.not((ft.results as Obj[])[0]?.score, undefined);
  t.same(await searchIds({ order_by: 'year', ascending: false, limit: 2 }), ['Leviathan Wakes', 'Neuromancer']);
  t.same(await searchIds({ order_by: 'year', ascending: true, limit: 2, offset: 1 }), ['Middlemarch', 'Dune']);
  const counted = await call(service, 'Search', { ...BOOKS_AT, filters: { tags: { operator: 'OP_CONTAINS', value: v.str('classic') } } });
  t.equal(counted.total_count, 2);

  // Bad filters are INVALID_ARGUMENT, and never reach SQL as text.
  for (const field of ['year) OR 1=1 --', "title'; DROP TABLE records; --", '']) {
    const e = await failure(call(service, 'Search', { ...BOOKS_AT, filters: { [field]: { operator: 'OP_EQUALS', value: v.num(1) } } }));
    t.equal(e.code, grpc.status.INVALID_ARGUMENT, `field ${JSON.stringify(field)}`);
  }
  const badIn = await failure(call(service, 'Search', { ...BOOKS_AT, filters: { year: { operator: 'OP_GREATER_THAN', value: v.list(v.num(1)) } } }));
  t.equal(badIn.code, grpc.status.INVALID_ARGUMENT);
  const labels = await failure(call(service, 'Search', { ...BOOKS_AT, label_filters: { a: 'b' } }));
  t.equal(labels.code, grpc.status.UNIMPLEMENTED);
  t.equal((await call(service, 'Describe', BOOKS_AT)).record_count, 5, 'nothing was dropped');
});

t.test('service: List pages, Batch, Describe, Modify, Meta', async (t) => {
  const seen: string[] = [];
  let token = '';
  let pages = 0;
  do {
    const page = await call(service, 'List', { ...BOOKS_AT, page_size: 2, page_token: token });
    t.equal(page.total_count, 5);
    for (const item of page.items as Obj[]) seen.push(String(decodeBook(item.value).title));
    token = String(page.next_page_token);
    pages++;
  } while (token !== '');
  t.equal(pages, 3);
  t.equal(new Set(seen).size, 5);
  const filtered = await call(service, 'List', { ...BOOKS_AT, filter: { fields: { tags: { structValue: { fields: { operator: v.str('CONTAINS'), value: v.str('classic') } } } } }, order_by: '-year' });
  t.match(filtered, { total_count: 2 });
  t.same((filtered.items as Obj[]).map((i) => decodeBook(i.value).title), ['Emma', 'Middlemarch'].reverse());
  t.equal((await failure(call(service, 'List', { ...BOOKS_AT, page_token: 'not-a-token' }))).code, grpc.status.INVALID_ARGUMENT);

  const batch = await call(service, 'Batch', {
    ...BOOKS_AT,
    operations: [
      { create: { id: 'b1', item: bookAny({ title: 'Batch One', year: 2001 }) } },
      { update: { id: 'emma', item: bookAny({ ...(BOOKS.emma as BookJson), price: 6 }) } },
      { delete: { id: 'ghost' } },
      { delete: { id: 'b1' } },
    ],
  });
  t.match(batch.responses, [
    { status: { code: 'OK' }, create: { id: 'b1' } },
    { status: { code: 'OK' }, update: {} },
    { status: { code: 'NOT_FOUND' } },
    { status: { code: 'OK' }, delete: {} },
  ]);
  t.match(batch.status, { code: 'NOT_FOUND', message: /1 of 4/ });
  t.equal(decodeBook(((await call(service, 'Get', { ...BOOKS_AT, id: 'emma' })).item as Obj).value).price, 6);

  const described = await call(service, 'Describe', BOOKS_AT);
  t.match(described, { status: { code: 'OK' }, record_count: 5, collection_definition: { namespace: NS, name: 'books', message_type: { message_name: 'shop.Book' }, indexed_fields: ['year'] } });
  t.ok(Number(described.storage_size_bytes) > 0, 'size of the collection files');
  await call(service, 'Modify', { ...BOOKS_AT, indexed_fields: ['year', 'author.name'] });
  t.match((await call(service, 'Describe', BOOKS_AT)).collection_definition, { indexed_fields: ['year', 'author.name'] });
  t.same(await searchIds({ filters: { 'author.name': { value: v.str('George Eliot') } } }), ['Middlemarch'], 'still searchable');

  const meta = await call(service, 'Meta', {});
  t.match(meta, { status: { code: 'OK' }, server_version: /^\d+\.\d+\.\d+/ });
});

t.test('service: a schemaless collection takes and returns google.protobuf.Struct', async (t) => {
  const Struct = definitionType('google.protobuf.Struct');
  const at = { namespace: NS, collection_name: 'notes' };
  const note = Struct.encode(Struct.fromObject({ fields: { text: { stringValue: 'water the plants' }, priority: { numberValue: 2 } } })).finish();
  await call(service, 'Create', { ...at, id: 'n1', item: { type_url: 'type.googleapis.com/google.protobuf.Struct', value: Buffer.from(note) } });
  await call(service, 'Create', { ...at, id: 'n2', item: { type_url: '', value: Buffer.from(JSON.stringify({ text: 'ship the release', priority: 1 })) } });
  const got = await call(service, 'Get', { ...at, id: 'n2' });
  t.equal((got.item as Obj).type_url, 'type.googleapis.com/google.protobuf.Struct');
  t.match(Struct.toObject(Struct.decode((got.item as Obj).value as Uint8Array)), { fields: { text: { stringValue: 'ship the release' } } });
});

t.test('repo: SearchCollections across collections', async (t) => {
  const Struct = definitionType('google.protobuf.Struct');
  const other = Struct.encode(Struct.fromObject({ fields: { title: { stringValue: 'Dune Messiah' }, year: { numberValue: 1969 } } })).finish();
  await call(service, 'Create', { namespace: 'other', collection_name: 'books', id: 'messiah', item: { type_url: 'type.googleapis.com/google.protobuf.Struct', value: Buffer.from(other) } });

  const q = (fields: Obj): Obj => ({ fields });
  const inNs = await call(repo, 'SearchCollections', { namespace: NS, query: q({ year: { structValue: q({ operator: v.str('OP_GREATER_THAN'), value: v.num(1960) }) } }), order_by: 'year' });
  t.equal(inNs.total_matches, 3);
  t.match(inNs.results, [{ collection_name: 'books' }]);
  t.same(((inNs.results as Obj[])[0]?.items as Obj[]).map((i) => decodeBook(i.value).title), ['Dune', 'Neuromancer', 'Leviathan Wakes']);

  const everywhere = await call(repo, 'SearchCollections', { query: q({ full_text: v.str('Dune') }) });
  t.same((everywhere.results as Obj[]).map((r) => r.collection_name).sort(), ['acme/books', 'other/books']);
  const scores = (everywhere.results as Obj[]).find((r) => r.collection_name === 'acme/books')?.scores as Obj;
  t.ok(typeof scores.dune === 'number', 'full-text score per record');

  const limited = await call(repo, 'SearchCollections', { namespace: NS, collection_names: ['books'], query: q({ order_by: v.str('-year') }), limit: 1 });
  t.same(((limited.results as Obj[])[0]?.items as Obj[]).map((i) => decodeBook(i.value).title), ['Leviathan Wakes']);

  const bad = await failure(call(repo, 'SearchCollections', { query: q({ filters: { listValue: { values: [v.str('no field')] } } }) }));
  t.equal(bad.code, grpc.status.INVALID_ARGUMENT);
});

t.test('RPCs with no meaning here answer UNIMPLEMENTED', async (t) => {
  const unary: Array<[grpc.Client, string]> = [
    [service, 'Invoke'],
    [repo, 'Clone'],
    [repo, 'Fetch'],
    [repo, 'BackupCollection'],
    [repo, 'ListBackups'],
    [repo, 'RestoreBackup'],
    [repo, 'DeleteBackup'],
    [repo, 'VerifyBackup'],
  ];
  for (const [c, method] of unary) {
    const e = await failure(call(c, method, {}));
    t.equal(e.code, grpc.status.UNIMPLEMENTED, method);
    t.match(e.details, new RegExp(method));
  }
  const pull = (repo as unknown as Record<string, (r: Obj) => grpc.ClientReadableStream<Obj>>).PullCollection?.call(repo, { source_collection: { namespace: NS, name: 'books' } });
  const pullError = await new Promise<grpc.ServiceError>((resolve) => {
    pull?.on('error', resolve);
    pull?.on('data', () => undefined);
  });
  t.equal(pullError.code, grpc.status.UNIMPLEMENTED);
  const pushError = await new Promise<grpc.ServiceError | null>((resolve) => {
    const push = (repo as unknown as Record<string, (cb: Callback) => grpc.ClientWritableStream<Obj>>).PushCollection?.call(repo, (error) => resolve(error));
    push?.write({ chunk: Buffer.from('x') });
    push?.end();
  });
  t.equal(pushError?.code, grpc.status.UNIMPLEMENTED);
});

t.test('concurrent writers on two connections', async (t) => {
  const second = client('CollectionService');
  const at = { namespace: NS, collection_name: 'notes' };
  const writes = Array.from({ length: 60 }, (_, i) =>
    call(i % 2 === 0 ? service : second, 'Create', { ...at, id: `c${i}`, item: { value: Buffer.from(JSON.stringify({ i })) } }),
  );
  const results = await Promise.all(writes);
  t.equal(results.filter((r) => (r.status as Obj).code === 'OK').length, 60);
  const found = await call(second, 'Search', { ...at, filters: { i: { operator: 'OP_GREATER_EQUAL', value: v.num(0) } }, limit: 100 });
  t.equal((found.results as Obj[]).length, 60);
  // Racing updates of one record: each lands whole, the last one wins.
  await Promise.all(Array.from({ length: 20 }, (_, i) => call(i % 2 === 0 ? service : second, 'Update', { ...at, id: 'c0', item: { value: Buffer.from(JSON.stringify({ i: 1000 + i })) } })));
  const last = await call(service, 'Get', { ...at, id: 'c0' });
  t.ok(Number(definitionType('google.protobuf.Struct').toObject(definitionType('google.protobuf.Struct').decode((last.item as Obj).value as Uint8Array), { defaults: false }).fields.i.numberValue) >= 1000);
});

t.test('bad requests never stop the server', async (t) => {
  // Bytes that are no protobuf message at all, sent straight to a method path.
  const raw = new grpc.Client(address, grpc.credentials.createInsecure());
  t.teardown(() => raw.close());
  const rawError = await new Promise<grpc.ServiceError | null>((resolve) => {
    raw.makeUnaryRequest(
      '/collector.CollectionService/Get',
      (b: Buffer) => b,
      (b: Buffer) => b,
      Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]),
      (error) => resolve(error),
    );
  });
  t.ok(rawError, 'undecodable request refused');
  const wrongField = await failure(call(service, 'Get', { namespace: 'no/such', collection_name: 'x', id: 'y' }));
  t.equal(wrongField.code, grpc.status.INVALID_ARGUMENT);
  t.equal((await failure(call(service, 'Get', { id: 'x' }))).code, grpc.status.INVALID_ARGUMENT);
  t.equal((await failure(call(service, 'Create', BOOKS_AT))).code, grpc.status.INVALID_ARGUMENT, 'no item');
  t.equal((await failure(call(service, 'Update', { ...BOOKS_AT, id: 'dune', item: bookAny({ title: 'x', year: 1 }), update_mask: ['a..b'] }))).code, grpc.status.INVALID_ARGUMENT);
  const broken = await failure(call(registry, 'RegisterProto', { namespace: NS, file_descriptor: { name: 'broken.proto', messageType: [{ name: 'X', field: [{ name: 'y', number: 1, type: 11, typeName: '.nowhere.Missing' }] }] } }));
  t.ok([grpc.status.INVALID_ARGUMENT, grpc.status.NOT_FOUND].includes(broken.code), `unresolvable descriptor refused: ${broken.details}`);
  t.match(await call(service, 'Meta', {}), { status: { code: 'OK' } }, 'still serving');
  t.equal((await call(service, 'Describe', BOOKS_AT)).record_count, 5);
});
