import {
  SessionRecordSchema,
  SongRecordSchema,
  UserRecordSchema,
  type SessionRecord,
  type UserRecord,
} from '../../lambdas/shared/contracts';
import { SESSION_FAULT_KINDS, USER_FAULT_KINDS } from '../../lib/local/simulator/corruption';
import { CITIES } from '../../lib/local/simulator/geo';
import { SCALES, SimulatedWorld, resolveScale } from '../../lib/local/simulator';
import { DAY_MS, apiTimestampMs, parseDay } from '../../lib/local/simulator/time';

const FEB_1 = parseDay('2020-02-01', 'date');

function sessionsOf(world: SimulatedWorld, start: number, end = start): unknown[] {
  return [...world.servedSessions(start, end)].flatMap((served) => served.records);
}

function usersOf(world: SimulatedWorld, start: number, end: number): unknown[] {
  return [...world.servedUsers(start, end)].flatMap((served) => served.records);
}

describe('generator determinism', () => {
  it('gives the same records for the same seed, in separate instances', () => {
    const a = new SimulatedWorld({ seed: 7, badRecordRate: 0.1 });
    const b = new SimulatedWorld({ seed: 7, badRecordRate: 0.1 });
    expect(sessionsOf(a, FEB_1)).toEqual(sessionsOf(b, FEB_1));
    expect(usersOf(a, 0, FEB_1)).toEqual(usersOf(b, 0, FEB_1));
    expect([...a.catalog.songs()]).toEqual([...b.catalog.songs()]);
    expect(a.truth(FEB_1)).toEqual(b.truth(FEB_1));
  });

  it('gives different records for a different seed', () => {
    const a = new SimulatedWorld({ seed: 7 });
    const b = new SimulatedWorld({ seed: 8 });
    const idsA = new Set((sessionsOf(a, FEB_1) as SessionRecord[]).map((s) => s.session_id));
    const idsB = (sessionsOf(b, FEB_1) as SessionRecord[]).map((s) => s.session_id);
    expect(idsB.filter((id) => idsA.has(id))).toEqual([]);
    expect(a.catalog.song(0).track_id).not.toBe(b.catalog.song(0).track_id);
    expect(a.users.userId(0)).not.toBe(b.users.userId(0));
  });

  it('makes a day independent of the window it is asked in', () => {
    const world = new SimulatedWorld({ seed: 3, badRecordRate: 0.2 });
    const week = sessionsOf(world, FEB_1 - 3, FEB_1 + 3);
    const days = [];
    // The real API serves a window's days newest first (tidy shapes: in date order).
    for (let day = FEB_1 + 3; day >= FEB_1 - 3; day--) days.push(...sessionsOf(world, day));
    expect(week).toEqual(days);
    const tidy = new SimulatedWorld({ seed: 3, badRecordRate: 0.2, tidyShapes: true });
    const tidyDays = [];
    for (let day = FEB_1 - 3; day <= FEB_1 + 3; day++) tidyDays.push(...sessionsOf(tidy, day));
    expect(sessionsOf(tidy, FEB_1 - 3, FEB_1 + 3)).toEqual(tidyDays);
    expect(sessionsOf(world, FEB_1)).toEqual(
      sessionsOf(new SimulatedWorld({ seed: 3, badRecordRate: 0.2 }), FEB_1),
    );
  });
});

describe('scales', () => {
  it('sizes large at >= 1M songs, users and session items a day', () => {
    expect(SCALES.large.songs).toBeGreaterThanOrEqual(1_000_000);
    expect(SCALES.large.usersAtEpoch).toBeGreaterThanOrEqual(1_000_000);
    // The quietest day is 0.93 of the target (see SessionGenerator.slotsOfDay).
    expect(SCALES.large.itemsPerDay * 0.93).toBeGreaterThanOrEqual(1_000_000);
    expect(SCALES.tiny).toEqual({ songs: 300, usersAtEpoch: 100, itemsPerDay: 200 });
  });

  it('accepts a numeric factor and rejects unknown names', () => {
    expect(resolveScale(2)).toMatchObject({ songs: 2000, usersAtEpoch: 2000, itemsPerDay: 2000 });
    expect(resolveScale('0.5')).toMatchObject({ songs: 500 });
    expect(() => resolveScale('huge')).toThrow(/scale must be one of tiny, small, medium, large/);
    expect(() => resolveScale(-1)).toThrow(/scale/);
  });

  it('produces about the target number of items a day', () => {
    const world = new SimulatedWorld({ scale: 5 });
    let items = 0;
    for (let day = FEB_1; day < FEB_1 + 7; day++) {
      for (const session of world.sessions.sessionsOfDay(day)) items += session.record.session_items.length;
    }
    expect(items / 7).toBeGreaterThan(5000 * 0.9);
    expect(items / 7).toBeLessThan(5000 * 1.15);
  });
});

