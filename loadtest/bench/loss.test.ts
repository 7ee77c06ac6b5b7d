import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accountLoss } from './loss.js';

test('deliveries from every host are summed per message and checked against the room size', () => {
  // Publisher 0 (room of 3) sent messages 10..13; its host saw 11 and 12 acked, 13 never acked.
  const report = accountLoss(
    [
      { publisher: 0, from: 10, received: Uint32Array.of(2, 1, 2, 1), acked: Uint8Array.of(1, 1, 1, 0) },
      { publisher: 0, from: 10, received: Uint32Array.of(1, 1, 2, 0) },
      { publisher: 1, from: 0, received: Uint32Array.of(3), acked: Uint8Array.of(1) },
    ],
    () => 3,
  );
  assert.deepEqual(report, {
    messages: 5,
    acked: 4,
    expectedDeliveries: 12,
    delivered: 13,
    ackedNotDelivered: 1, // message 11 reached 2 of 3 sockets
    messagesWithLoss: 1,
    deliveredUnacked: 1, // message 13
    excess: 1, // message 12 reached 4 sockets
  });
});

test('hosts that disagree on the accounted range are a bug, not a figure', () => {
  assert.throws(() =>
    accountLoss(
      [
        { publisher: 0, from: 0, received: Uint32Array.of(1) },
        { publisher: 0, from: 1, received: Uint32Array.of(1) },
      ],
      () => 1,
    ),
  );
});
