import t from 'tap';
import { TreeNode } from '../../../../src/tree/index.js';
import { treeToYaml, yamlToTree } from '../../../../src/tree/codecs/yaml-tree.js';
import { prng, randomTree, sameNodes } from './fixtures/random-nodes.js';

const ANIMALS: Array<[string, string, number, string, string[]]> = [
  ['lion', 'King of the jungle', 10, 'carnivore', ['Simba', 'Nala']],
  ['elephant', 'Largest land animal', 8, 'herbivore', ['Dumbo', 'Babar']],
  ['parrot', 'Colorful bird', 7, 'omnivore', ['Polly', 'Jerome']],
];

/** The 28-node animal test bed: 3 animals, 6 dossiers, 18 notes and a `notes` page. */
function testBed(): TreeNode[] {
  const nodes: TreeNode[] = [];
  const notes: string[] = [];
  for (const [name, description, popularity, diet, children] of ANIMALS) {
    const animal = new TreeNode({ labelRule: name, description, childNames: children });
    animal.insertProperty('popularity', 'int64', popularity);
    animal.insertProperty('diet', 'string', diet);
    nodes.push(animal);
    for (const child of children) {
      nodes.push(new TreeNode({ labelRule: `${name}/${child}`, description: `${child} the ${name}`, childNames: ['note0', 'note1', 'note2'] }));
      for (let i = 0; i < 3; i++) {
        const label = `${name}/${child}/note${i}`;
        notes.push(label);
        nodes.push(new TreeNode({ labelRule: label, description: `${child}'s note ${i}` }));
      }
    }
  }
  nodes.push(new TreeNode({ labelRule: 'notes', description: 'Every note', childNames: notes }));
  return nodes;
}

