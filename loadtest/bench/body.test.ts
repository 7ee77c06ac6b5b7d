import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeBody, parseBody, parsed } from './body.js';

test('a body carries its send time, publisher and number, padded to the size asked', () => {
  const body = makeBody(1763712000123.456, 17, 4021, 100);
  assert.equal(body.length, 100);
  assert.ok(parseBody(body));
  assert.deepEqual({ ...parsed }, { sentAtMs: 1763712000123.456, publisher: 17, n: 4021 });
});

test('bodies not made by the generator are refused', () => {
  for (const body of ['', 'hello', 't=12;p=1;n=2', 't=1.5;p=;n=2;xxxxxxx', 't=1.5;q=1;n=2;xxxxxxx']) assert.equal(parseBody(body), false, body);
});
