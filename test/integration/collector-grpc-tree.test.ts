/**
 * One Collector behind two frontends: the default composite served over QUIC (tree
 * paths under /collector) and the gRPC services. A record created over gRPC reaches a
 * remote tree watcher; one written through the tree is found by a gRPC Search.
 */
import t from 'tap';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import protobuf from 'protobufjs';
import { createDefaultBackend } from '../../src/frontends/config/default-backend.js';
import { PROTO_FILES, protoDir, startGrpcServer } from '../../src/frontends/grpc/index.js';
import { TreeNode } from '../../src/tree/tree-node.js';
import { Closer, client, serve, tempDir, until, within } from '../support/transport-env.js';

type Message = Record<string, unknown>;

function unary(service: grpc.Client, method: string, request: Message): Promise<Message> {
  const fn = (service as unknown as Record<string, (r: Message, cb: (e: grpc.ServiceError | null, res?: Message) => void) => void>)[method];
  if (!fn) throw new Error(`no method ${method}`);
  return new Promise((resolve, reject) => fn.call(service, request, (error, response) => (error ? reject(error) : resolve(response ?? {}))));
}

// google.protobuf.Struct, from the copy protobufjs carries, to write a schemaless record over gRPC.
function structType(): protobuf.Type {
  const root = new protobuf.Root();
  root.addJSON((protobuf.common as unknown as { get(name: string): protobuf.INamespace }).get('google/protobuf/struct.proto').nested ?? {});
  return root.lookupType('google.protobuf.Struct');
}

t.test('gRPC and tree clients share one Collector', { timeout: 90_000 }, async (t) => {
  const closer = new Closer(t);
  const opened = await createDefaultBackend({ dataDir: tempDir(t, 'wwatp-collector-grpc-tree-') });
  closer.add('default backend', () => opened.close(), opened);
  const collector = opened.collector;
  if (!collector) throw new Error('no collector mounted');
  const server = await serve(t, closer, { backend: opened.backend });
  const grpcServer = await startGrpcServer({ collector, port: 0 });
  closer.add('gRPC server', () => grpcServer.close(), grpcServer);
  const tree = await client(closer, server);

  const books = new TreeNode({ labelRule: 'collector/acme/books' });
  books.insertProperty('messageType', 'string', 'json');
  await within(tree.upsertNode([books]), 10_000, 'creating the collection through the tree');
  const events: string[] = [];
  tree.registerNodeListener('books', 'collector/acme/books', true, (_b, label, node) => {
    if (label !== 'collector/acme/books') events.push(`${label}=${JSON.stringify(node?.getProperty('record') ?? null)}`);
  });
  await tree.heartbeat();

  const definition = protoLoader.loadSync([...PROTO_FILES], { includeDirs: [protoDir()], keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true });
  const Service = (grpc.loadPackageDefinition(definition).collector as grpc.GrpcObject)['CollectionService'] as grpc.ServiceClientConstructor;
  const rpc = new Service(`127.0.0.1:${grpcServer.port}`, grpc.credentials.createInsecure());
  closer.add('gRPC client', async () => rpc.close(), rpc);

  const Struct = structType();
  const value = Buffer.from(Struct.encode(Struct.fromObject({ fields: { title: { stringValue: 'Hyperion' }, year: { numberValue: 1989 } } })).finish());
  await unary(rpc, 'Create', { namespace: 'acme', collection_name: 'books', id: 'hyperion', item: { type_url: 'type.googleapis.com/google.protobuf.Struct', value } });
  await until(() => events.includes('collector/acme/books/hyperion={"title":"Hyperion","year":1989}'), 10_000, 'the tree watcher seeing the gRPC write');
  t.same((await tree.queryNodes('collector/acme/books/*?year<2000')).map((n) => n.labelRule), ['collector/acme/books/hyperion'], 'the tree searches what gRPC wrote');

  const dune = new TreeNode({ labelRule: 'collector/acme/books/dune' });
  dune.insertProperty('record', 'json', { title: 'Dune', year: 1965 });
  await tree.upsertNode([dune]);
  const found = await unary(rpc, 'Search', { namespace: 'acme', collection_name: 'books', filters: { year: { operator: 'OP_LESS_THAN', value: { numberValue: 1970 } } }, limit: 10 });
  const titles = (found.results as Message[]).map((r) => Struct.toObject(Struct.decode((r.item as Message).value as Uint8Array)) as { fields: { title: { stringValue: string } } });
  t.same(titles.map((s) => s.fields.title.stringValue), ['Dune'], 'gRPC finds what the tree wrote');

  await unary(rpc, 'Delete', { namespace: 'acme', collection_name: 'books', id: 'hyperion' });
  await until(() => events.includes('collector/acme/books/hyperion=null'), 10_000, 'the tree watcher seeing the gRPC delete');
  t.pass('deletions over gRPC reach tree watchers');
});
