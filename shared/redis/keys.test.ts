import { test } from 'node:test';
import assert from 'node:assert/strict';
import { partitionOf, redisKeys } from './keys.js';

test('publishKeys names the same keys as roomCounter, roomLog and publishDedup, and the room\'s channel, with the room hashed once', () => {
  const keys = redisKeys('t:');
  const room = '0b7d2c1e-3f4a-4b5c-8d6e-7f8091a2b3c4';
  const { partition, keys: [counter, log, dedup], channel } = keys.publishKeys(room, 'user-1', 'cmid-1');
  assert.equal(partition, partitionOf(room));
  assert.equal(counter, keys.roomCounter(room));
  assert.equal(log, keys.roomLog(room));
  assert.equal(dedup, keys.publishDedup(room, 'user-1', 'cmid-1'));
  assert.equal(channel, keys.roomChannel(room));
  // One slot: every key of the call, and the channel it SPUBLISHes, carries the partition's hash tag.
  for (const key of [counter, log, dedup, channel, keys.persistStream(partition), keys.partitionEpoch(partition)]) {
    assert.match(key, new RegExp(`\\{p${partition}\\}`));
  }
});
