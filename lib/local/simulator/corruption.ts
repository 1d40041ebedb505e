/**
 * Bad records. Whether a record is corrupted, and how, is a pure function of (seed, day, record index),
 * independent of request faults, so `_truth` for a day names exactly the records the API served broken.
 *
 * `caught_by` says which stage of the pipeline must catch it: `extract` for structural faults the zod
 * contract rejects and for duplicates (the extractor keeps the first copy); `quality` for faults that are
 * well-formed but wrong against other data (a track id that is not in the catalog), which only the
 * data-quality gate can see.
 */
import type { SessionRecord, UserRecord } from '../../../lambdas/shared/contracts';
import type { Catalog } from './catalog';
import { Rng, cumulativeWeights, mix, tag } from './random';
import { apiTimestampMs } from './time';

export const SESSION_FAULT_KINDS = [
  'missing_field',
  'wrong_type',
  'bad_uuid',
  'negative_price',
  'absurd_price',
  'unknown_track_id',
  'duplicate_session',
] as const;
export const USER_FAULT_KINDS = [
  'missing_field',
  'wrong_type',
  'bad_uuid',
  'short_location',
  'duplicate_user',
] as const;
export type SessionFaultKind = (typeof SESSION_FAULT_KINDS)[number];
export type UserFaultKind = (typeof USER_FAULT_KINDS)[number];
export type RecordFaultKind = SessionFaultKind | UserFaultKind;

const SESSION_KIND_CUMULATIVE = cumulativeWeights([2, 2, 1, 1, 1, 2, 1]);
const USER_KIND_CUMULATIVE = cumulativeWeights([2, 2, 1, 2, 1]);
const BAD_SESSION = tag('bad-session');
const BAD_USER = tag('bad-user');

export type CaughtBy = 'extract' | 'quality';

/** One corrupted record as `_truth` reports it. */
export type CorruptedRecord =
  | {
      entity: 'sessions';
      session_id: string;
      /** The session item the fault is in (`item_index`), or null when it is in the session itself. */
      position: number | null;
      kind: SessionFaultKind;
      /** The field that was damaged, as a path (`session_items.2.price`); `(record)` for a duplicate. */
      field: string;
      caught_by: CaughtBy;
      /** The value served in place of the real one, when there is one (bad uuid, unknown track id). */
      served_value?: unknown;
    }
  | {
      entity: 'users';
      user_id: string;
      kind: UserFaultKind;
      field: string;
      caught_by: CaughtBy;
      served_value?: unknown;
    };

/** What the API serves for one generated record: one record, or two for a duplicate. */
export interface Served<T> {
  records: unknown[];
  corruption: CorruptedRecord | null;
  original: T;
}

type Json = Record<string, unknown>;

function clone<T>(value: T): Json {
  return structuredClone(value) as unknown as Json;
}

/** A malformed uuid, in one of several ways real systems produce them. */
function badUuid(uuid: string, rng: Rng): string {
  switch (rng.int(0, 3)) {
    case 0:
      return uuid.slice(0, -1);
    case 1:
      return uuid.replace(/-/g, '');
    case 2:
      return `${uuid.slice(0, 9)}zz${uuid.slice(11)}`;
    default:
      // Version nibble 0 is not an RFC 9562 version.
      return `${uuid.slice(0, 14)}0${uuid.slice(15)}`;
  }
}

