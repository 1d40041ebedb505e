/**
 * The real API's shapes end to end (issue 18): the deployed DailyPipeline definition run locally at tiny
 * scale against the simulator's default, real shapes (offset-less microsecond times, answers in no time
 * order, artist names in several spellings, likes dated after the session, buyers whose profile arrives
 * days later or never). The dates are the first ones, from 2020-02-01, where a buyer's profile arrives
 * one or two days after a purchase, so a run infers that buyer and a later run completes them. Checked
 * against the simulator itself: the inferred members after each run, their completion on the day the
 * profile arrives with the fact rows keeping their keys, the three BI views, and re-runs changing nothing.
 * Slow (one JVM per run).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startLocalGlue } from '../../lib/local/pipeline/local-glue';
import { runPipeline, type RunPipelineOptions } from '../../lib/local/pipeline/run-pipeline';
import { SimulatedWorld, startSources, type RunningSources } from '../../lib/local/simulator';
import { DAY_MS, apiTimestampMs, formatDay, parseDay } from '../../lib/local/simulator/time';
import { servingSnapshot, withWarehouse } from './serving-snapshot';

jest.setTimeout(1_500_000);

const SEED = 7;
type Row = Record<string, unknown>;

/** The first day from 2020-02-01 with a buyer whose profile arrives one or two days later: the run dates. */
function scenario(world: SimulatedWorld): { dates: string[]; lateUser: string } {
  for (let day = parseDay('2020-02-01', 'start'); day < parseDay('2021-12-31', 'end'); day++) {
    for (const buyer of world.truth(day).inferred_buyers) {
      if (buyer.profile_on === null) continue;
      const wait = parseDay(buyer.profile_on, 'profile_on') - day;
      if (wait <= 2) {
        return {
          dates: Array.from({ length: wait + 1 }, (_, i) => formatDay(day + i)),
          lateUser: buyer.user_id,
        };
      }
    }
  }
  throw new Error('the simulator served no buyer whose profile arrives within two days before 2022');
}

/** Every session the runs of `dates` load (each run extracts the day before too; no late arrivals here). */
function loadedSessions(world: SimulatedWorld, dates: string[]) {
  const first = parseDay(dates[0], 'first') - 1;
  const last = parseDay(dates[dates.length - 1], 'last');
  const sessions = [];
  for (let day = first; day <= last; day++) sessions.push(...world.sessions.sessionsOfDay(day));
  return sessions;
}

/** User ids of the buyers without a profile in any snapshot up to `date`: the inferred members after it. */
function inferredAfter(world: SimulatedWorld, dates: string[], date: string): string[] {
  const upTo = parseDay(date, 'date');
  const ids = new Set<string>();
  for (const session of loadedSessions(
    world,
    dates.filter((d) => d <= date),
  )) {
    const profileDay = world.profileDay(session.userIndex);
    if (profileDay === null || profileDay > upTo) ids.add(session.record.user_id);
  }
  return [...ids].sort();
}

/**
 * The buyer's country at purchase time as the type-2 dimension tells it: the country of the snapshot of
 * the newest run date on or before the session's day that holds the user (the first one holding them
 * when none does: an inferred member completed later), or null for a buyer never profiled by `dates`.
 */
function countryAtPurchase(world: SimulatedWorld, dates: string[], userIndex: number, day: number) {
  const profileDay = world.profileDay(userIndex);
  const holding = dates.map((d) => parseDay(d, 'date')).filter((d) => profileDay !== null && d >= profileDay);
  if (holding.length === 0) return null;
  const snapshot = holding.filter((d) => d <= day).pop() ?? holding[0];
  return world.users.user(userIndex, (snapshot + 1) * DAY_MS - 1).user_location[3];
}

