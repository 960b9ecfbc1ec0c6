import type { Test } from 'tap';
import type { Backend } from '../../src/backends/backend.js';
import { CompositeBackend } from '../../src/backends/composite-backend.js';
import type { TreeNode } from '../../src/tree/tree-node.js';
import { joinLabel } from '../../src/tree/labels.js';
import { animalNodes } from './animals.js';

export interface ConformanceTarget {
  backend: Backend;
  /** A second view of the same tree (another wrapper or client), for peer notification. */
  peer?: Backend;
  close?: () => Promise<void>;
}

export interface ConformanceOptions {
  /** Makes a backend over a fresh, empty tree. */
  make: () => Promise<ConformanceTarget>;
  /** Where the suite writes (e.g. 'zoo' for a composite mount); '' by default. */
  prefix?: string;
  /** Whether openTransactionLayer/closeTransactionLayers stage (else they must be UNSUPPORTED). */
  transactionLayers?: boolean;
  /** The backend's content limit (default 16 MiB). */
  maxContentBytes?: number;
  /** Rounds of build-and-delete (default 1000). */
  rounds?: number;
  /** Random property round trips (default 200). */
  propertyCases?: number;
}

export type TestFn = Test;

export interface Ctx {
  readonly opts: Required<Omit<ConformanceOptions, 'make'>>;
  /** A fresh target, closed when the test `t` ends. */
  fresh(t: Test): Promise<ConformanceTarget>;
  /** A label under the suite's prefix. */
  at(label: string): string;
  /** A fresh backend loaded with the animal test bed. */
  loaded(t: Test): Promise<ConformanceTarget>;
}

export function makeCtx(options: ConformanceOptions): Ctx {
  const opts = {
    prefix: options.prefix ?? '',
    transactionLayers: options.transactionLayers ?? false,
    maxContentBytes: options.maxContentBytes ?? 16 * 1024 * 1024,
    rounds: options.rounds ?? 1000,
    propertyCases: options.propertyCases ?? 200,
  };
  const fresh = async (t: Test): Promise<ConformanceTarget> => {
    const target = await options.make();
    t.teardown(async () => {
      await target.close?.();
    });
    return target;
  };
  return {
    opts,
    fresh,
    at: (label) => joinLabel(opts.prefix, label),
    async loaded(t) {
      const target = await fresh(t);
      t.ok(await target.backend.upsertNode(animalNodes(opts.prefix)), 'test bed upserted');
      return target;
    },
  };
}

/** Labels of a list of nodes, for readable comparisons. */
export function labelsOf(nodes: readonly TreeNode[]): string[] {
  return nodes.map((n) => n.labelRule);
}

/** Collects listener events as [label, description or null]. */
export function recorder(): { events: Array<[string, string | null]>; listener: (b: Backend, label: string, node: TreeNode | undefined) => void } {
  const events: Array<[string, string | null]> = [];
  return { events, listener: (_b, label, node) => void events.push([label, node ? node.description : null]) };
}

/**
 * Labels a target lists at the root although the suite wrote nothing there: a
 * composite's mount points, each shown as a (synthesized) node while its root holds no
 * node at the label. Rules run at the root (`*`, `**`) expect them besides the test
 * bed. The suite writes nothing into a mount outside its prefix, so a mount made empty
 * by `make` adds its mount point and nothing else.
 */
export function mountPointsOf(backend: Backend): string[] {
  return backend instanceof CompositeBackend ? backend.mounts : [];
}
