/**
 * The room policy as a table: every action × room kind × relation (× target
 * relation for the targeted actions), written out as the rules state them, and
 * compared with `decide`.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ErrorCode } from '../../shared/errors.js';
import {
  ACTIONS,
  RELATIONS,
  ROOM_KINDS,
  TARGETED_ACTIONS,
  decide,
  type Action,
  type Decision,
  type Relation,
  type RoomKind,
  type TargetedAction,
} from './policy.js';

// Short names, so a row of the table fits on a line.
const A = 'allow';
const NF: ErrorCode = 'room_not_found';
const F: ErrorCode = 'forbidden';
const B: ErrorCode = 'banned';
const AM: ErrorCode = 'already_member';
const OT: ErrorCode = 'owner_must_transfer';
const IN: ErrorCode = 'invite_not_found';
const MN: ErrorCode = 'member_not_found';

/** One outcome per relation, in the order of RELATIONS. */
type Row = readonly [owner: Decision, admin: Decision, member: Decision, invited: Decision, banned: Decision, none: Decision];
const row = (...r: Row) => r;
const all = (d: Decision): Row => [d, d, d, d, d, d];

type UntargetedAction = Exclude<Action, TargetedAction>;

/**
 * Untargeted actions. Columns: the acting user's relation
 * (owner, admin, member, invited, banned, none).
 */
const UNTARGETED: Record<UntargetedAction, Record<RoomKind, Row>> = {
  //                           owner admin member invited banned none
  get: {
    global: all(A),
    public: row(A, A, A, A, B, A),
    private: row(A, A, A, NF, NF, NF),
    dm: row(A, A, A, NF, NF, NF),
  },
  list_members: {
    global: all(A),
    public: row(A, A, A, A, B, A),
    private: row(A, A, A, NF, NF, NF),
    dm: row(A, A, A, NF, NF, NF),
  },
  history: {
    global: all(A),
    public: row(A, A, A, A, B, A),
    private: row(A, A, A, NF, NF, NF),
    dm: row(A, A, A, NF, NF, NF),
  },
  react: {
    global: row(A, A, A, F, F, F),
    public: row(A, A, A, F, B, F),
    private: row(A, A, A, NF, NF, NF),
    dm: row(A, A, A, NF, NF, NF),
  },
  edit_own_message: {
    global: row(A, A, A, F, F, F),
    public: row(A, A, A, F, B, F),
    private: row(A, A, A, NF, NF, NF),
    dm: row(A, A, A, NF, NF, NF),
  },
  delete_own_message: {
    global: row(A, A, A, F, F, F),
    public: row(A, A, A, F, B, F),
    private: row(A, A, A, NF, NF, NF),
    dm: row(A, A, A, NF, NF, NF),
  },
  delete_any_message: {
    global: all(F),
    public: row(A, A, F, F, B, F),
    private: row(A, A, F, NF, NF, NF),
    dm: row(F, F, F, NF, NF, NF),
  },
  mark_read: {
    global: row(A, A, A, MN, MN, MN),
    public: row(A, A, A, MN, B, MN),
    private: row(A, A, A, NF, NF, NF),
    dm: row(A, A, A, NF, NF, NF),
  },
  update: {
    global: all(F),
    public: row(A, A, F, F, B, F),
    private: row(A, A, F, NF, NF, NF),
    dm: row(F, F, F, NF, NF, NF),
  },
  list_bans: {
    global: all(F),
    public: row(A, A, F, F, B, F),
    private: row(A, A, F, NF, NF, NF),
    dm: row(F, F, F, NF, NF, NF),
  },
  unban: {
    global: all(F),
    public: row(A, A, F, F, B, F),
    private: row(A, A, F, NF, NF, NF),
    dm: row(F, F, F, NF, NF, NF),
  },
  delete: {
    global: all(F),
    public: row(A, F, F, F, B, F),
    private: row(A, F, F, NF, NF, NF),
    dm: row(F, F, F, NF, NF, NF),
  },
  join: {
    global: row(AM, AM, AM, A, A, A),
    public: row(AM, AM, AM, A, B, A),
    private: row(AM, AM, AM, NF, NF, NF),
    dm: row(AM, AM, AM, NF, NF, NF),
  },
  leave: {
    global: row(F, F, F, MN, MN, MN),
    public: row(OT, A, A, MN, B, MN),
    private: row(OT, A, A, NF, NF, NF),
    dm: row(F, F, F, NF, NF, NF),
  },
  accept: {
    global: row(AM, AM, AM, A, IN, IN),
    public: row(AM, AM, AM, A, IN, IN),
    private: row(AM, AM, AM, A, IN, IN),
    dm: row(AM, AM, AM, A, IN, IN),
  },
  decline: {
    global: row(IN, IN, IN, A, IN, IN),
    public: row(IN, IN, IN, A, IN, IN),
    private: row(IN, IN, IN, A, IN, IN),
    dm: row(IN, IN, IN, A, IN, IN),
  },
};

