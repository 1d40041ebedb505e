/**
 * The real API's record shapes the simulator serves by default (lib/local/simulator/shapes.ts), and the
 * tidy ones `tidyShapes` restores.
 */
import type { SessionRecord, UserRecord } from '../../lambdas/shared/contracts';
import { SimulatedWorld } from '../../lib/local/simulator';
import { spellingVariant } from '../../lib/local/simulator/shapes';
import { DAY_MS, apiTimestampMs, formatDay, parseDay } from '../../lib/local/simulator/time';

const FEB_1 = parseDay('2020-02-01', 'date');
const REAL_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}$/;

const sessionsOf = (world: SimulatedWorld, start: number, end = start) =>
  [...world.servedSessions(start, end)].flatMap((served) => served.records) as SessionRecord[];
const snapshotOf = (world: SimulatedWorld, day: number) =>
  new Map(
    ([...world.servedUsers(0, day)].flatMap((served) => served.records) as UserRecord[]).map((user) => [
      user.user_id,
      user,
    ]),
  );

describe('real shapes (the default)', () => {
  const world = new SimulatedWorld({ seed: 7 });
  const days = Array.from({ length: 150 }, (_, i) => FEB_1 + i);

  it('serves times without an offset, with microseconds, meaning UTC', () => {
    const sessions = sessionsOf(world, FEB_1);
    const tidy = sessionsOf(new SimulatedWorld({ seed: 7, tidyShapes: true }), FEB_1);
    const tidyStart = new Map(tidy.map((session) => [session.session_id, session.session_start_time]));
    for (const session of sessions) {
      expect(session.session_start_time).toMatch(REAL_TIME);
      // The same instant as the tidy `...Z` form, to the second: no zone shift.
      expect(Math.floor(apiTimestampMs(session.session_start_time) / 1000)).toBe(
        apiTimestampMs(tidyStart.get(session.session_id)!) / 1000,
      );
      for (const item of session.session_items)
        if (item.liked_since) expect(item.liked_since).toMatch(REAL_TIME);
    }
    for (const user of snapshotOf(world, FEB_1).values()) expect(user.user_since).toMatch(REAL_TIME);
  });

  it('dates some likes years after the session', () => {
    let later = 0;
    for (const session of sessionsOf(world, FEB_1, FEB_1 + 6)) {
      const start = apiTimestampMs(session.session_start_time);
      for (const item of session.session_items) {
        if (item.liked_since && apiTimestampMs(item.liked_since) > start + 365 * DAY_MS) later++;
      }
    }
    expect(later).toBeGreaterThan(5);
  });

  it('serves one artist id under several spellings, the catalog keeping one', () => {
    const spellings = new Map<string, Set<string>>();
    for (const session of sessionsOf(world, FEB_1, FEB_1 + 2)) {
      for (const item of session.session_items) {
        spellings.set(item.artist_id, (spellings.get(item.artist_id) ?? new Set()).add(item.artist_name));
      }
    }
    const catalogName = new Map([...world.catalog.songs()].map((song) => [song.artist_id, song.artist_name]));
    const several = [...spellings].filter(([, names]) => names.size > 1);
    expect(several.length).toBeGreaterThan(3);
    for (const [artistId, names] of several) {
      const canonical = catalogName.get(artistId)!;
      for (const name of names) {
        expect(name.replace(/\s+/g, ' ').trim().toLowerCase().length).toBeGreaterThan(0);
        expect(
          [canonical, 0, 1, 2, 3].some(
            (v) => (typeof v === 'number' ? spellingVariant(canonical, v) : v) === name,
          ),
        ).toBe(true);
      }
    }
    expect(world.truth(FEB_1).sessions.artist_spellings).toBeGreaterThan(0);
  });

  it('has buyers absent from the users snapshot for days, and some for good, as _truth says', () => {
    let lateProfiles = 0;
    let never = 0;
    for (const day of days) {
      const truth = world.truth(day);
      if (truth.inferred_buyers.length === 0) continue;
      const snapshot = snapshotOf(world, day);
      const buyers = new Set(sessionsOf(world, day).map((session) => session.user_id));
      for (const { user_id, profile_on } of truth.inferred_buyers) {
        expect(buyers.has(user_id)).toBe(true);
        expect(snapshot.has(user_id)).toBe(false);
        if (profile_on === null) {
          never++;
          continue;
        }
        lateProfiles++;
        expect(profile_on > formatDay(day)).toBe(true);
        const arrived = snapshotOf(world, parseDay(profile_on, 'profile_on')).get(user_id)!;
        // user_since is after the purchase, on the day the profile arrives.
        expect(arrived.user_since.slice(0, 10)).toBe(profile_on);
        expect(snapshotOf(world, parseDay(profile_on, 'profile_on') - 1).has(user_id)).toBe(false);
      }
      // Every other buyer is in the snapshot.
      for (const buyer of buyers) {
        if (!truth.inferred_buyers.some((inferred) => inferred.user_id === buyer))
          expect(snapshot.has(buyer)).toBe(true);
      }
    }
    expect(lateProfiles).toBeGreaterThan(0);
    expect(never).toBeGreaterThan(0);
  });

  it('serves the users snapshot in no time order, the same on every request', () => {
    const world = new SimulatedWorld({ seed: 7, scale: 2 });
    const snapshot = [...snapshotOf(world, FEB_1).values()].map((user) => apiTimestampMs(user.user_since));
    expect(snapshot.every((time, i) => i === 0 || snapshot[i - 1] <= time)).toBe(false);
    expect([...snapshotOf(world, FEB_1).values()].map((u) => u.user_since)).toEqual(
      [...snapshotOf(world, FEB_1).values()].map((u) => u.user_since),
    );
  });
});

describe('tidy shapes (tidyShapes: true)', () => {
  const world = new SimulatedWorld({ seed: 7, tidyShapes: true });

  it('serves UTC times with Z and whole seconds, in time order, one spelling, every buyer profiled', () => {
    const catalogName = new Map([...world.catalog.songs()].map((song) => [song.artist_id, song.artist_name]));
    for (let day = FEB_1; day < FEB_1 + 30; day++) {
      const truth = world.truth(day);
      expect(truth.inferred_buyers).toEqual([]);
      expect(truth.sessions.artist_spellings).toBe(0);
      const sessions = sessionsOf(world, day);
      for (const session of sessions) {
        expect(session.session_start_time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
        for (const item of session.session_items)
          expect(item.artist_name).toBe(catalogName.get(item.artist_id));
      }
    }
  });
});
