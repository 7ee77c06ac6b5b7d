import type { AccessVerifier } from '../../shared/auth/verify.js';
import type { History } from '../../shared/ports.js';
import type { SigningKeys } from '../auth/keys.js';
import type { Sessions } from '../auth/sessions.js';
import type { Rooms } from '../rooms.js';
import type { Users } from '../users.js';

/** What route handlers may use. Built in main.ts (or a test) and passed down. */
export interface RouteDeps {
  users: Users;
  rooms: Rooms;
  sessions: Sessions;
  history: History;
  verify: AccessVerifier;
  signingKeys: SigningKeys;
  accessTtlSeconds: number;
  refreshTtlSeconds: number;
}