describe('record shapes (bad record rate 0)', () => {
  const world = new SimulatedWorld({ seed: 11 });
  const trackIds = new Set([...world.catalog.songs()].map((song) => song.track_id));
  const days = Array.from({ length: 10 }, (_, i) => FEB_1 + i * 37);
  const sessions = days.flatMap((day) => sessionsOf(world, day)) as SessionRecord[];

  it('serves sessions that satisfy the contract, with catalog track ids and store prices', () => {
    expect(sessions.length).toBeGreaterThan(500);
    for (const session of sessions) {
      expect(SessionRecordSchema.safeParse(session).error).toBeUndefined();
      for (const item of session.session_items) {
        expect(trackIds.has(item.song_id)).toBe(true);
        expect(item.price).toBeGreaterThanOrEqual(0.33);
        expect(item.price).toBeLessThanOrEqual(1.99);
      }
    }
  });

  it('keeps liked and liked_since consistent, and only users who exist buy (tidy shapes)', () => {
    const world = new SimulatedWorld({ seed: 11, tidyShapes: true });
    const sessions = days.flatMap((day) => sessionsOf(world, day)) as SessionRecord[];
    const sinceById = new Map(
      (usersOf(world, 0, days[days.length - 1]) as UserRecord[]).map((user) => [
        user.user_id,
        user.user_since,
      ]),
    );
    let liked = 0;
    for (const session of sessions) {
      const start = Date.parse(session.session_start_time);
      const userSince = sinceById.get(session.user_id);
      expect(userSince).toBeDefined();
      expect(Date.parse(userSince!)).toBeLessThanOrEqual(start);
      for (const item of session.session_items) {
        expect(item.liked_since === null).toBe(!item.liked);
        if (item.liked_since !== null) {
          liked++;
          expect(Date.parse(item.liked_since)).toBeLessThanOrEqual(start);
          expect(Date.parse(item.liked_since)).toBeGreaterThanOrEqual(Date.parse(userSince!));
        }
      }
    }
    expect(liked).toBeGreaterThan(0);
  });

  it('puts each session in its day: in time order with tidy shapes, in no order with the real ones', () => {
    const tidy = new SimulatedWorld({ seed: 11, tidyShapes: true });
    let unordered = 0;
    for (const day of days) {
      for (const [shaped, ordered] of [
        [world, false],
        [tidy, true],
      ] as const) {
        const times = (sessionsOf(shaped, day) as SessionRecord[]).map((s) =>
          apiTimestampMs(s.session_start_time),
        );
        expect(times.every((time) => time >= day * DAY_MS && time < (day + 1) * DAY_MS)).toBe(true);
        const inOrder = times.every((time, i) => i === 0 || times[i - 1] <= time);
        if (ordered) expect(inOrder).toBe(true);
        else if (!inOrder) unordered++;
      }
    }
    expect(unordered).toBe(days.length);
  });

  it('skews song popularity (Zipf-like)', () => {
    const counts = new Map<string, number>();
    const items = sessions.flatMap((session) => session.session_items);
    for (const item of items) counts.set(item.song_id, (counts.get(item.song_id) ?? 0) + 1);
    const sorted = [...counts.values()].sort((a, b) => b - a);
    const top10Percent = sorted.slice(0, Math.ceil(world.catalog.size / 10)).reduce((a, b) => a + b, 0);
    // Uniform popularity would give the top 10% of songs about 10% of the items.
    expect(top10Percent / items.length).toBeGreaterThan(0.4);
  });

  it('serves catalog rows that satisfy the songs contract, with unique ids', () => {
    const songs = [...world.catalog.songs()];
    for (const song of songs) expect(SongRecordSchema.safeParse(song).error).toBeUndefined();
    expect(new Set(songs.map((song) => song.track_id)).size).toBe(songs.length);
    expect(new Set(songs.map((song) => song.song_id)).size).toBe(songs.length);
    expect(trackIds.has(world.catalog.unknownTrackId(12345))).toBe(false);
  });

  it('gives every artist its own name', () => {
    const artists = new Map(
      [...new SimulatedWorld({ scale: 10 }).catalog.songs()].map((s) => [s.artist_id, s.artist_name]),
    );
    expect(artists.size).toBeGreaterThan(500);
    expect(new Set(artists.values()).size).toBe(artists.size);
  });

  it('locates users in real places: table cities, ISO2 countries, IANA time zones', () => {
    const users = usersOf(world, 0, FEB_1) as UserRecord[];
    const places = new Map(CITIES.map((city) => [city.name, city]));
    for (const user of users) {
      expect(UserRecordSchema.safeParse(user).error).toBeUndefined();
      const [lat, lon, place, country, timezone] = user.user_location;
      const city = places.get(place)!;
      expect(city).toMatchObject({ country, timezone });
      expect(Math.abs(Number(lat) - city.latitude)).toBeLessThan(0.06);
      expect(Math.abs(Number(lon) - city.longitude)).toBeLessThan(0.06);
      expect(() => new Intl.DateTimeFormat('en', { timeZone: timezone })).not.toThrow();
    }
  });
});

