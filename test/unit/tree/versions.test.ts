import t from 'tap';
import { compareVersionNumbers, incrementVersion, isNewerVersion, makeVersion } from '../../../src/tree/versions.js';

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
