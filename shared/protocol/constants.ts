/**
 * Wire constants of the parley protocol, free of any dependency so that
 * clients which cannot load `typebox` (the k6 load-test bundles) import the
 * same values as the gateway. `frames.ts` re-exports them.
 */

export const PROTOCOL_VERSION = 1;
/** Offered and echoed in Sec-WebSocket-Protocol. */
export const SUBPROTOCOL = 'parley.v1';
/** A second offered subprotocol `parley.auth.<jwt>` carries the access token. */
export const AUTH_SUBPROTOCOL_PREFIX = 'parley.auth.';
/** The gateway's only WebSocket endpoint; every other path answers 404. */
export const WS_PATH = '/v1/ws';
/**
 * Upgrade query options (`/v1/ws?resume=1&batch=1`), each on with the value `1`:
 * - `resume`: no live room messages until the socket's `resume` frame;
 * - `batch`: messages of one room that the gateway relays in one event-loop
 *   turn may arrive as one `messages` frame instead of one `message` frame
 *   each (fewer frames to parse under load). Off by default.
 */
export const UPGRADE_OPTIONS = { resume: 'resume', batch: 'batch' } as const;