/**
 * Targeted actions: per acting relation, one outcome per *target* relation
 * (owner, admin, member, invited, banned, none).
 */
type TargetTable = Record<Relation, Row>;

/** In rooms whose membership nobody manages (global, DM). */
const unmanaged = (invisible: Decision): TargetTable => ({
  owner: all(F),
  admin: all(F),
  member: all(F),
  invited: all(invisible),
  banned: all(invisible),
  none: all(invisible),
});

/** Non-managers of a public room see it (banned ones are told so); of a private one, not. */
const outsiders = (kind: 'public' | 'private') =>
  kind === 'public'
    ? { member: all(F), invited: all(F), banned: all(B), none: all(F) }
    : { member: all(F), invited: all(NF), banned: all(NF), none: all(NF) };

const TARGETED: Record<TargetedAction, Record<RoomKind, TargetTable>> = {
  invite: {
    global: unmanaged(F),
    dm: unmanaged(NF),
    //                                target: owner admin member invited banned none
    public: { owner: row(AM, AM, AM, A, B, A), admin: row(AM, AM, AM, A, B, A), ...outsiders('public') },
    private: { owner: row(AM, AM, AM, A, B, A), admin: row(AM, AM, AM, A, B, A), ...outsiders('private') },
  },
  kick: {
    global: unmanaged(F),
    dm: unmanaged(NF),
    public: { owner: row(F, A, A, MN, MN, MN), admin: row(F, F, A, MN, MN, MN), ...outsiders('public') },
    private: { owner: row(F, A, A, MN, MN, MN), admin: row(F, F, A, MN, MN, MN), ...outsiders('private') },
  },
  ban: {
    global: unmanaged(F),
    dm: unmanaged(NF),
    public: { owner: row(F, A, A, A, A, A), admin: row(F, F, A, A, A, A), ...outsiders('public') },
    private: { owner: row(F, A, A, A, A, A), admin: row(F, F, A, A, A, A), ...outsiders('private') },
  },
  set_role: {
    global: unmanaged(F),
    dm: unmanaged(NF),
    public: { owner: row(OT, A, A, MN, MN, MN), admin: all(F), ...outsiders('public') },
    private: { owner: row(OT, A, A, MN, MN, MN), admin: all(F), ...outsiders('private') },
  },
};

describe('room policy', () => {
  test('the tables cover every action', () => {
    assert.deepEqual(
      [...Object.keys(UNTARGETED), ...Object.keys(TARGETED)].sort(),
      [...ACTIONS].sort(),
    );
  });

  for (const action of Object.keys(UNTARGETED) as UntargetedAction[]) {
    test(`${action}: every room kind and relation`, () => {
      for (const kind of ROOM_KINDS) {
        RELATIONS.forEach((relation, i) => {
          const expected: Decision | undefined = UNTARGETED[action][kind][i];
          assert.equal(decide(action, relation, { kind }), expected, `${action} by ${relation} in a ${kind} room`);
        });
      }
    });
  }

  for (const action of TARGETED_ACTIONS) {
    test(`${action}: every room kind, relation and target relation`, () => {
      for (const kind of ROOM_KINDS) {
        for (const relation of RELATIONS) {
          RELATIONS.forEach((target, i) => {
            const expected: Decision | undefined = TARGETED[action][kind][relation][i];
            assert.equal(
              decide(action, relation, { kind }, target),
              expected,
              `${action} by ${relation} on ${target} in a ${kind} room`,
            );
          });
        }
      }
    });
  }

  test('a room that does not exist looks like an invisible one; accept and decline say there is no invitation', () => {
    for (const action of ACTIONS) {
      const expected: Decision = action === 'accept' || action === 'decline' ? IN : NF;
      for (const relation of RELATIONS) {
        assert.equal(decide(action, relation, null, 'member'), expected, `${action} by ${relation}`);
      }
    }
  });

  test('for a non-member, a private room or DM answers exactly like a missing room', () => {
    for (const action of ACTIONS) {
      for (const kind of ['private', 'dm'] as const) {
        for (const relation of ['invited', 'banned', 'none'] as const) {
          if (relation === 'invited' && (action === 'accept' || action === 'decline')) continue;
          assert.equal(
            decide(action, relation, { kind }, 'member'),
            decide(action, relation, null, 'member'),
            `${action} by ${relation} in a ${kind} room`,
          );
        }
      }
    }
  });

  test('a targeted action without a target says whether the caller may do it to anyone there', () => {
    for (const action of TARGETED_ACTIONS) {
      for (const kind of ROOM_KINDS) {
        for (const relation of RELATIONS) {
          const outcomes = TARGETED[action][kind][relation];
          const expected = outcomes.includes(A) ? A : outcomes[0];
          if (expected !== A) assert.ok(outcomes.every((o) => o === expected), 'a refusal must not depend on the target');
          assert.equal(decide(action, relation, { kind }), expected, `${action} by ${relation} in a ${kind} room`);
        }
      }
    }
  });
});