/** Byte order, as the warehouse sorts text (not the locale's order). */
const binary = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The three BI views as the simulator's truth says they must read after the runs of `dates`. */
function expectedViews(world: SimulatedWorld, dates: string[]) {
  const catalogName = new Map([...world.catalog.songs()].map((song) => [song.artist_id, song.artist_name]));
  const perArtist = new Map<string, Row>();
  const perCountry = new Map<string, Row>();
  const perHour = new Map<
    string,
    { buyers: Set<string>; items: number; cents: number; tracks: Set<string>; artists: Map<string, number> }
  >();
  const add = (map: Map<string, Row>, key: string, fresh: Row, cents: number) => {
    const row = map.get(key) ?? fresh;
    row.cents = (row.cents as number) + cents;
    map.set(key, row);
  };
  for (const session of loadedSessions(world, dates)) {
    const startMs = apiTimestampMs(session.record.session_start_time);
    const start = new Date(startMs);
    const day = Math.floor(startMs / DAY_MS);
    const year = start.getUTCFullYear();
    const month = start.getUTCMonth() + 1;
    const country = countryAtPurchase(world, dates, session.userIndex, day);
    const hourKey = `${formatDay(day)} ${start.getUTCHours()}`;
    const hour = perHour.get(hourKey) ?? {
      buyers: new Set<string>(),
      items: 0,
      cents: 0,
      tracks: new Set<string>(),
      artists: new Map<string, number>(),
    };
    perHour.set(hourKey, hour);
    for (const item of session.record.session_items) {
      const cents = Math.round(item.price * 100);
      add(perArtist, `${year} ${item.artist_id}`, { year, artist_id: item.artist_id, cents: 0 }, cents);
      add(perCountry, `${year} ${month} ${country}`, { year, month, country, cents: 0 }, cents);
      hour.buyers.add(session.record.user_id);
      hour.items++;
      hour.cents += cents;
      hour.tracks.add(item.song_id);
      hour.artists.set(item.artist_id, (hour.artists.get(item.artist_id) ?? 0) + cents);
    }
  }
  const byKey = (a: Row, b: Row) => JSON.stringify(a).localeCompare(JSON.stringify(b));
  return {
    artist: [...perArtist.values()]
      .map((row) => ({ ...row, artist_name: catalogName.get(row.artist_id as string) }))
      .sort(byKey),
    country: [...perCountry.values()].sort(byKey),
    hourly: [...perHour]
      .map(([key, hour]) => {
        const [top] = [...hour.artists].sort(
          ([idA, a], [idB, b]) =>
            b - a || binary(catalogName.get(idA)!, catalogName.get(idB)!) || binary(idA, idB),
        );
        return {
          key,
          buyers: hour.buyers.size,
          items: hour.items,
          cents: hour.cents,
          top_artist: catalogName.get(top[0]),
          diversity: Number((hour.tracks.size / hour.items).toFixed(9)),
        };
      })
      .sort(byKey),
  };
}

const plain = (rows: Row[]): Row[] =>
  rows.map((row) =>
    Object.fromEntries(
      Object.entries(row).map(([key, value]) => [key, typeof value === 'bigint' ? Number(value) : value]),
    ),
  );

