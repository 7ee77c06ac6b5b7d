import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SessionIndex } from './sessions.js';
import type { Socket } from './connection.js';

const socket = (userId: string, sessionId: string) =>
  ({ getUserData: () => ({ principal: { userId, sessionId, username: userId, expiresAt: 0 } }) }) as unknown as Socket;

test('sessions and users with one socket or several are indexed and released alike', () => {
  const index = new SessionIndex();
  const a1 = socket('alice', 's1');
  const a2 = socket('alice', 's1');
  const a3 = socket('alice', 's2');
  const b = socket('bob', 's3');
  for (const ws of [a1, a2, a3, b]) index.add(ws);
  index.add(a1); // twice: counted once
  assert.equal(index.size, 4);
  assert.deepEqual(index.socketsOf('s1'), [a1, a2]);
  assert.deepEqual(index.socketsOfUser('alice'), [a1, a2, a3]);
  assert.deepEqual(index.socketsOf('s3'), [b]);
  index.remove(a1);
  index.remove(a1); // a repeated close changes nothing
  assert.equal(index.size, 3);
  assert.deepEqual(index.socketsOf('s1'), [a2]);
  index.remove(a2);
  assert.deepEqual(index.socketsOf('s1'), []);
  assert.deepEqual(index.sessionIds().sort(), ['s2', 's3']);
  index.remove(a3);
  index.remove(b);
  assert.equal(index.size, 0);
  assert.deepEqual(index.userIds(), []);
  assert.deepEqual(index.all(), []);
});
