/**
 * Where a client may put its access token at the upgrade:
 * - `Sec-WebSocket-Protocol: parley.v1, parley.auth.<jwt>` (browsers cannot set
 *   headers; the server echoes `parley.v1`, never the token), or
 * - `?token=<jwt>` in the URL.
 */
import { AUTH_SUBPROTOCOL_PREFIX, SUBPROTOCOL } from '../shared/protocol/frames.js';

export interface UpgradeAuth {
  token: string | null;
  /** The value to echo in Sec-WebSocket-Protocol ('' when the client offered none). */
  protocol: string;
  /** Set when the client offered subprotocols but not `parley.v1`. */
  protocolError: string | null;
}

export function readUpgradeAuth(protocolHeader: string, query: string): UpgradeAuth {
  const offered = protocolHeader
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  const fromProtocol = offered.find((p) => p.startsWith(AUTH_SUBPROTOCOL_PREFIX))?.slice(AUTH_SUBPROTOCOL_PREFIX.length);
  const fromQuery = new URLSearchParams(query).get('token');
  const token = fromProtocol || fromQuery || null;
  if (offered.length > 0 && !offered.includes(SUBPROTOCOL)) {
    return { token, protocol: '', protocolError: `offer the "${SUBPROTOCOL}" subprotocol` };
  }
  return { token, protocol: offered.length > 0 ? SUBPROTOCOL : '', protocolError: null };
}
