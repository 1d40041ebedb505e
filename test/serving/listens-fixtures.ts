/**
 * The `listens` transform table of the serving fixture (fixtures.ts): plays on two of the story's days.
 *
 * Story: on 2024-03-02 (DAY_2) u1, who moved to London that day, plays Aurora Lane from 00:30 (his London
 * version); in hour 9 Aurora Lane (t1, t2) and Basalt (t3) tie on plays (the smaller artist id wins); in hour
 * 14 a listener who is in no users snapshot plays a track no dimension knows, and Aurora Lane, Basalt and
 * Cobalt Choir tie; one play of 23:59 arrived the next day (late). In the dream pop genre (Aurora Lane's
 * tag from DAY_2) t1 and t2 tie (the smaller track id wins). On 2025-01-02 (DAY_4) u1, back in New York,
 * and u2 play Delta Dawn's t5 (new in the catalog that day, genre synthwave), others play t3 and t4. DAY_1
 * and DAY_3 have no plays (an empty partition). The unknown track is 1 play of DAY_2's 10: 10%, the most
 * fact_listens_track_coverage lets a load commit.
 *
 * Why these days: a KPI row keeps the dimension attributes of its run (genre, popularity, whether a track
 * is known). Aurora Lane's genre changes between DAY_1 and DAY_2, and the track sold outside the catalog on
 * DAY_1 is unknown to a DAY_2 loaded first, so the plays avoid the dates and tracks whose attributes depend
 * on the order the dates are loaded in: loads out of order end with the tables of the in-order load.
 */
// The story's days and users (fixtures.ts, which imports this file: not imported back).
const DAY_2 = '2024-03-02';
const DAY_4 = '2025-01-02';
const USER = {
  u1: '11111111-1111-4111-8111-111111111111',
  u2: '22222222-2222-4222-8222-222222222222',
  u3: '33333333-3333-4333-8333-333333333333',
  u4: '44444444-4444-4444-8444-444444444444',
};

type Row = Record<string, string | number | boolean | null>;

/** A listener in no users snapshot, who buys nothing: no user version, ever. */
export const STRANGER = '88888888-8888-4888-8888-888888888888';
/** A track id in no catalog and never sold: not in dim_songs. */
export const UNKNOWN_TRACK = 'TRUUUUUUUUUUUUUUU0';
export const LISTEN_TRACKS = {
  t1: 'TRAAAAAAAAAAAAAAA1',
  t2: 'TRBBBBBBBBBBBBBBB2',
  t3: 'TRCCCCCCCCCCCCCCC3',
  t4: 'TRDDDDDDDDDDDDDDD4',
  t5: 'TREEEEEEEEEEEEEEE5',
};

/** One play as the test states it: who, what, when (UTC), and the arrival hour when it came late. */
export interface Play {
  readonly event: number;
  readonly user: string;
  readonly track: string;
  readonly at: string;
  readonly lateArrival?: string;
}

const T = LISTEN_TRACKS;

/** The plays of each day (listened_at within the day, UTC). */
export const PLAYS: Readonly<Record<string, readonly Play[]>> = {
  [DAY_2]: [
    { event: 1, user: USER.u1, track: T.t2, at: `${DAY_2} 00:30:00` },
    { event: 2, user: USER.u1, track: T.t2, at: `${DAY_2} 09:10:00` },
    { event: 3, user: USER.u4, track: T.t3, at: `${DAY_2} 09:20:00` },
    { event: 4, user: USER.u2, track: T.t1, at: `${DAY_2} 09:40:00` },
    { event: 5, user: USER.u4, track: T.t3, at: `${DAY_2} 09:50:00` },
    { event: 6, user: USER.u1, track: T.t1, at: `${DAY_2} 14:00:00` },
    { event: 7, user: STRANGER, track: UNKNOWN_TRACK, at: `${DAY_2} 14:30:00` },
    { event: 8, user: USER.u3, track: T.t3, at: `${DAY_2} 14:45:00` },
    { event: 9, user: USER.u2, track: T.t4, at: `${DAY_2} 14:50:00` },
    {
      event: 10,
      user: USER.u3,
      track: T.t3,
      at: `${DAY_2} 23:59:00`,
      lateArrival: '2024-03-03 02:00:00',
    },
  ],
  [DAY_4]: [
    { event: 11, user: USER.u1, track: T.t5, at: `${DAY_4} 08:00:00` },
    { event: 12, user: USER.u2, track: T.t5, at: `${DAY_4} 08:15:00` },
    { event: 13, user: USER.u3, track: T.t4, at: `${DAY_4} 08:30:00` },
    { event: 14, user: USER.u4, track: T.t3, at: `${DAY_4} 08:45:00` },
    { event: 15, user: USER.u1, track: T.t5, at: `${DAY_4} 20:00:00` },
    { event: 16, user: STRANGER, track: T.t4, at: `${DAY_4} 20:10:00` },
  ],
};

export function eventId(event: number): string {
  return `eeeeeeee-0000-4000-8000-${String(event).padStart(12, '0')}`;
}

/** The arrival hour of a play delivered on time: the start of its own hour. */
function ownHour(at: string): string {
  return `${at.slice(0, 13)}:00:00`;
}

/** The `listens` rows of the partition listen_date = `day`, as the transform writes them. */
export function listensRowsOn(day: string): Row[] {
  return (PLAYS[day] ?? []).map((play) => ({
    event_id: eventId(play.event),
    user_id: play.user,
    track_id: play.track,
    listened_at: play.at,
    listen_date: day,
    listen_hour: Number(play.at.slice(11, 13)),
    ms_played: 1000 * (60 + play.event),
    device: play.event % 2 === 0 ? 'ios' : 'web',
    arrival_hour: play.lateArrival ?? ownHour(play.at),
    arrived_late: play.lateArrival !== undefined,
    processing_timestamp: `${day} 23:00:00`,
    source_from: `stream/listens/arrived_on=${day}/hour=00/listens-${play.event}.jsonl.gz`,
  }));
}
