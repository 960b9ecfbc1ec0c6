import t from 'tap';
import { compareVersionNumbers, DEFAULT_VERSION, incrementVersion, isNewerVersion, makeVersion, plainVersion, versionFromFields } from '../../../src/tree/versions.js';

t.test('wrap-aware ordering', async (t) => {
  t.equal(compareVersionNumbers(5, 250, 256), 1, '5 is newer than 250 with max 256');
  t.equal(compareVersionNumbers(250, 5, 256), -1);
  t.equal(compareVersionNumbers(10, 9, 256), 1);
  t.equal(compareVersionNumbers(9, 10, 256), -1);
  t.equal(compareVersionNumbers(7, 7, 256), 0);
  t.equal(compareVersionNumbers(0, 65535, 65536), 1);
  t.ok(isNewerVersion(makeVersion({ versionNumber: 1 }), makeVersion({ versionNumber: 255 })));
});

t.test('increment wraps at max', async (t) => {
  t.equal(incrementVersion(makeVersion({ versionNumber: 255 })).versionNumber, 0);
  t.equal(incrementVersion(makeVersion({ versionNumber: 3, maxVersionSequence: 4 })).versionNumber, 0);
  const v = incrementVersion(makeVersion({ versionNumber: 1, policy: 'token-ring', authors: 'ring', collisionDepth: 3 }));
  t.same(v, { versionNumber: 2, maxVersionSequence: 256, policy: 'token-ring', authors: 'ring', collisionDepth: 3 });
  t.ok(Object.isFrozen(v));
});

t.test('bad versions are INVALID_NODE', async (t) => {
  t.throws(() => makeVersion({ versionNumber: 256 }), { code: 'INVALID_NODE' });
  t.throws(() => makeVersion({ versionNumber: 1.5 }), { code: 'INVALID_NODE' });
  t.throws(() => makeVersion({ maxVersionSequence: 1 }), { code: 'INVALID_NODE' });
  t.throws(() => makeVersion({ maxVersionSequence: 65537 }), { code: 'INVALID_NODE' });
  t.throws(() => makeVersion({ policy: 3 as unknown as string }), { code: 'INVALID_NODE' });
});

t.test('versions at the defaults but the number are shared values, and still checked', async (t) => {
  t.equal(versionFromFields(5, 256, 'default', null, null, null, null), makeVersion({ versionNumber: 5 }), 'one value for version 5');
  t.equal(makeVersion(), DEFAULT_VERSION);
  t.ok(Object.isFrozen(makeVersion({ versionNumber: 7 })));
  t.not(versionFromFields(5, 256, 'default', 'proof', null, null, null), makeVersion({ versionNumber: 5 }), 'another field set: its own value');
  t.throws(() => versionFromFields(256, 256, 'default', null, null, null, null), { code: 'INVALID_NODE' });
  t.throws(() => plainVersion(1.5), { code: 'INVALID_NODE' });
  t.same(incrementVersion(makeVersion({ versionNumber: 255 })), { versionNumber: 0, maxVersionSequence: 256, policy: 'default' }, 'wraps to the shared version 0');
});
