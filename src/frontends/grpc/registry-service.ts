import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import descriptor from 'protobufjs/ext/descriptor/index.js';
import { WwatpError } from '../../tree/errors.js';
import { unary } from './calls.js';
import type { GrpcServiceInfo } from './core.js';
import type { HandlerContext } from './context.js';
import { encodeMessage, fieldName } from './proto.js';
import { errorStatus, okStatus } from './status.js';
import { msg, msgList, str, strList, type Obj } from './wire.js';

/** Field names of the descriptor messages, looked up by number (see well-known.ts). */
interface DescriptorNames {
  fileName: string;
  filePackage: string;
  fileDependency: string;
  fileMessages: string;
  fileServices: string;
  serviceName: string;
  serviceMethods: string;
  methodName: string;
  methodInput: string;
  methodOutput: string;
  methodClientStreaming: string;
  methodServerStreaming: string;
  messageName: string;
}

function descriptorNames(root: protobuf.Root): DescriptorNames {
  const f = (type: string, id: number): string => fieldName(root, `google.protobuf.${type}`, id);
  return {
    fileName: f('FileDescriptorProto', 1),
    filePackage: f('FileDescriptorProto', 2),
    fileDependency: f('FileDescriptorProto', 3),
    fileMessages: f('FileDescriptorProto', 4),
    fileServices: f('FileDescriptorProto', 6),
    serviceName: f('ServiceDescriptorProto', 1),
    serviceMethods: f('ServiceDescriptorProto', 2),
    methodName: f('MethodDescriptorProto', 1),
    methodInput: f('MethodDescriptorProto', 2),
    methodOutput: f('MethodDescriptorProto', 3),
    methodClientStreaming: f('MethodDescriptorProto', 5),
    methodServerStreaming: f('MethodDescriptorProto', 6),
    messageName: f('DescriptorProto', 1),
  };
}

function requireNamespace(req: Obj): string {
  const namespace = str(req, 'namespace');
  if (namespace === '') throw new WwatpError('MALFORMED', 'namespace is required');
  return namespace;
}

/** Files that others import come first, so each one's references resolve when it is added. */
function dependencyOrder(files: Obj[], n: DescriptorNames): Obj[] {
  const byName = new Map(files.map((f) => [str(f, n.fileName), f]));
  const out: Obj[] = [];
  const seen = new Set<string>();
  const visit = (f: Obj): void => {
    const name = str(f, n.fileName);
    if (seen.has(name)) return;
    seen.add(name);
    for (const dep of strList(f, n.fileDependency)) {
      const d = byName.get(dep);
      if (d !== undefined) visit(d);
    }
    out.push(f);
  };
  files.forEach(visit);
  return out;
}

const WELL_KNOWN = 'google/protobuf/';

/**
 * A well-known file (google/protobuf/timestamp.proto, …) as FileDescriptorProto bytes,
 * built from the copy protobufjs bundles, for a client that imports one without sending it.
 */
function wellKnownFile(name: string): Uint8Array | undefined {
  const json = (protobuf.common as unknown as { get(n: string): protobuf.INamespace | undefined }).get(name);
  if (json === undefined) return undefined;
  try {
    const root = protobuf.Root.fromJSON(json);
    // Map fields (Struct's) describe themselves only once their value types are resolved.
    root.resolveAll();
    const set = (root as unknown as { toDescriptor(syntax: string): protobuf.Message }).toDescriptor('proto3');
    const file = (descriptor.FileDescriptorSet.toObject(set) as { file?: Array<Record<string, unknown>> }).file?.[0];
    if (file === undefined) return undefined;
    return descriptor.FileDescriptorProto.encode(descriptor.FileDescriptorProto.fromObject({ ...file, name })).finish();
  } catch {
    // Left out: the registry then names the missing import itself.
    return undefined;
  }
}

/** A FileDescriptorSet is its files, each as field 1: concatenating encoded files builds one. */
function descriptorSet(files: readonly Uint8Array[]): Uint8Array {
  const writer = protobuf.Writer.create();
  for (const f of files) writer.uint32(10).bytes(f);
  return writer.finish();
}

