/**
 * The broker envelope: how a message travels inside the cluster (room log,
 * persistence stream, pub/sub). publish.lua encodes it with cjson; everything
 * that reads it decodes through here. It is not a wire frame: gateways turn
 * it into a `message` frame with the protocol codec.
 */
import Type, { type Static } from 'typebox';
import { Compile } from 'typebox/compile';
import type { ChatMessage } from '../protocol/frames.js';

export const Envelope = Type.Object({
  v: Type.Literal(1),
  id: Type.String(),
  room: Type.String(),
  seq: Type.Integer({ minimum: 1 }),
  uid: Type.String(),
  un: Type.String(),
  cmid: Type.String(),
  kind: Type.Literal('text'),
  body: Type.String(),
  /** Accepted-at, epoch milliseconds. */
  ts: Type.Integer(),
});
export type Envelope = Static<typeof Envelope>;

const check = Compile(Envelope);

/** Returns null for anything that is not a valid envelope; never throws. */
export function decodeEnvelope(raw: string | Buffer): Envelope | null {
  let value: unknown;
  try {
    value = JSON.parse(typeof raw === 'string' ? raw : raw.toString('utf8'));
  } catch {
    return null;
  }
  return check.Check(value) ? (value as Envelope) : null;
}

export function envelopeToMessage(e: Envelope): ChatMessage {
  return {
    id: e.id,
    room: e.room,
    seq: e.seq,
    kind: e.kind,
    from: { id: e.uid, username: e.un },
    body: e.body,
    cmid: e.cmid,
    createdAt: new Date(e.ts).toISOString(),
  };
}
