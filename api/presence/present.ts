/** Presence from the port, as the HTTP api shows it. */
import type { PresenceState } from '../../shared/ports.js';
import type { PresenceEntry } from '../../shared/http/schemas.js';

/** Epoch ms as ISO-8601, keeping null. */
export const isoOrNull = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export const presentPresence = (state: PresenceState): PresenceEntry => ({
  userId: state.userId,
  online: state.online,
  lastSeen: isoOrNull(state.lastSeen),
  status: state.status,
});
