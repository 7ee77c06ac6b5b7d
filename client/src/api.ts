/**
 * The api's HTTP endpoints as methods (docs/protocol.md "HTTP endpoints"):
 * history and message changes, rooms and membership, presence, search,
 * announcements and file downloads. Bodies and answers are the types of
 * shared/http/schemas.ts; errors are ParleyRequestError (see http.ts).
 */
import type {
  AnnouncementsResponse,
  HistoryResponse,
  InvitesResponse,
  MembersResponse,
  MyRoom,
  MyRoomsResponse,
  OnlineResponse,
  PresenceEntry,
  PresenceResponse,
  ReadPosition,
  Room,
  RoomPresenceResponse,
  RoomsResponse,
  SearchResponse,
  Invite,
} from '../../shared/http/schemas.js';
import type { Http } from './http.js';
import type { RoomRole, Visibility } from './types.js';

type Page = { limit?: number; cursor?: string };
const id = (value: string | number) => encodeURIComponent(String(value));

export abstract class ParleyApi {
  protected abstract readonly http: Http;

  // ---------------------------------------------------------------- messages

  /** One page of history, newest first (GET /v1/rooms/{id}/messages). Does not feed 'message'. */
  history(room: string, options: { before?: number; limit?: number } = {}): Promise<HistoryResponse> {
    return this.http.json('GET', `/v1/rooms/${id(room)}/messages`, { query: { before: options.before, limit: options.limit } });
  }

  async edit(room: string, seq: number, body: string): Promise<void> {
    await this.http.json('PATCH', `/v1/rooms/${id(room)}/messages/${id(seq)}`, { body: { body } });
  }

  async remove(room: string, seq: number): Promise<void> {
    await this.http.json('DELETE', `/v1/rooms/${id(room)}/messages/${id(seq)}`);
  }

  async react(room: string, seq: number, emoji: string): Promise<void> {
    await this.http.json('PUT', `/v1/rooms/${id(room)}/messages/${id(seq)}/reactions/${id(emoji)}`);
  }

  async unreact(room: string, seq: number, emoji: string): Promise<void> {
    await this.http.json('DELETE', `/v1/rooms/${id(room)}/messages/${id(seq)}/reactions/${id(emoji)}`);
  }

  markRead(room: string, seq: number): Promise<ReadPosition> {
    return this.http.json('PUT', `/v1/rooms/${id(room)}/read`, { body: { seq } });
  }

  search(q: string, options: { room?: string; limit?: number; cursor?: string } = {}): Promise<SearchResponse> {
    return this.http.json('GET', '/v1/search/messages', { query: { q, room: options.room, limit: options.limit, cursor: options.cursor } });
  }

  // ---------------------------------------------------------------- rooms

  /** My rooms, with my role and unread counts. */
  myRooms(options: Page = {}): Promise<MyRoomsResponse> {
    return this.http.json('GET', '/v1/rooms', { query: { limit: options.limit, cursor: options.cursor } });
  }

  publicRooms(options: { q?: string } & Page = {}): Promise<RoomsResponse> {
    return this.http.json('GET', '/v1/rooms/public', { query: { q: options.q, limit: options.limit, cursor: options.cursor } });
  }

  room(roomId: string): Promise<Room> {
    return this.http.json('GET', `/v1/rooms/${id(roomId)}`);
  }

  createRoom(input: { name: string; topic?: string; visibility: Visibility }): Promise<MyRoom> {
    return this.http.json('POST', '/v1/rooms', { body: input });
  }

  updateRoom(roomId: string, input: { name?: string; topic?: string; visibility?: Visibility }): Promise<Room> {
    return this.http.json('PATCH', `/v1/rooms/${id(roomId)}`, { body: input });
  }

  async deleteRoom(roomId: string): Promise<void> {
    await this.http.json('DELETE', `/v1/rooms/${id(roomId)}`);
  }

  join(roomId: string): Promise<MyRoom> {
    return this.http.json('POST', `/v1/rooms/${id(roomId)}/join`);
  }

  async leave(roomId: string): Promise<void> {
    await this.http.json('POST', `/v1/rooms/${id(roomId)}/leave`);
  }

  async invite(roomId: string, username: string): Promise<void> {
    await this.http.json('POST', `/v1/rooms/${id(roomId)}/invites`, { body: { username } });
  }

  /** My pending invitations. */
  async invites(): Promise<Invite[]> {
    return (await this.http.json<InvitesResponse>('GET', '/v1/invites')).invites;
  }

  acceptInvite(roomId: string): Promise<MyRoom> {
    return this.http.json('POST', `/v1/rooms/${id(roomId)}/invites/accept`);
  }

  async declineInvite(roomId: string): Promise<void> {
    await this.http.json('POST', `/v1/rooms/${id(roomId)}/invites/decline`);
  }

  /** The one 1:1 room with that user (created on first use). */
  openDm(username: string): Promise<MyRoom> {
    return this.http.json('POST', '/v1/dms', { body: { username } });
  }

  members(roomId: string, options: Page = {}): Promise<MembersResponse> {
    return this.http.json('GET', `/v1/rooms/${id(roomId)}/members`, { query: { limit: options.limit, cursor: options.cursor } });
  }

  async kick(roomId: string, userId: string): Promise<void> {
    await this.http.json('DELETE', `/v1/rooms/${id(roomId)}/members/${id(userId)}`);
  }

  async ban(roomId: string, userId: string, reason?: string): Promise<void> {
    await this.http.json('PUT', `/v1/rooms/${id(roomId)}/bans/${id(userId)}`, { body: reason === undefined ? {} : { reason } });
  }

  async unban(roomId: string, userId: string): Promise<void> {
    await this.http.json('DELETE', `/v1/rooms/${id(roomId)}/bans/${id(userId)}`);
  }

  /** `owner` transfers ownership (the old owner becomes admin). */
  async setRole(roomId: string, userId: string, role: RoomRole): Promise<void> {
    await this.http.json('PUT', `/v1/rooms/${id(roomId)}/members/${id(userId)}/role`, { body: { role } });
  }

  // ---------------------------------------------------------------- presence

  /** 1–200 users, in request order. */
  async presence(userIds: string[]): Promise<PresenceEntry[]> {
    return (await this.http.json<PresenceResponse>('GET', '/v1/presence', { query: { user: userIds } })).users;
  }

  roomPresence(roomId: string, options: Page = {}): Promise<RoomPresenceResponse> {
    return this.http.json('GET', `/v1/rooms/${id(roomId)}/presence`, { query: { limit: options.limit, cursor: options.cursor } });
  }

  online(options: Page = {}): Promise<OnlineResponse> {
    return this.http.json('GET', '/v1/online', { query: { limit: options.limit, cursor: options.cursor } });
  }

  async setStatus(text: string, away: boolean): Promise<void> {
    await this.http.json('PUT', '/v1/me/status', { body: { text, away } });
  }

  async clearStatus(): Promise<void> {
    await this.http.json('DELETE', '/v1/me/status');
  }

  announcements(options: Page = {}): Promise<AnnouncementsResponse> {
    return this.http.json('GET', '/v1/announcements', { query: { limit: options.limit, cursor: options.cursor } });
  }

  // ---------------------------------------------------------------- files

  /** Downloads a file with the access token (GET /v1/files/{id}). */
  async download(fileId: string): Promise<Blob> {
    return (await this.http.send('GET', `/v1/files/${id(fileId)}`, { headers: { accept: '*/*' } })).blob();
  }

  /** The file's URL (for code that adds the Authorization header itself). */
  fileUrl(fileId: string): string {
    return this.http.url(`/v1/files/${id(fileId)}`);
  }
}
