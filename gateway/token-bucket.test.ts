import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TokenBucket } from './token-bucket.js';

test('a burst is allowed, then the rate, and the wait is reported', () => {
  const b = new TokenBucket(2, 3, 0);
  assert.deepEqual([b.take(0), b.take(0), b.take(0)], [0, 0, 0]);
  assert.equal(b.take(0), 500, 'one token per 500 ms at 2/s');
  assert.equal(b.take(250), 250);
  assert.equal(b.take(500), 0);
  assert.equal(b.take(500), 500);
});

test('idle time refills up to the burst, no further', () => {
  const b = new TokenBucket(10, 2, 0);
  b.take(0);
  b.take(0);
  const after = [b.take(60_000), b.take(60_000), b.take(60_000)];
  assert.deepEqual(after.map((w) => w === 0), [true, true, false]);
});