export function serveSession(
  seed: number,
  day: number,
  index: number,
  session: SessionRecord,
  badRecordRate: number,
  catalog: Catalog,
): Served<SessionRecord> {
  const rng = new Rng(mix(seed, BAD_SESSION, day, index));
  if (badRecordRate <= 0 || !rng.chance(badRecordRate))
    return { records: [session], corruption: null, original: session };
  const kind = rng.pickWeighted(SESSION_FAULT_KINDS, SESSION_KIND_CUMULATIVE);
  const served = clone(session);
  const items = served.session_items as Json[];
  const position = rng.int(0, items.length - 1);
  const item = items[position];
  const base = {
    entity: 'sessions' as const,
    session_id: session.session_id,
    kind,
    caught_by: 'extract' as CaughtBy,
  };
  const atItem = (name: string) => ({ ...base, position, field: `session_items.${position}.${name}` });
  const atSession = (name: string) => ({ ...base, position: null, field: name });
  let corruption: CorruptedRecord;
  switch (kind) {
    case 'missing_field': {
      const name = rng.pick(['user_id', 'user_agent', 'session_start_time', 'price', 'song_id', 'liked']);
      if (['price', 'song_id', 'liked'].includes(name)) {
        delete item[name];
        corruption = atItem(name);
      } else {
        delete served[name];
        corruption = atSession(name);
      }
      break;
    }
    case 'wrong_type': {
      const which = rng.int(0, 2);
      if (which === 0) {
        item.price = String(item.price);
        corruption = atItem('price');
      } else if (which === 1) {
        item.liked = item.liked ? 'yes' : 'no';
        corruption = atItem('liked');
      } else {
        served.session_start_time = apiTimestampMs(session.session_start_time);
        corruption = atSession('session_start_time');
      }
      break;
    }
    case 'bad_uuid':
      served.user_id = badUuid(session.user_id, rng);
      corruption = { ...atSession('user_id'), served_value: served.user_id };
      break;
    case 'negative_price':
      item.price = -(item.price as number);
      corruption = atItem('price');
      break;
    case 'absurd_price':
      item.price = rng.pick([199, 1999.99, 99999.99, 1e9]);
      corruption = atItem('price');
      break;
    case 'unknown_track_id':
      item.song_id = catalog.unknownTrackId(rng.uint32());
      corruption = { ...atItem('song_id'), caught_by: 'quality', served_value: item.song_id };
      break;
    case 'duplicate_session':
      return { records: [session, session], corruption: atSession('(record)'), original: session };
  }
  return { records: [served], corruption, original: session };
}

/** The user's fault stream when the user is served corrupted on `day`, else null (one draw decides). */
function userFaultRng(seed: number, day: number, index: number, badRecordRate: number): Rng | null {
  const rng = new Rng(mix(seed, BAD_USER, day, index));
  return badRecordRate > 0 && rng.chance(badRecordRate) ? rng : null;
}

/** Whether `serveUser` corrupts this user on `day`, without building the user. */
export function isUserCorrupted(seed: number, day: number, index: number, badRecordRate: number): boolean {
  return userFaultRng(seed, day, index, badRecordRate) !== null;
}

export function serveUser(
  seed: number,
  day: number,
  index: number,
  user: UserRecord,
  badRecordRate: number,
): Served<UserRecord> {
  const rng = userFaultRng(seed, day, index, badRecordRate);
  if (!rng) return { records: [user], corruption: null, original: user };
  const kind = rng.pickWeighted(USER_FAULT_KINDS, USER_KIND_CUMULATIVE);
  const served = clone(user);
  const base = { entity: 'users' as const, user_id: user.user_id, kind, caught_by: 'extract' as CaughtBy };
  let corruption: CorruptedRecord;
  switch (kind) {
    case 'missing_field': {
      const name = rng.pick(['user_name', 'user_lastname', 'user_location', 'user_since']);
      delete served[name];
      corruption = { ...base, field: name };
      break;
    }
    case 'wrong_type':
      if (rng.chance(0.5)) {
        served.user_since = apiTimestampMs(user.user_since);
        corruption = { ...base, field: 'user_since' };
      } else {
        (served.user_location as unknown[])[0] = Number(user.user_location[0]);
        corruption = { ...base, field: 'user_location.0' };
      }
      break;
    case 'bad_uuid':
      served.user_id = badUuid(user.user_id, rng);
      corruption = { ...base, field: 'user_id', served_value: served.user_id };
      break;
    case 'short_location':
      served.user_location = user.user_location.slice(0, rng.int(2, 4));
      corruption = { ...base, field: 'user_location' };
      break;
    case 'duplicate_user':
      return { records: [user, user], corruption: { ...base, field: '(record)' }, original: user };
  }
  return { records: [served], corruption, original: user };
}