describe('deftunes run on the real API shapes (inferred buyers, artist spellings)', () => {
  const world = new SimulatedWorld({ seed: SEED });
  const { dates, lateUser } = scenario(world);
  const userIndexes = new Map(loadedSessions(world, dates).map((s) => [s.record.user_id, s.userIndex]));
  const userIndexOf = (userId: string): number => userIndexes.get(userId)!;
  let dataDir: string;
  let sources: RunningSources;
  let options: Omit<RunPipelineOptions, 'dates'>;
  /** Per run date: the inferred members and the fact rows' user keys right after its run. */
  const after: Record<string, { inferred: Row[]; factKeys: Map<string, string>; lateUserRows: Row[] }> = {};

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'deftunes-real-shapes-'));
    sources = await startSources({ port: 0, songsPort: 0, scale: 'tiny', seed: SEED });
    // The runner's own simulator (enrichment APIs, listening events) must be the same world as the
    // sources', else the plays' tracks and listeners are not the catalog's and users.
    options = {
      dataDir,
      apiUrl: sources.apiUrl,
      songsDbUrl: sources.songsDbUrl,
      scale: 'tiny',
      seed: SEED,
      startGlue: startLocalGlue,
    };
    for (const date of dates) {
      const run = await runPipeline({ ...options, dates: [date], dashboard: false });
      if (run.status !== 'succeeded')
        throw new Error(`the run of ${date} failed: ${JSON.stringify(run.dates)}`);
      after[date] = await withWarehouse(dataDir, async (warehouse) => ({
        inferred: plain(
          await warehouse.query(
            `SELECT user_id, user_key, CAST(valid_from AS VARCHAR) AS valid_from, is_current,
                    user_name, country_code, user_since
             FROM dim_users WHERE is_inferred ORDER BY user_id`,
          ),
        ),
        factKeys: new Map(
          (
            await warehouse.query<{ session_item_key: string; user_key: string }>(
              `SELECT session_item_key, user_key FROM fact_session_items`,
            )
          ).map((row) => [row.session_item_key, row.user_key]),
        ),
        lateUserRows: plain(
          await warehouse.query(
            `SELECT user_key, is_inferred, country_code, epoch_us(user_since) AS user_since_us,
                    CAST(valid_from AS VARCHAR) AS valid_from
             FROM dim_users WHERE user_id = :user ORDER BY valid_from`,
            { user: lateUser },
          ),
        ),
      }));
    }
  });

  afterAll(async () => {
    await sources?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  test('buyers without a profile are inferred members: flagged, attributes unknown, one version each', () => {
    for (const date of dates) {
      const expected = inferredAfter(world, dates, date);
      expect(expected.length).toBeGreaterThan(0);
      expect(after[date].inferred.map((row) => row.user_id)).toEqual(expected);
      for (const row of after[date].inferred) {
        expect(row).toMatchObject({
          valid_from: '1900-01-01 00:00:00',
          is_current: true,
          user_name: null,
          country_code: null,
          user_since: null,
        });
      }
    }
    // Some stay inferred for good (no profile ever), as the simulator's truth says.
    const never = after[dates[dates.length - 1]].inferred.filter(
      (row) => world.profileDay(userIndexOf(row.user_id as string)) === null,
    );
    expect(never.length).toBeGreaterThan(0);
  });

  test('a buyer is completed on the day the profile arrives, and the fact rows keep their user keys', () => {
    const [firstDate] = dates;
    const arrival = dates[dates.length - 1];
    const inferredRow = after[firstDate].lateUserRows;
    expect(inferredRow).toHaveLength(1);
    expect(inferredRow[0]).toMatchObject({ is_inferred: true, country_code: null });
    for (const date of dates.slice(0, -1)) expect(after[date].lateUserRows).toEqual(inferredRow);
    // Completed in place: the same key, now with the profile's attributes (user_since on the arrival day).
    const completed = after[arrival].lateUserRows;
    const profile = world.users.user(userIndexOf(lateUser), (parseDay(arrival, 'arrival') + 1) * DAY_MS - 1);
    const [seconds, micros] = profile.user_since.split('.');
    expect(completed).toEqual([
      {
        user_key: inferredRow[0].user_key,
        is_inferred: false,
        country_code: profile.user_location[3],
        user_since_us: apiTimestampMs(seconds) * 1000 + Number(micros),
        valid_from: '1900-01-01 00:00:00',
      },
    ]);
    expect(profile.user_since.slice(0, 10)).toBe(arrival);
    // Every fact row loaded by an earlier run still points to the same user key.
    for (const date of dates.slice(0, -1)) {
      for (const [item, userKey] of after[date].factKeys) {
        expect(after[arrival].factKeys.get(item) ?? userKey).toBe(userKey);
      }
    }
    const lateItems = [...after[firstDate].factKeys].filter(([, key]) => key === inferredRow[0].user_key);
    expect(lateItems.length).toBeGreaterThan(0);
  });

  test("the BI views equal the simulator's truth: by artist id with the catalog's name, by country at purchase, by hour", async () => {
    const expected = expectedViews(world, dates);
    const spellings = loadedSessions(world, dates).reduce((sum, session) => sum + session.artistSpellings, 0);
    expect(spellings).toBeGreaterThan(0);
    await withWarehouse(dataDir, async (warehouse) => {
      const artist = plain(
        await warehouse.query(`
          SELECT session_year AS year, artist_id, CAST(round(total_sales * 100) AS INTEGER) AS cents, artist_name
          FROM sales_per_artist_vw`),
      ).map((row) => ({
        year: row.year,
        artist_id: row.artist_id,
        cents: row.cents,
        artist_name: row.artist_name,
      }));
      const byKey = (a: Row, b: Row) => JSON.stringify(a).localeCompare(JSON.stringify(b));
      expect(artist.sort(byKey)).toEqual(expected.artist);
      const country = plain(
        await warehouse.query(`
          SELECT session_year AS year, session_month AS month, country_code AS country,
                 CAST(round(total_sales * 100) AS INTEGER) AS cents
          FROM sales_per_country_vw`),
      ).map((row) => ({ year: row.year, month: row.month, country: row.country, cents: row.cents }));
      expect(country.sort(byKey)).toEqual(expected.country);
      const hourly = plain(
        await warehouse.query(`
          SELECT CAST(session_date AS VARCHAR) || ' ' || session_hour AS key, unique_buyers AS buyers,
                 items_sold AS items, CAST(round(revenue * 100) AS INTEGER) AS cents, top_artist,
                 round(track_diversity_index, 9) AS diversity
          FROM hourly_kpis_vw`),
      ).map((row) => ({ ...row, diversity: Number(row.diversity) }));
      expect(hourly.sort(byKey)).toEqual(expected.hourly);
    });
  });

  test('re-running the dates, newest then oldest, changes nothing in the serving layer', async () => {
    const before = await servingSnapshot(dataDir);
    for (const date of [dates[dates.length - 1], dates[0]]) {
      const rerun = await runPipeline({ ...options, dates: [date], dashboard: false });
      expect(rerun.status).toBe('succeeded');
      expect(await servingSnapshot(dataDir)).toEqual(before);
    }
  });
});