function shuffled<T>(items: readonly T[], rand: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

t.test('the animal test bed round trips', async (t) => {
  const bed = testBed();
  t.equal(bed.length, 28);
  const text = treeToYaml(bed);
  const back = yamlToTree(text);
  t.equal(sameNodes(back, bed), undefined);
  t.equal(treeToYaml(shuffled(bed, prng(5))), text, 'input order does not change the text');
  t.equal(back[0]?.labelRule, 'elephant', 'top-level labels are sorted');
  t.same(
    back.slice(0, 9).map((n) => n.labelRule),
    ['elephant', 'elephant/Dumbo', 'elephant/Dumbo/note0', 'elephant/Dumbo/note1', 'elephant/Dumbo/note2', 'elephant/Babar', 'elephant/Babar/note0', 'elephant/Babar/note1', 'elephant/Babar/note2'],
    'parents first, children in childNames order',
  );
  t.match(text, /^lion:\n {2}description: King of the jungle\n {2}popularity\.int64: 10\n {2}diet\.string: carnivore\n {2}children:\n {4}Simba:\n/m);
  t.match(text, /^notes:\n {2}description: Every note\n {2}child_names:\n {4}- lion\/Simba\/note0\n/m);
  t.notMatch(text, /version:/, 'default versions are omitted');
  t.equal(text.match(/child_names/g)?.length, 1, 'child_names only where they differ from children');
  t.equal(back.find((n) => n.labelRule === 'lion')?.getProperty('popularity'), 10n);
});

t.test('hand-written YAML', async (t) => {
  const nodes = yamlToTree(`
zoo:
  children:
    lion:
      description: King
      popularity.int64: 9223372036854775807
      size.x.double: 2
      ratio.float: -0
      born.datetime: 2020-01-02T03:04:05Z
      photo.bytes: !!binary aGVsbG8=
      tags.List: [a, 1, {b: null}]
      meta.json: {n: 1, s: two}
      gone.Removed: null
      cb.Callback: Once
      version: {number: 3, max: 10, authors: people/alice}
      query_how_to: ask
      child_names: [cub, other/place]
`);
  t.equal(nodes.length, 1, 'zoo is a placeholder');
  const lion = nodes[0] as TreeNode;
  t.equal(lion.labelRule, 'zoo/lion');
  t.equal(lion.getProperty('popularity'), 2n ** 63n - 1n);
  t.equal(lion.getProperty('size.x'), 2);
  t.ok(Object.is(lion.getProperty('ratio'), -0), 'a plain -0 keeps its sign for floats');
  t.same(lion.getProperty('born'), new Date('2020-01-02T03:04:05Z'));
  t.same(lion.getProperty('photo'), new TextEncoder().encode('hello'));
  t.same(lion.getProperty('tags'), ['a', 1, { b: null }]);
  t.same(lion.getProperty('meta'), { n: 1, s: 'two' });
  t.equal(lion.getProperty('gone'), null);
  t.same(lion.version, { versionNumber: 3, maxVersionSequence: 10, policy: 'default', authors: 'people/alice' });
  t.equal(lion.queryHowTo, 'ask');
  t.equal(lion.qaSequence, undefined);
  t.same(lion.childNames, ['cub', 'other/place']);
  t.same(yamlToTree(''), []);
  t.same(yamlToTree('{}'), []);
  t.equal(treeToYaml([]), '{}\n');
  t.same(yamlToTree('a: {}').map((n) => n.description), [''], 'an empty mapping is a node with defaults');
  const aliased = yamlToTree('a:\n  description: &d shared\n  copy.string: *d\n  list.json: &l [1, 2]\n  again.List: *l\n')[0];
  t.equal(aliased?.getProperty('copy'), 'shared', 'aliases work for values');
  t.same(aliased?.getProperty('again'), [1, 2]);
});

t.test('placeholders stand for labels without nodes', async (t) => {
  const deep = new TreeNode({ labelRule: 'a/b/c', description: 'deep' });
  const text = treeToYaml([deep]);
  t.equal(text, 'a:\n  children:\n    b:\n      children:\n        c:\n          description: deep\n');
  t.equal(sameNodes(yamlToTree(text), [deep]), undefined);
  const withEmptyChildren = yamlToTree('a:\n  children:\n    b:\n      description: ""\n      children: {}\n');
  t.same(withEmptyChildren.map((n) => n.labelRule), ['a/b']);
});

t.test('random trees round trip exactly', async (t) => {
  for (let seed = 100; seed < 400; seed++) {
    const rand = prng(seed);
    const nodes = randomTree(rand, 1 + Math.floor(rand() * 15));
    const text = treeToYaml(nodes);
    let back: TreeNode[] = [];
    try {
      back = yamlToTree(text);
    } catch (error) {
      t.fail(`seed ${seed}: ${String(error)}\n${text}`);
      continue;
    }
    const problem = sameNodes(back, nodes);
    if (problem) t.fail(`seed ${seed}: ${problem}\n${text}`);
    if (treeToYaml(shuffled(nodes, rand)) !== text) t.fail(`seed ${seed}: text depends on input order`);
    const seen = new Set<string>();
    for (const node of back) {
      const parent = nodes.map((n) => n.labelRule).find((l) => node.labelRule.startsWith(`${l}/`) && !seen.has(l));
      if (parent) t.fail(`seed ${seed}: ${node.labelRule} came before its ancestor ${parent}`);
      seen.add(node.labelRule);
    }
  }
  t.pass('300 random trees');
});

t.test('duplicate labels are refused when writing', async (t) => {
  t.throws(() => treeToYaml([new TreeNode({ labelRule: 'a' }), new TreeNode({ labelRule: '/a/' })]), { code: 'INVALID_NODE' });
});

t.test('malformed documents', async (t) => {
  const cases: Array<[string, string, RegExp?]> = [
    ['a: [unclosed', 'MALFORMED'],
    ['a: 1\n---\nb: 2\n', 'MALFORMED'],
    ['- a\n- b\n', 'MALFORMED'],
    ['just text', 'MALFORMED'],
    ['a: 5\n', 'MALFORMED', /node "a"/],
    ['a:\n', 'MALFORMED', /node "a"/],
    ['a:\n  colour: red\n', 'MALFORMED', /node "a".*unknown key "colour"/],
    ['a:\n  description: 5\n', 'MALFORMED', /description/],
    ['a:\n  description: x\n  description: y\n', 'MALFORMED'],
    ['a:\n  version: 3\n', 'MALFORMED', /version/],
    ['a:\n  version: {number: x}\n', 'MALFORMED', /version number/],
    ['a:\n  version: {serial: 1}\n', 'MALFORMED', /serial/],
    ['a:\n  version: {number: 300}\n', 'INVALID_NODE', /node "a"/],
    ['a:\n  child_names: b\n', 'MALFORMED', /child_names/],
    ['a:\n  child_names: [1]\n', 'MALFORMED', /child_names/],
    ['a:\n  children: [b]\n', 'MALFORMED', /children/],
    ['a:\n  children:\n    b: x\n', 'MALFORMED', /node "a\/b"/],
    ['a:\n  p.nosuchtype: 1\n', 'INVALID_PROPERTY', /node "a".*nosuchtype/],
    ['a:\n  .int64: 1\n', 'INVALID_PROPERTY', /node "a"/],
    ['a:\n  p.int64: 1\n  p.string: x\n', 'INVALID_PROPERTY', /node "a"/],
    ['a b:\n  description: x\n', 'INVALID_LABEL', /a b/],
    ['a/b:\n  description: x\n', 'INVALID_LABEL', /a\/b/],
    ['"..":\n  description: x\n', 'INVALID_LABEL'],
    ['"":\n  description: x\n', 'INVALID_LABEL'],
    ['1: {}\n"1": {}\n', 'MALFORMED', /appears twice/],
    ['[a]: {}\n', 'MALFORMED'],
    ['x: &n {description: d}\ny: *n\n', 'MALFORMED', /node "y"/],
    ['a:\n  l.List: {x: 1}\n', 'TYPE_MISMATCH', /node "a".*"l"/],
    ['a:\n  b.bytes: plain text\n', 'TYPE_MISMATCH', /node "a".*"b"/],
    ['a:\n  c.Callback: Never\n', 'TYPE_MISMATCH', /node "a"/],
    ['a:\n  d.datetime: not a date\n', 'TYPE_MISMATCH', /node "a"/],
    ['a:\n  u.uint64: -1\n', 'TYPE_MISMATCH', /node "a"/],
    ['a:\n  i.int64: 9223372036854775808\n', 'TYPE_MISMATCH', /node "a"/],
    ['a:\n  r.Removed: 1\n', 'TYPE_MISMATCH', /node "a"/],
  ];
  for (const [text, code, message] of cases) {
    t.throws(() => yamlToTree(text), message ? { name: 'WwatpError', code, message } : { name: 'WwatpError', code }, JSON.stringify(text));
  }
  t.throws(() => yamlToTree(5 as unknown as string), { code: 'MALFORMED' });
  // Alias expansion is bounded (yaml's maxAliasCount), so a billion-laughs document fails fast.
  const tens = (alias: string): string => `[${Array(10).fill(alias).join(', ')}]`;
  const bomb = `n:\n  a.json: &a ${tens('x')}\n  b.json: &b ${tens('*a')}\n  c.json: &c ${tens('*b')}\n  d.json: ${tens('*c')}\n`;
  t.throws(() => yamlToTree(bomb), { code: 'MALFORMED' });
});

t.test('a wrong-typed value is TYPE_MISMATCH naming node and property', async (t) => {
  const text = treeToYaml(testBed()).replace('popularity.int64: 10', 'popularity.int64: ten');
  t.throws(() => yamlToTree(text), { code: 'TYPE_MISMATCH', message: /node "lion".*property "popularity"/ });
  t.throws(() => yamlToTree('lion:\n  diet.string: 5\n'), { code: 'TYPE_MISMATCH', message: /node "lion".*"diet"/ });
  t.throws(() => yamlToTree('lion:\n  ok.bool: "true"\n'), { code: 'TYPE_MISMATCH', message: /"ok"/ });
  t.equal(yamlToTree('lion:\n  n.int64: 7\n')[0]?.getProperty('n'), 7n, 'integers read back as bigint');
  t.equal(yamlToTree('lion:\n  n.double: 7\n')[0]?.getProperty('n'), 7, 'an integer is accepted for a double');
});

t.test('a leading BOM in a string property survives', async (t) => {
  const node = new TreeNode({ labelRule: 'a', description: '\ufeffd' });
  node.insertProperty('s', 'string', '\ufeffs');
  t.equal(sameNodes(yamlToTree(treeToYaml([node])), [node]), undefined);
});
