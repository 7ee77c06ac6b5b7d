/** Failures of a backing service are `unavailable` (503, retryable), not `internal`. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertProblem, createApiFixture, type ApiFixture } from '../testing.js';

describe('when Postgres is unreachable', () => {
  let f: ApiFixture;
  before(async () => {
    f = await createApiFixture();
    await f.register('alice');
    await f.apiSql.end({ timeout: 1 });
  });
  after(async () => {
    await f.cleanup();
  });

  test('a request that needs it is a retryable 503 with Retry-After', async () => {
    const res = await f.app.inject({
      method: 'POST',
      url: '/v1/auth/login',
      payload: { username: 'alice', password: 'correct horse battery staple' },
    });
    const body = assertProblem(res, 503, 'unavailable');
    assert.equal(body.retryable, true);
    assert.equal(res.headers['retry-after'], '1');
  });
});
