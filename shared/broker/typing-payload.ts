/**
 * A room channel carries broker envelopes (messages) and typing signals, the
 * latter marked with `"t":"typing"`; one channel per room keeps the number of
 * Redis subscriptions at one per room. RedisBus publishes and decodes them.
 */
import Type from 'typebox';
import { Compile } from 'typebox/compile';
import type { TypingSignal } from '../ports.js';

const TypingPayload = Compile(
  Type.Object({
    t: Type.Literal('typing'),
    room: Type.String(),
    user: Type.Object({ id: Type.String(), username: Type.String() }),
    expiresInMs: Type.Integer({ minimum: 1 }),
  }),
);

/** The typing signal in a room channel's payload, or null when it is none. */
export function parseTyping(payload: Buffer): TypingSignal | null {
  try {
    const value: unknown = JSON.parse(payload.toString('utf8'));
    if (!TypingPayload.Check(value)) return null;
    const { room, user, expiresInMs } = value as TypingSignal;
    return { room, user, expiresInMs };
  } catch {
    return null;
  }
}
