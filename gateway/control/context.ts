import type { ControlEvent } from '../../shared/broker/control.js';
import type { ServerFrame } from '../../shared/protocol/frames.js';
import type { LiveMembership } from '../live-membership.js';

export type ControlEventType = ControlEvent['type'];
export type ControlEventOf<K extends ControlEventType> = Extract<ControlEvent, { type: K }>;

/** What control event handlers may use. */
export interface ControlDeps {
  membership: LiveMembership;
  /** Writes a frame to every local socket on a topic (a room id, or ANNOUNCEMENTS_TOPIC). */
  broadcast: (topic: string, frame: ServerFrame) => void;
  /** Ends every local socket of the session with `session_revoked`. */
  closeSession: (sessionId: string, reason: string) => void;
}

/** Applies one control event type to this gateway's sockets. */
export type ControlHandler<K extends ControlEventType> = (event: ControlEventOf<K>, deps: ControlDeps) => void;

export type ControlHandlers = { [K in ControlEventType]: ControlHandler<K> };

/** The uWS topic every socket joins for announcements (room topics are UUIDs, so no clash). */
export const ANNOUNCEMENTS_TOPIC = 'announcements';
