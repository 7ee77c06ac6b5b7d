import type { AccessVerifier } from '../../shared/auth/verify.js';
import type { ControlEvent } from '../../shared/broker/control.js';
import type { History, Presence } from '../../shared/ports.js';
import type { SigningKeys } from '../auth/keys.js';
import type { Sessions } from '../auth/sessions.js';
import type { RoomRepository } from '../rooms/repository.js';
import type { RoomSeqs } from '../rooms/seqs.js';
import type { MessageSearch } from '../search/messages.js';
import type { Users } from '../users.js';
import type { Announcements } from '../announcements.js';
import type { MessageMutations } from '../messages/mutations.js';
import type { Server } from '@tus/server';
import type { Files } from '../uploads/files.js';
import type { UploadContent } from '../uploads/content.js';

/** What route handlers may use. Built in main.ts (or a test) and passed down. */
export interface RouteDeps {
  users: Users;
  rooms: RoomRepository;
  sessions: Sessions;
  history: History;
  search: MessageSearch;
  /** Rooms' current seqs (Redis counters, Postgres fallback): unread counts and read bounds. */
  roomSeqs: RoomSeqs;
  announcements: Announcements;
  verify: AccessVerifier;
  signingKeys: SigningKeys;
  messages: MessageMutations;
  /** Who is online and custom statuses (Redis); reads never ask the gateways. */
  presence: Presence;
  /** The user's rooms that get their presence events (small enough; see PRESENCE_ROOM_EVENTS_MAX_MEMBERS). */
  presenceRooms: (userId: string) => Promise<string[]>;
  /** Largest message body (UTF-8 bytes) an edit may set; keep equal to the gateway's GATEWAY_MAX_MESSAGE_BYTES. */
  maxMessageBytes: number;
  /** The tus server behind /v1/uploads. */
  tus: Server;
  files: Files;
  content: UploadContent;
  /** Publishes a cluster control event (main.ts: on the Redis control channel). */
  publishControl: (event: ControlEvent) => Promise<void>;
  accessTtlSeconds: number;
  refreshTtlSeconds: number;
  /** The gateway URL /config.json gives the web client (API_PUBLIC_WS_URL); null: derived from the request. */
  publicWsUrl: string | null;
}
