/**
 * The broker envelope: how a message travels inside the cluster (room log,
 * persistence stream, pub/sub). publish.lua encodes it with cjson; everything
 * that reads it decodes through here. It is not a wire frame: gateways turn
 * it into a `message` frame with the protocol codec.
 */
import Type, { type Static } from 'typebox';
import { Compile } from 'typebox/compile';
import { FileRef, type ChatMessage } from '../protocol/frames.js';

export const Envelope = Type.Object({
  v: Type.Literal(1),
  id: Type.String(),
  room: Type.String(),
  seq: Type.Integer({ minimum: 1 }),
  /** The Redis epoch the seq was assigned in (absent in entries written before epochs existed). */
  ep: Type.Optional(Type.String()),
  uid: Type.String(),
  un: Type.String(),
  cmid: Type.String(),
  kind: Type.Union([Type.Literal('text'), Type.Literal('file')]),
  /** With kind 'file' (the caption otherwise). */
  body: Type.String(),
  /** Present exactly when kind is 'file'; publish.lua leaves the key out otherwise. */
  file: Type.Optional(FileRef),
  /** Accepted-at, epoch milliseconds. */
  ts: Type.Integer(),
});
export type Envelope = Static<typeof Envelope>;

const check = Compile(Envelope);

/**
 * Stream entries (room log, persistence queue) hold the envelope in field `m`.
 * Redis returns an entry's fields as a flat [field, value, …] list.
 */
export const ENVELOPE_FIELD = 'm';

/** The value of `name` in a stream entry's flat field list. */
export function entryField(fields: readonly string[], name: string): string | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}

/** The envelope of a stream entry, or null when it has none or it is invalid. */
export function decodeEntry(fields: readonly string[]): Envelope | null {
  const raw = entryField(fields, ENVELOPE_FIELD);
  return raw === undefined ? null : decodeEnvelope(raw);
}

/** Returns null for anything that is not a valid envelope; never throws. */
export function decodeEnvelope(raw: string | Buffer): Envelope | null {
  let value: unknown;
  try {
    value = JSON.parse(typeof raw === 'string' ? raw : raw.toString('utf8'));
  } catch {
    return null;
  }
  if (!check.Check(value)) return null;
  const e = value as Envelope;
  // A file message without its file (or a text message with one) would reach
  // clients as a message they cannot show; it is as invalid as a bad shape.
  return (e.kind === 'file') === (e.file !== undefined) ? e : null;
}

/** The largest integer cjson prints exactly (14 digits). */
const MAX_FILE_SIZE = 99_999_999_999_999;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const checkFileRef = Compile(FileRef);

/**
 * Why a file cannot be carried faithfully from publish to Postgres, or null
 * when it can. The publisher refuses such a file before writing anything, and
 * the worker dead-letters an envelope holding one (it would fail its batch):
 * - Postgres jsonb cannot hold U+0000 in a string;
 * - cjson (publish.lua) prints numbers with 14 significant digits, so a larger
 *   size would be rounded;
 * - cjson cannot decode an escaped lone surrogate, which JSON.stringify emits.
 */
export function fileRefProblem(file: FileRef): string | null {
  if (!checkFileRef.Check(file)) return 'file must be {id (uuid), name, size (integer >= 0), contentType} and nothing else';
  if (!Number.isSafeInteger(file.size) || file.size > MAX_FILE_SIZE) return `file size must be at most ${MAX_FILE_SIZE}`;
  for (const text of [file.name, file.contentType]) {
    if (text.includes('\u0000')) return 'file name and content type must not contain NUL';
    if (LONE_SURROGATE.test(text)) return 'file name and content type must be well-formed Unicode';
  }
  return null;
}

export function envelopeToMessage(e: Envelope): ChatMessage {
  return {
    id: e.id,
    room: e.room,
    seq: e.seq,
    kind: e.kind,
    from: { id: e.uid, username: e.un },
    body: e.body,
    // Field by field: the frame codec rejects unknown properties.
    ...(e.file && { file: { id: e.file.id, name: e.file.name, size: e.file.size, contentType: e.file.contentType } }),
    cmid: e.cmid,
    createdAt: new Date(e.ts).toISOString(),
  };
}
