import type { Test } from 'tap';
import { makeCtx, type ConformanceOptions } from './context.js';
import { badInputChecks } from './checks/bad-input.js';
import { layerChecks } from './checks/layers.js';
import { listenerChecks } from './checks/listeners.js';
import { propertyChecks } from './checks/properties.js';
import { queryChecks } from './checks/queries.js';
import { testBedChecks } from './checks/test-bed.js';
import { transactionChecks } from './checks/transactions.js';

export type { ConformanceOptions, ConformanceTarget } from './context.js';
export { animalNodes, noteLabels, animalSubtree, TEST_BED_SIZE } from './animals.js';

/**
 * The conformance suite every Backend must pass, local or remote: the animal test bed,
 * listeners, label rules, transactions, property round trips, bad input and (where the
 * backend stages them) transaction layers.
 */
export function runConformanceSuite(t: Test, options: ConformanceOptions): void {
  const ctx = makeCtx(options);
  t.test('test bed', async (t) => testBedChecks(t, ctx));
  t.test('listeners', async (t) => listenerChecks(t, ctx));
  t.test('label rules', async (t) => queryChecks(t, ctx));
  t.test('transactions', async (t) => transactionChecks(t, ctx));
  t.test('properties', async (t) => propertyChecks(t, ctx));
  t.test('bad input', async (t) => badInputChecks(t, ctx));
  t.test('transaction layers', async (t) => layerChecks(t, ctx));
}
