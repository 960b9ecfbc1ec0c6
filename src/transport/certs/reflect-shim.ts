/**
 * @peculiar/x509 resolves its algorithm providers through tsyringe, which insists on a
 * Reflect metadata API (normally the `reflect-metadata` package, not installed here).
 * This is the minimal subset tsyringe calls, defined only when nothing else provided
 * one. Imported before @peculiar/x509 wherever that is imported.
 */
type Store = Map<string | symbol | undefined, Map<unknown, unknown>>;
type MetadataApi = {
  getMetadata?: unknown;
  getOwnMetadata?: unknown;
  defineMetadata?: unknown;
  hasMetadata?: unknown;
  hasOwnMetadata?: unknown;
  metadata?: unknown;
};

const api = Reflect as unknown as MetadataApi;

if (typeof api.getMetadata !== 'function') {
  const stores = new WeakMap<object, Store>();
  const own = (target: object, prop: string | symbol | undefined, create: boolean): Map<unknown, unknown> | undefined => {
    let byProp = stores.get(target);
    if (!byProp) {
      if (!create) return undefined;
      byProp = new Map();
      stores.set(target, byProp);
    }
    let map = byProp.get(prop);
    if (!map && create) {
      map = new Map();
      byProp.set(prop, map);
    }
    return map;
  };
  const getOwn = (key: unknown, target: object, prop?: string | symbol): unknown => own(target, prop, false)?.get(key);
  const get = (key: unknown, target: object, prop?: string | symbol): unknown => {
    for (let t: object | null = target; t !== null; t = Object.getPrototypeOf(t) as object | null) {
      const map = own(t, prop, false);
      if (map?.has(key)) return map.get(key);
    }
    return undefined;
  };
  const define = (key: unknown, value: unknown, target: object, prop?: string | symbol): void => {
    own(target, prop, true)?.set(key, value);
  };
  api.getOwnMetadata = getOwn;
  api.getMetadata = get;
  api.defineMetadata = define;
  api.hasOwnMetadata = (key: unknown, target: object, prop?: string | symbol): boolean => own(target, prop, false)?.has(key) ?? false;
  api.hasMetadata = (key: unknown, target: object, prop?: string | symbol): boolean => get(key, target, prop) !== undefined;
  api.metadata =
    (key: unknown, value: unknown) =>
    (target: object, prop?: string | symbol): void =>
      define(key, value, target, prop);
}

export {};