export function registryHandlers(ctx: HandlerContext, root: protobuf.Root): UntypedServiceImplementation {
  const { registry } = ctx.collector;
  const n = descriptorNames(root);

  const fileType = root.lookupType('google.protobuf.FileDescriptorProto');

  /**
   * Registers one file. The well-known files it imports travel in the same set (the
   * client's copy when it sent one in `sent`), since the registry resolves a descriptor
   * set's references only against what the namespace already holds.
   */
  const register = async (namespace: string, file: Obj, sent: ReadonlyMap<string, Obj> = new Map()) => {
    const fileName = str(file, n.fileName);
    if (fileName === '') throw new WwatpError('MALFORMED', 'file_descriptor.name is required');
    const parts: Uint8Array[] = [];
    for (const dep of strList(file, n.fileDependency)) {
      if (!dep.startsWith(WELL_KNOWN)) continue;
      const given = sent.get(dep);
      const bytes = given !== undefined ? encodeMessage(fileType, given) : wellKnownFile(dep);
      if (bytes !== undefined) parts.push(bytes);
    }
    parts.push(encodeMessage(fileType, file));
    return registry.registerDescriptorSet({ namespace, fileName, descriptorSet: descriptorSet(parts) });
  };

  const registeredService = (info: GrpcServiceInfo): Obj => {
    const dot = info.name.lastIndexOf('.');
    return {
      id: `${info.namespace}/${info.name}`,
      namespace: info.namespace,
      service_name: info.name,
      service_descriptor: {
        [n.serviceName]: info.name.slice(dot + 1),
        [n.serviceMethods]: info.methods.map((m) => ({
          [n.methodName]: m.name,
          [n.methodInput]: `.${m.inputType}`,
          [n.methodOutput]: `.${m.outputType}`,
          [n.methodClientStreaming]: m.clientStreaming,
          [n.methodServerStreaming]: m.serverStreaming,
        })),
      },
      method_names: info.methods.map((m) => m.name),
    };
  };

  const serviceResponse = (namespace: string, info: GrpcServiceInfo): Obj => ({
    status: okStatus(),
    service_id: `${namespace}/${info.name}`,
    registered_methods: info.methods.map((m) => m.name),
  });

  /**
   * A service_descriptor names its service without the package; the service may already
   * sit in a registered file. Try the name under each package the namespace's types and
   * the service's own method types use; undefined when none holds it.
   */
  const registerKnown = async (namespace: string, shortName: string, service: Obj): Promise<Obj | undefined> => {
    const packages = new Set<string>();
    const addPackageOf = (typeName: string): void => {
      const clean = typeName.replace(/^\./, '');
      for (let i = clean.lastIndexOf('.'); i > 0; i = clean.lastIndexOf('.', i - 1)) packages.add(clean.slice(0, i));
    };
    for (const m of msgList(service, n.serviceMethods)) {
      addPackageOf(str(m, n.methodInput));
      addPackageOf(str(m, n.methodOutput));
    }
    for (const t of registry.messageTypes(namespace)) addPackageOf(t);
    for (const name of [shortName, ...[...packages].map((p) => `${p}.${shortName}`)]) {
      try {
        return serviceResponse(namespace, await registry.registerService({ namespace, name }));
      } catch (error) {
        if (!WwatpError.is(error, 'NOT_FOUND')) throw error;
      }
    }
    return undefined;
  };

  return {
    // Each dependency is registered as its own file (well-known google/protobuf ones are
    // built in), then the file itself; registering a file again replaces it.
    RegisterProto: unary(async (req) => {
      const namespace = requireNamespace(req);
      const file = msg(req, 'file_descriptor');
      if (file === undefined) throw new WwatpError('MALFORMED', 'file_descriptor is required');
      const all = msgList(req, 'dependencies');
      const wellKnown = new Map(all.filter((d) => str(d, n.fileName).startsWith(WELL_KNOWN)).map((d) => [str(d, n.fileName), d]));
      const deps = all.filter((d) => !wellKnown.has(str(d, n.fileName)));
      for (const dep of dependencyOrder(deps, n)) await register(namespace, dep, wellKnown);
      const registered = await register(namespace, file, wellKnown);
      return {
        status: okStatus(),
        proto_id: `${namespace}/${str(file, n.fileName)}`,
        registered_messages: registered.messages,
      };
    }),

    // The service may sit in file_descriptor (registered first), in a file registered
    // earlier, or only in service_descriptor, which then becomes a file of its own.
    RegisterService: unary(async (req) => {
      const namespace = requireNamespace(req);
      const service = msg(req, 'service_descriptor');
      if (service === undefined) throw new WwatpError('MALFORMED', 'service_descriptor is required');
      const shortName = str(service, n.serviceName);
      if (shortName === '') throw new WwatpError('MALFORMED', 'service_descriptor.name is required');
      const file = msg(req, 'file_descriptor');
      let name = shortName;
      if (file !== undefined) {
        const pkg = str(file, n.filePackage);
        name = pkg === '' ? shortName : `${pkg}.${shortName}`;
        const services = msgList(file, n.fileServices);
        const present = services.some((s) => str(s, n.serviceName) === shortName);
        await register(namespace, present ? file : { ...file, [n.fileServices]: [...services, service] });
      } else {
        const known = await registerKnown(namespace, shortName, service);
        if (known !== undefined) return known;
        await register(namespace, { [n.fileName]: `${shortName}.service.proto`, syntax: 'proto3', [n.fileServices]: [service] });
      }
      return serviceResponse(namespace, await registry.registerService({ namespace, name }));
    }),

    // As in the earlier server, an unknown service is an OK call whose Status says NOT_FOUND.
    LookupService: unary(async (req) => {
      const namespace = requireNamespace(req);
      const name = str(req, 'service_name');
      const info = registry.lookupService(namespace, name);
      if (info === undefined) {
        return { status: errorStatus(new WwatpError('NOT_FOUND', `service ${name} is not registered in namespace ${namespace}`)) };
      }
      return { status: okStatus(), service: registeredService(info) };
    }),

    ValidateMethod: unary(async (req) => {
      const namespace = requireNamespace(req);
      try {
        registry.validateMethod(namespace, str(req, 'service_name'), str(req, 'method_name'));
        return { status: okStatus(), is_valid: true, message: 'method is valid' };
      } catch (error) {
        if (!WwatpError.is(error, 'NOT_FOUND')) throw error;
        return { status: errorStatus(error), is_valid: false, message: error.message };
      }
    }),

    ListServices: unary(async (req) => {
      const namespace = str(req, 'namespace');
      const services = registry.listServices(namespace === '' ? undefined : namespace);
      return { status: okStatus(), services: services.map(registeredService) };
    }),
  };
}
