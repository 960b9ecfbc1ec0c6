import t from 'tap';
import {
  absoluteChildName, ancestorsOf, isAtOrUnder, isLink, isValidLabel, labelName, normalizeLabel, normalizeLabelOrRoot, parentLabel, stripPrefix,
} from '../../../src/tree/labels.js';

t.test('normalizeLabel strips one leading and trailing slash', async (t) => {
  t.equal(normalizeLabel('/a/b/'), 'a/b');
  t.equal(normalizeLabel('a'), 'a');
  t.equal(normalizeLabel('λ/中/🌳'), 'λ/中/🌳');
  t.equal(normalizeLabelOrRoot('/'), '');
  t.equal(normalizeLabelOrRoot(''), '');
});

t.test('bad labels are INVALID_LABEL', async (t) => {
  for (const bad of ['', '/', '//a', 'a//b', 'a/./b', '../a', 'a/..', 'a b', 'a\nb', 'a\u0000', 'a*', 'a?b', '\ud800x']) {
    t.throws(() => normalizeLabel(bad), { code: 'INVALID_LABEL' }, JSON.stringify(bad));
  }
  t.throws(() => normalizeLabel(42), { code: 'INVALID_LABEL' });
});

t.test('label helpers', async (t) => {
  t.equal(labelName('a/b/c'), 'c');
  t.equal(labelName('a'), 'a');
  t.equal(parentLabel('a/b/c'), 'a/b');
  t.equal(parentLabel('a'), '');
  t.ok(isLink('a/b'));
  t.notOk(isLink('b'));
  t.equal(absoluteChildName('lion', 'Simba'), 'lion/Simba');
  t.equal(absoluteChildName('notes', 'lion/Simba/note0'), 'lion/Simba/note0');
  t.equal(absoluteChildName('notes', '/lion'), 'lion', 'a leading slash makes a top-level link');
  t.same([...ancestorsOf('a/b/c')], ['a/b', 'a', '']);
  t.same([...ancestorsOf('a')], ['']);
  t.ok(isAtOrUnder('a/b', 'a'));
  t.ok(isAtOrUnder('a', 'a'));
  t.notOk(isAtOrUnder('ab', 'a'), 'segment boundaries only');
  t.ok(isAtOrUnder('anything', ''));
  t.equal(stripPrefix('zoo/lion', 'zoo'), 'lion');
  t.equal(stripPrefix('zoo', 'zoo'), '');
});

t.test('the fast ASCII scan and the full check agree on random labels', async (t) => {
  // The rules written out plainly, to check the scan in labels.ts against.
  const reference = (label: string): boolean => {
    let canonical = label.startsWith('/') ? label.slice(1) : label;
    if (canonical.endsWith('/')) canonical = canonical.slice(0, -1);
    if (canonical === '' || /[\s\p{Cc}\p{Surrogate}*?]/u.test(canonical)) return false;
    return canonical.split('/').every((s) => s !== '' && s !== '.' && s !== '..');
  };
  const alphabet = ['a', 'b', '/', '/', '.', '-', '*', '?', ' ', '\t', '\u0000', '\u007f', 'é', '\u00a0', '\u2028', '猫', '~', '\ud800'];
  let seed = 7;
  const next = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
  let disagreements = 0;
  for (let i = 0; i < 20_000; i++) {
    let label = '';
    for (let n = 1 + next(8); n > 0; n--) label += alphabet[next(alphabet.length)];
    if (isValidLabel(label) !== reference(label)) disagreements++;
  }
  t.equal(disagreements, 0);
});
