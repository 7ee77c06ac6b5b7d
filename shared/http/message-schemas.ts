/** HTTP shapes for changing messages: edits, deletions, reactions. */
import Type from 'typebox';
import { Emoji, Uuid } from '../protocol/frames.js';

export const MessageParams = Type.Object({ id: Uuid, seq: Type.Integer({ minimum: 1 }) });
export const ReactionParams = Type.Object({ id: Uuid, seq: Type.Integer({ minimum: 1 }), emoji: Emoji });

export const EditMessageBody = Type.Object(
  {
    /** The new text: 1 character at least, no NUL; the UTF-8 size limit is the api's API_MAX_MESSAGE_BYTES. */
    body: Type.String({ minLength: 1, pattern: '^[^\\u0000]*$' }),
  },
  { additionalProperties: false },
);

export const EditedMessage = Type.Object({
  room: Uuid,
  seq: Type.Integer(),
  id: Uuid,
  body: Type.String(),
  editedAt: Type.String({ format: 'date-time' }),
});
