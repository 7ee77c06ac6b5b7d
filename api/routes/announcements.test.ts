/**
 * Announcements over real Postgres and Redis: only server admins post; the
 * row, the capped Redis list of the latest ones (valid Announcement JSON,
 * newest first) and the control event; the paged listing for everyone.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Compile } from 'typebox/compile';
import { Announcement, type AnnouncementsResponse, type TokenResponse } from '../../shared/http/schemas.js';
import { assertProblem, createApiFixture, type ApiFixture, type ControlRecorder } from '../testing.js';

const KEEP = 3;
const isAnnouncement = Compile(Announcement);

describe('announcements', () => {
  let f: ApiFixture;
  let control: ControlRecorder;
  let root: TokenResponse;
  let alice: TokenResponse;

  const post = async (who: TokenResponse, body: string): Promise<Announcement> => {
    const res = await f.call(who, 'POST', '/v1/announcements', { body });
    assert.equal(res.statusCode, 201, res.body);
    return res.json<Announcement>();
  };
  /** The Redis list, newest first, each entry checked against the schema. */
  const latest = async (): Promise<Announcement[]> =>
    (await f.redis.lrange(f.keys.latestAnnouncements(), 0, -1)).map((raw) => {
      const value: unknown = JSON.parse(raw);
      assert.ok(isAnnouncement.Check(value), `valid Announcement: ${raw}`);
      return value as Announcement;
    });

  before(async () => {
    f = await createApiFixture({ announcementsKeepLatest: KEEP });
    root = await f.user('root');
    alice = await f.user('alice');
    await f.sql`update users set is_admin = true where id = ${root.user.id}`;
    control = await f.controlEvents();
  });
  after(async () => {
    await f?.cleanup();
  });

  test('an admin posts: 201 with the announcement, a row, the head of the Redis list, and a control event', async () => {
    await control.take();
    const a = await post(root, 'Maintenance tonight at 22:00 UTC');
    assert.ok(isAnnouncement.Check(a));
    assert.deepEqual(a.author, { id: root.user.id, username: 'root' });
    assert.equal(a.body, 'Maintenance tonight at 22:00 UTC');
    const [row] = await f.sql<{ author_id: string; author_name: string; body: string }[]>`
      select author_id, author_name, body from announcements where id = ${a.id}`;
    assert.deepEqual({ ...row }, { author_id: root.user.id, author_name: 'root', body: a.body });
    assert.deepEqual((await latest())[0], a);
    assert.deepEqual(await control.take(), [{ type: 'announcement', ...a }]);
  });

  test('anyone else gets 403 forbidden, and nothing is stored or sent', async () => {
    await control.take();
    const before = await f.redis.llen(f.keys.latestAnnouncements());
    assertProblem(await f.call(alice, 'POST', '/v1/announcements', { body: 'I am in charge now' }), 403, 'forbidden');
    const [stored] = await f.sql<{ n: number }[]>`select count(*)::int as n from announcements where body = 'I am in charge now'`;
    assert.equal(stored!.n, 0);
    assert.equal(await f.redis.llen(f.keys.latestAnnouncements()), before);
    assert.deepEqual(await control.take(), []);
    assertProblem(await f.call(null, 'POST', '/v1/announcements', { body: 'x' }), 401, 'unauthorized');
  });

  test('the body is 1–4000 characters without NUL', async () => {
    for (const body of [{}, { body: '' }, { body: 'a'.repeat(4001) }, { body: 'a\u0000b' }, { body: 'ok', extra: 1 }, { body: { text: 'ok' } }]) {
      assertProblem(await f.call(root, 'POST', '/v1/announcements', body), 400, 'bad_request');
    }
  });

  test('the Redis list keeps exactly the newest N, newest first', async () => {
    const posted: Announcement[] = [];
    for (let i = 0; i < KEEP + 2; i++) posted.push(await post(root, `notice ${i}`));
    assert.deepEqual(await latest(), posted.slice(-KEEP).reverse());
    await control.take();
  });

  test('a revoked admin can no longer post', async () => {
    await f.sql`update users set is_admin = false where id = ${root.user.id}`;
    try {
      assertProblem(await f.call(root, 'POST', '/v1/announcements', { body: 'still here?' }), 403, 'forbidden');
    } finally {
      await f.sql`update users set is_admin = true where id = ${root.user.id}`;
    }
  });

  test('GET /v1/announcements: anyone, newest first, in complete pages', async () => {
    const res = await f.call(alice, 'GET', '/v1/announcements?limit=100');
    assert.equal(res.statusCode, 200, res.body);
    const all = res.json<AnnouncementsResponse>();
    assert.equal(all.nextCursor, null);
    const [stored] = await f.sql<{ n: number }[]>`select count(*)::int as n from announcements`;
    const n = stored!.n;
    assert.equal(all.announcements.length, n);
    assert.ok(n >= KEEP + 2);
    const times = all.announcements.map((a) => a.createdAt);
    assert.deepEqual(times, [...times].sort().reverse());
    assert.equal(all.announcements[0]!.body, `notice ${KEEP + 1}`);

    const paged: Announcement[] = [];
    let cursor: string | null = null;
    do {
      const page: AnnouncementsResponse = (
        await f.call(alice, 'GET', `/v1/announcements?limit=2${cursor ? `&cursor=${cursor}` : ''}`)
      ).json<AnnouncementsResponse>();
      paged.push(...page.announcements);
      cursor = page.nextCursor;
    } while (cursor);
    assert.deepEqual(paged, all.announcements);
    assertProblem(await f.call(null, 'GET', '/v1/announcements'), 401, 'unauthorized');
    assertProblem(await f.call(alice, 'GET', '/v1/announcements?limit=0'), 400, 'bad_request');
  });

  test('an announcement outlives its author\'s account', async () => {
    const temp = await f.user('temp-admin');
    await f.sql`update users set is_admin = true where id = ${temp.user.id}`;
    const a = await post(temp, 'goodbye');
    await f.sql`delete from users where id = ${temp.user.id}`;
    const res = await f.call(alice, 'GET', '/v1/announcements?limit=100');
    const found = res.json<AnnouncementsResponse>().announcements.find((x) => x.id === a.id);
    assert.deepEqual(found?.author, { id: '00000000-0000-0000-0000-000000000000', username: 'temp-admin' });
    await control.take();
  });
});
