/**
 * The little the baseline servers and clients agree on besides their wire
 * protocols. Dependency-free, since generator worker threads load it.
 */

/** The room list a socket asks for at the upgrade (`rooms=a,b`); empty names are dropped. */
export function parseRooms(value: unknown): string[] {
  if (typeof value !== 'string') return [];
  return value.split(',').filter((room) => room.length > 0);
}

/** The `rooms` query value for `rooms`; the servers split it on commas. */
export function roomsQuery(rooms: readonly string[]): string {
  return rooms.map(encodeURIComponent).join(',');
}

/** `{"room":string,"body":string}`, the message shape both baselines carry; anything else is undefined. */
export function readPublish(value: unknown): { room: string; body: string } | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { room, body } = value as { room?: unknown; body?: unknown };
  return typeof room === 'string' && typeof body === 'string' ? { room, body } : undefined;
}

/** The relay sends this once a socket's rooms are all live in Redis: from then on the socket misses nothing. */
export const RELAY_READY_FRAME = '{"ready":true}';
