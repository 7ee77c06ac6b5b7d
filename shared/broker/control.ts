/**
 * Cluster control events, published by the api and consumed by every gateway
 * on one pub/sub channel. Delivery is at-most-once: a gateway that was
 * disconnected from Redis must resynchronise (e.g. re-check revoked sessions)
 * instead of assuming it saw every event.
 */
import Type, { type Static } from 'typebox';
import { Compile } from 'typebox/compile';

export const SessionRevoked = Type.Object({
  type: Type.Literal('session_revoked'),
  sessionId: Type.String(),
  reason: Type.String(),
});

export const ControlEvent = Type.Union([SessionRevoked]);
export type ControlEvent = Static<typeof ControlEvent>;

const check = Compile(ControlEvent);

export function decodeControlEvent(raw: string | Buffer): ControlEvent | null {
  try {
    const value: unknown = JSON.parse(typeof raw === 'string' ? raw : raw.toString('utf8'));
    return check.Check(value) ? (value as ControlEvent) : null;
  } catch {
    return null;
  }
}

export function encodeControlEvent(event: ControlEvent): string {
  return JSON.stringify(event);
}
