import t from 'tap';
import { parseLabelRule, ruleCovers } from '../../../src/tree/label-rule.js';

const cases: Array<[string, string[], string[]]> = [
  ['lion', ['lion'], ['lion/Simba', 'lionel', 'x/lion']],
  ['lion/*', ['lion/Simba', 'lion/Nala'], ['lion', 'lion/Simba/note0', 'lionel/x']],
  ['*/Simba', ['lion/Simba'], ['Simba', 'a/b/Simba']],
  ['lion/**', ['lion/Simba', 'lion/Simba/note0'], ['lion', 'lionel/x']],
  ['**/note0', ['note0', 'a/note0', 'a/b/c/note0'], ['note0x', 'a/note1']],
  ['a/**/z', ['a/z', 'a/b/z', 'a/b/c/z'], ['a', 'z', 'b/z']],
  ['**', ['a', 'a/b/c'], ['']],
  ['note*', ['note', 'note0', 'notebook'], ['a/note0', 'nota']],
  ['a.b/(x)', ['a.b/(x)'], ['aXb/(x)', 'a.b/x']],
];

t.test('rules match the labels they should and no others', async (t) => {
  for (const [rule, yes, no] of cases) {
    const parsed = parseLabelRule(rule);
    for (const label of yes) t.ok(parsed.matches(label), `${rule} matches ${label}`);
    for (const label of no) t.notOk(parsed.matches(label), `${rule} does not match ${label}`);
  }
});

t.test('literal prefix, exactness and queries', async (t) => {
  t.equal(parseLabelRule('a/b/*/c').literalPrefix, 'a/b');
  t.equal(parseLabelRule('**/x').literalPrefix, '');
  t.ok(parseLabelRule('/a/b/').exact);
  t.equal(parseLabelRule('/a/b/').path, 'a/b');
  const q = parseLabelRule('/collector/acme/books/*?year>=2000&order=-year');
  t.equal(q.path, 'collector/acme/books/*');
  t.equal(q.query, 'year>=2000&order=-year');
  t.equal(parseLabelRule('a').query, undefined);
});

t.test('ruleCovers applies childNotify on segment boundaries', async (t) => {
  const lion = parseLabelRule('lion');
  t.ok(ruleCovers(lion, 'lion/Simba/note0', true));
  t.notOk(ruleCovers(lion, 'lion/Simba/note0', false));
  t.notOk(ruleCovers(lion, 'lionel', true));
  t.ok(ruleCovers(parseLabelRule(''), 'anything/at/all', true));
  t.ok(ruleCovers(parseLabelRule('*/Simba'), 'lion/Simba/note1', true));
});

t.test('bad rules are INVALID_RULE', async (t) => {
  for (const bad of ['a//b', 'a/./b', 'a/../b', 'a b', 'a/**b', '***', '\t']) t.throws(() => parseLabelRule(bad), { code: 'INVALID_RULE' }, JSON.stringify(bad));
  t.throws(() => parseLabelRule(null), { code: 'INVALID_RULE' });
});

t.test('allBelow: only `<prefix>/**`, and then every label below the prefix matches', async (t) => {
  for (const [rule, expected] of [['a/**', true], ['a/b/**', true], ['**', false], ['a/**/b', false], ['a/*', false], ['a/*/**', false], ['a', false], ['a/**?x=1', true]] as const) {
    t.equal(parseLabelRule(rule).allBelow === true, expected, rule);
  }
  const below = ['a/b/c', 'a/x', 'a/b', 'a/é/日本/z', 'a/**x', 'a/.hidden/y'];
  const rule = parseLabelRule('a/**');
  for (const label of below) t.ok(rule.matches(label), `a/** matches ${label}, as allBelow promises`);
  t.notOk(rule.matches('a'), 'but not the prefix itself');
});