describe('users over time', () => {
  const world = new SimulatedWorld({ seed: 5 });

  it('filters users by user_since and grows the snapshot with the date', () => {
    const jan = usersOf(world, FEB_1 - 31, FEB_1 - 1) as UserRecord[];
    for (const user of jan) {
      expect(user.user_since >= '2020-01-01').toBe(true);
      expect(user.user_since < '2020-02-01').toBe(true);
    }
    expect(world.truth(FEB_1 + 365).users.snapshot_size).toBeGreaterThan(
      world.truth(FEB_1).users.snapshot_size,
    );
    expect(usersOf(world, 0, parseDay('2014-12-31', 'date'))).toEqual([]);
  });

  it('relocates some users between two snapshots and keeps a profile a function of its date', () => {
    const before = usersOf(world, 0, FEB_1) as UserRecord[];
    const later = new Map((usersOf(world, 0, FEB_1 + 365) as UserRecord[]).map((u) => [u.user_id, u]));
    const moved = before.filter(
      (user) => later.get(user.user_id)!.user_location.join() !== user.user_location.join(),
    );
    expect(moved.length).toBeGreaterThan(0);
    expect(moved.length).toBeLessThan(before.length);
    for (const user of before) {
      const after = later.get(user.user_id)!;
      expect({ ...after, user_location: null }).toEqual({ ...user, user_location: null });
    }
    expect(usersOf(world, 0, FEB_1)).toEqual(before);
  });
});

describe('bad records', () => {
  const rate = 0.2;
  const world = new SimulatedWorld({ seed: 9, badRecordRate: rate });
  const days = Array.from({ length: 30 }, (_, i) => FEB_1 + i);
  const served = days.flatMap((day) => [...world.servedSessions(day, day)]);

  it('corrupts the requested fraction of sessions and users, in every kind', () => {
    const sessionFraction = served.filter((s) => s.corruption).length / served.length;
    // ~2,400 sessions: 4 standard deviations of a binomial fraction is about 0.033.
    expect(Math.abs(sessionFraction - rate)).toBeLessThan(0.04);
    expect(new Set(served.map((s) => s.corruption?.kind).filter(Boolean))).toEqual(
      new Set(SESSION_FAULT_KINDS),
    );

    const users = [...new SimulatedWorld({ seed: 9, badRecordRate: rate, scale: 10 }).servedUsers(0, FEB_1)];
    const userFraction = users.filter((u) => u.corruption).length / users.length;
    expect(Math.abs(userFraction - rate)).toBeLessThan(0.04);
    expect(new Set(users.map((u) => u.corruption?.kind).filter(Boolean))).toEqual(new Set(USER_FAULT_KINDS));
  });

  it('breaks the contract exactly when the fault is caught by extract (duplicates aside)', () => {
    const trackIds = new Set([...world.catalog.songs()].map((song) => song.track_id));
    for (const { records, corruption } of served) {
      const valid = records.map((record) => SessionRecordSchema.safeParse(record).success);
      if (!corruption || corruption.kind === 'duplicate_session') {
        expect(valid.every(Boolean)).toBe(true);
        expect(records.length).toBe(corruption ? 2 : 1);
        if (corruption) expect(records[1]).toEqual(records[0]);
      } else if (corruption.caught_by === 'extract') {
        expect(valid).toEqual([false]);
      } else {
        expect(valid).toEqual([true]);
        const record = records[0] as SessionRecord;
        if (corruption.entity !== 'sessions') throw new Error('a session fault must name a session');
        expect(trackIds.has(record.session_items[corruption.position!].song_id)).toBe(false);
      }
    }
    const users = [...world.servedUsers(0, FEB_1)];
    for (const { records, corruption } of users) {
      const valid = records.map((record) => UserRecordSchema.safeParse(record).success);
      if (!corruption || corruption.kind === 'duplicate_user') expect(valid.every(Boolean)).toBe(true);
      else expect(valid).toEqual([false]);
    }
  });

  it('does not depend on which records are asked with them', () => {
    const clean = new SimulatedWorld({ seed: 9 });
    const cleanSessions = days.flatMap((day) => [...clean.servedSessions(day, day)]);
    expect(served.map((s) => s.original)).toEqual(cleanSessions.map((s) => s.original));
  });
});
