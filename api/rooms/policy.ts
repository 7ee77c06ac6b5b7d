/**
 * Every authorization decision about rooms, in one pure function. Routes read
 * the acting user's relation to the room (and, for actions on another user,
 * the target's relation) and ask `decide`; they never compare roles
 * themselves.
 *
 * Visibility comes first: a private room or DM is invisible to anyone who is
 * not a member, so every action there answers `room_not_found`, exactly like
 * a room that does not exist. A public room (and the global room) is visible
 * to every non-member who is not banned; a banned user gets `banned`.
 * Accepting and declining an invitation are the exception: they answer
 * `invite_not_found` whenever there is no invitation, whether or not the
 * room exists, so they reveal nothing either.
 */
import { ParleyError, type ErrorCode } from '../../shared/errors.js';

export type Role = 'owner' | 'admin' | 'member';
/** A user's relation to a room: a membership role, or why they are not a member. */
export type Relation = Role | 'invited' | 'banned' | 'none';
export type RoomKind = 'global' | 'public' | 'private' | 'dm';

export type Action =
  | 'get'
  | 'update'
  | 'delete'
  | 'list_members'
  | 'list_bans'
  | 'invite'
  | 'kick'
  | 'ban'
  | 'unban'
  | 'set_role'
  | 'history'
  | 'mark_read'
  | 'join'
  | 'leave'
  | 'accept'
  | 'decline'
  | 'react'
  | 'edit_own_message'
  | 'delete_own_message'
  | 'delete_any_message';

/** Actions whose outcome also depends on the relation of the user acted upon. */
export type TargetedAction = 'invite' | 'kick' | 'ban' | 'set_role';

export type Decision = 'allow' | ErrorCode;

export const RELATIONS: readonly Relation[] = ['owner', 'admin', 'member', 'invited', 'banned', 'none'];
export const ROOM_KINDS: readonly RoomKind[] = ['global', 'public', 'private', 'dm'];
export const ACTIONS: readonly Action[] = [
  'get',
  'update',
  'delete',
  'list_members',
  'list_bans',
  'invite',
  'kick',
  'ban',
  'unban',
  'set_role',
  'history',
  'mark_read',
  'join',
  'leave',
  'accept',
  'decline',
  'react',
  'edit_own_message',
  'delete_own_message',
  'delete_any_message',
];
export const TARGETED_ACTIONS: readonly TargetedAction[] = ['invite', 'kick', 'ban', 'set_role'];

export const isMemberRelation = (r: Relation): r is Role => r === 'owner' || r === 'admin' || r === 'member';
const isManager = (r: Relation) => r === 'owner' || r === 'admin';

/** Can the user see the room at all (its settings, members and history)? */
function visibility(relation: Relation, kind: RoomKind): Decision {
  if (isMemberRelation(relation)) return 'allow';
  switch (kind) {
    case 'global':
      // Every user is a member; a user somehow without the row still sees it.
      return 'allow';
    case 'public':
      return relation === 'banned' ? 'banned' : 'allow';
    case 'private':
    case 'dm':
      return 'room_not_found';
  }
}

/** The global room and DMs have fixed membership and settings. */
const isManaged = (kind: RoomKind) => kind === 'public' || kind === 'private';

/**
 * @param room the room, or null when it does not exist
 * @param target for invite, kick, ban and set_role: the relation of the user
 *   acted upon. Without it the answer is whether the caller may do this to
 *   anyone here, so a route can refuse a caller before revealing anything
 *   about the target (such as whether that user exists).
 */
export function decide(action: Action, relation: Relation, room: { kind: RoomKind } | null, target?: Relation): Decision {
  if (action === 'accept' || action === 'decline') {
    if (room === null) return 'invite_not_found';
    if (relation === 'invited') return 'allow';
    // A member can see the room anyway; everyone else learns nothing.
    if (action === 'accept' && isMemberRelation(relation)) return 'already_member';
    return 'invite_not_found';
  }
  if (room === null) return 'room_not_found';
  const { kind } = room;
  const seen = visibility(relation, kind);
  if (seen !== 'allow') return seen;

  switch (action) {
    case 'get':
    case 'list_members':
    case 'history':
      return 'allow';

    case 'join':
      if (isMemberRelation(relation)) return 'already_member';
      // Only public rooms (and the global room, for a user missing from it) are open.
      return kind === 'public' || kind === 'global' ? 'allow' : 'room_not_found';

    case 'mark_read':
      // A read position is part of a membership; visitors of a public room have none.
      return isMemberRelation(relation) ? 'allow' : 'member_not_found';

    case 'leave':
      if (!isMemberRelation(relation)) return 'member_not_found';
      if (!isManaged(kind)) return 'forbidden';
      return relation === 'owner' ? 'owner_must_transfer' : 'allow';

    case 'update':
    case 'unban':
    case 'list_bans':
      return isManaged(kind) && isManager(relation) ? 'allow' : 'forbidden';

    case 'delete':
      return isManaged(kind) && relation === 'owner' ? 'allow' : 'forbidden';

    case 'invite': {
      if (!isManaged(kind) || !isManager(relation)) return 'forbidden';
      if (target === undefined) return 'allow';
      const t = target;
      if (isMemberRelation(t)) return 'already_member';
      if (t === 'banned') return 'banned';
      return 'allow';
    }

    case 'kick':
    case 'ban': {
      if (!isManaged(kind) || !isManager(relation)) return 'forbidden';
      if (target === undefined) return 'allow';
      const t = target;
      if (t === 'owner') return 'forbidden';
      // Admins act on plain members only; the owner also on admins.
      if (t === 'admin') return relation === 'owner' ? 'allow' : 'forbidden';
      if (t === 'member') return 'allow';
      // A ban also keeps out someone who is not (yet) a member.
      return action === 'ban' ? 'allow' : 'member_not_found';
    }

    // Taking part in the conversation needs membership; seeing it (preview) does not.
    case 'react':
    case 'edit_own_message':
    case 'delete_own_message':
      return isMemberRelation(relation) ? 'allow' : 'forbidden';

    // Moderation: the global room and DMs have no managers.
    case 'delete_any_message':
      return isManaged(kind) && isManager(relation) ? 'allow' : 'forbidden';

    case 'set_role': {
      if (!isManaged(kind) || relation !== 'owner') return 'forbidden';
      if (target === undefined) return 'allow';
      const t = target;
      // The target is the owner: the caller themselves. Ownership moves only by
      // giving it to another member.
      if (t === 'owner') return 'owner_must_transfer';
      return isMemberRelation(t) ? 'allow' : 'member_not_found';
    }
  }
}

/** Throws the decision's error unless it allows the action. */
export function enforce(decision: Decision): void {
  if (decision !== 'allow') throw new ParleyError(decision);
}
