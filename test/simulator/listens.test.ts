/**
 * The simulated listening events and the Firehose stand-in (docs/listening-events.md): deterministic plays,
 * objects under their arrival interval, idempotent delivery, the faults at their rates, and a truth that
 * agrees with an independent reading of the delivered objects.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  ARRIVAL_INTERVAL_MS,
  DEVICES,
  LISTEN_FAULT_RATES,
  SimulatedWorld,
  deliverListens,
  listensObjectKey,
} from '../../lib/local/simulator';
import { startApiServer, type ApiServer } from '../../lib/local/simulator/api-server';
import { BAD_LINE_KINDS } from '../../lib/local/simulator/listen-lines';
import { parseEvent, readDelivered, recompute, type CatalogFacts } from './listens-recompute';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
const DATE = '2020-03-10';
const DAY_START = Date.parse(`${DATE}T00:00:00Z`);
const LATENESS_HOURS = 12;
/** Late enough for every fault of DATE to have arrived (the latest: 40 h after the day's end). */
const ALL_ARRIVED = DAY_START + DAY_MS + 42 * HOUR_MS;

let dir: string;
let counter = 0;
const freshDir = () => path.join(dir, `landing-${counter++}`);

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'deftunes-listens-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function filesOf(root: string, keys: readonly string[]): Map<string, Buffer> {
  return new Map(keys.map((key) => [key, readFileSync(path.join(root, ...key.split('/')))]));
}

describe('deliverListens', () => {
  const world = new SimulatedWorld({ seed: 7, badRecordRate: 0.02 });

  it('writes the same objects, byte for byte, for the same world, in one go or in steps', async () => {
    const once = freshDir();
    const inSteps = freshDir();
    const until = DAY_START + DAY_MS + 6 * HOUR_MS;
    await deliverListens(world, once, { from: DAY_START, until });
    const first = await deliverListens(new SimulatedWorld({ seed: 7, badRecordRate: 0.02 }), inSteps, {
      from: DAY_START,
      until: DAY_START + 13 * HOUR_MS + 7 * 60_000,
    });
    expect(first.written).toBeGreaterThan(40);
    const second = await deliverListens(world, inSteps, { from: DAY_START, until: new Date(until) });
    expect(second.skipped).toBe(first.written);
    const a = await readDelivered(once);
    const b = await readDelivered(inSteps);
    expect(b.keys).toEqual(a.keys);
    expect(filesOf(inSteps, b.keys)).toEqual(filesOf(once, a.keys));
    // Another seed draws other plays.
    const other = freshDir();
    await deliverListens(new SimulatedWorld({ seed: 8, badRecordRate: 0.02 }), other, {
      from: DAY_START,
      until,
    });
    expect((await readDelivered(other)).keys).not.toEqual(a.keys);
  });

  it('delivers again without writing anything, and leaves the bytes as they were', async () => {
    const root = freshDir();
    const until = `${DATE}T09:00:00Z`;
    const first = await deliverListens(world, root, { until });
    const before = filesOf(root, (await readDelivered(root)).keys);
    const again = await deliverListens(world, root, { until });
    expect(again).toMatchObject({ written: 0, lines: 0, skipped: first.written });
    expect(filesOf(root, (await readDelivered(root)).keys)).toEqual(before);
  });

  it('writes only the intervals that ended by `until`, under their arrival hour, lines shuffled', async () => {
    const root = freshDir();
    const until = DAY_START + 5 * HOUR_MS + 20 * 60_000; // 05:15 ended, 05:15-05:30 has not
    const report = await deliverListens(world, root, { from: DAY_START, until });
    const { keys, lines } = await readDelivered(root);
    expect(report.written).toBe(keys.length);
    // 00:00 .. 05:15: 21 intervals, each with plays at tiny.
    expect(keys).toEqual(
      Array.from({ length: 21 }, (_, i) => listensObjectKey(7, DAY_START / ARRIVAL_INTERVAL_MS + i)).sort(),
    );
    expect(keys[0]).toMatch(
      /^stream\/listens\/arrived_on=2020-03-10\/hour=00\/deftunes-listens-1-2020-03-10-00-00-00-[0-9a-f-]{36}\.jsonl\.gz$/,
    );
    expect(lines.length).toBe(report.lines);
    // A normal play arrives seconds to minutes after it started; a shuffled object is not in time order.
    const times = lines.map((line) => parseEvent(line.text)?.listenedAtMs).filter((t) => t !== undefined);
    expect(times.every((t, i) => i === 0 || t >= times[i - 1])).toBe(false);
  });

  it('generates only the dates that can arrive in the hours delivered', async () => {
    const spied = jest.spyOn(world.listens.stream, 'timings');
    await deliverListens(world, freshDir(), { from: DAY_START, until: DAY_START + 2 * HOUR_MS });
    const days = spied.mock.calls.map(([day]) => day);
    spied.mockRestore();
    const day = DAY_START / DAY_MS;
    expect(days).toEqual([day - 2, day - 1, day, day + 1]);
  });
});

describe('plays', () => {
  it('are deterministic, well-formed and within their date', () => {
    const world = new SimulatedWorld({ seed: 3 });
    const day = DAY_START / DAY_MS;
    const plays = [...world.listens.stream.plays(day)];
    expect([...new SimulatedWorld({ seed: 3 }).listens.stream.plays(day)].map((p) => p.line)).toEqual(
      plays.map((p) => p.line),
    );
    // tiny: about 10x the 200 session items of a day.
    expect(plays.length).toBeGreaterThan(1800);
    expect(plays.length).toBeLessThan(2500);
    const songs = new Map([...world.catalog.songs()].map((song) => [song.track_id, song]));
    const signedUp = world.users.countAt(DAY_START + DAY_MS);
    const userIds = new Set(Array.from({ length: signedUp }, (_, i) => world.users.userId(i)));
    for (const play of plays) {
      const event = parseEvent(play.line)!;
      expect(event).not.toBeNull();
      expect(event.listenedAtMs).toBe(play.listenedAtMs);
      expect(Math.floor(event.listenedAtMs / DAY_MS)).toBe(day);
      expect(userIds.has(event.user_id)).toBe(true);
      expect(DEVICES).toContain(event.device);
      const song = songs.get(event.track_id);
      if (song) expect(event.ms_played).toBeLessThanOrEqual(song.duration! * 1000);
    }
    const unknown = plays.filter((play) => !songs.has(play.track_id)).length;
    expect(unknown).toBeGreaterThan(0);
    expect(unknown / plays.length).toBeLessThan(0.02);
    expect(plays.some((play) => /[+-]\d{2}:\d{2}"/.test(play.line))).toBe(true);
    // More plays in the evening than at night.
    const inHour = (hour: number) =>
      plays.filter((p) => new Date(p.listenedAtMs).getUTCHours() === hour).length;
    expect(inHour(20)).toBeGreaterThan(3 * inHour(4));
  });

  it('carry the Firehose faults at their rates, and bad lines at the bad record rate', () => {
    const world = new SimulatedWorld({ seed: 11, scale: 5, badRecordRate: 0.02 });
    const day = DAY_START / DAY_MS;
    const timings = [0, 1, 2, 3].flatMap((d) => [...world.listens.stream.timings(day + d)]);
    expect(timings.length).toBeGreaterThan(150_000);
    const share = (fault: string) => timings.filter((t) => t.fault === fault).length / timings.length;
    expect(share('bad_line')).toBeCloseTo(0.02, 2);
    for (const [fault, rate] of Object.entries(LISTEN_FAULT_RATES)) {
      expect(share(fault) / (rate * 0.98)).toBeGreaterThan(0.85);
      expect(share(fault) / (rate * 0.98)).toBeLessThan(1.15);
    }
    // One check per play would take a minute under jest: collect the plays that break their fault's rule.
    const broken = timings.filter((t) => {
      const [first, copy] = t.arrivals;
      const delay = first - t.listenedAtMs;
      switch (t.fault) {
        case 'duplicate':
          return !(copy >= first && copy - first <= HOUR_MS);
        case 'late':
          return !(delay >= HOUR_MS && delay <= 10 * HOUR_MS);
        case 'after_window':
          return !(
            first >= (t.day + 1) * DAY_MS + 13 * HOUR_MS && first <= (t.day + 1) * DAY_MS + 40 * HOUR_MS
          );
        case 'clock_skew':
          return !(t.listenedAtMs > Math.floor(first / HOUR_MS) * HOUR_MS + HOUR_MS);
        default:
          return !(t.arrivals.length === 1 && delay > 0 && delay <= 11 * 60_000);
      }
    });
    expect(broken).toEqual([]);
    const bad = [...world.listens.stream.plays(day)].filter((play) => play.badKind !== null);
    expect(new Set(bad.map((play) => play.badKind))).toEqual(new Set(BAD_LINE_KINDS));
    for (const play of bad) expect(parseEvent(play.line)).toBeNull();
  });
});

describe('world.listens.truth', () => {
  const world = new SimulatedWorld({ seed: 5, badRecordRate: 0.05 });
  const catalog = new Map<string, CatalogFacts>(
    [...world.catalog.songs()].map((song) => [song.track_id, song]),
  );
  const genres = new Map(world.artistStatsTruth().map((a) => [a.artist_id, a.response?.tags.tag[0]?.name]));
  const genreOf = (artistId: string) => genres.get(artistId)?.toLowerCase() ?? 'unknown';

  it.each([
    ['after every late play arrived', ALL_ARRIVED],
    ['before the late plays arrived', DAY_START + DAY_MS + 3 * HOUR_MS + 10 * 60_000],
  ])('agrees with the delivered objects read back, %s', async (_, until) => {
    const root = freshDir();
    await deliverListens(world, root, { from: DAY_START, until });
    const { lines } = await readDelivered(root);
    const truth = world.listens.truth(DATE, {
      deliveredUntil: new Date(until),
      latenessHours: LATENESS_HOURS,
    });
    const expected = recompute(lines, DATE, LATENESS_HOURS, catalog, genreOf);
    const { kpi_genre_daily, kpi_hourly, ...counts } = expected;
    expect(truth).toMatchObject(counts);
    expect(truth.kpi_hourly).toEqual(kpi_hourly);
    expect(truth.kpi_genre_daily.map((row) => row.genre)).toEqual(kpi_genre_daily.map((row) => row.genre));
    for (const [i, row] of truth.kpi_genre_daily.entries()) {
      const { avg_track_duration_s, avg_popularity, popularity_index, ...exact } = kpi_genre_daily[i];
      expect(row).toMatchObject(exact);
      expect(row.avg_track_duration_s).toBeCloseTo(avg_track_duration_s!, 9);
      expect(row.avg_popularity).toBeCloseTo(avg_popularity!, 9);
      expect(row.popularity_index).toBeCloseTo(popularity_index!, 9);
    }
    expect(truth.generated).toBeGreaterThan(truth.delivered);
    expect(truth.kpi_hourly.reduce((sum, row) => sum + row.total_plays, 0)).toBe(truth.delivered);
  });

  it('counts each fault of the date', () => {
    const all = world.listens.truth(DATE, { deliveredUntil: ALL_ARRIVED, latenessHours: LATENESS_HOURS });
    const early = world.listens.truth(DATE, {
      deliveredUntil: DAY_START + DAY_MS + 15 * 60_000,
      latenessHours: LATENESS_HOURS,
    });
    expect(all.duplicates).toBeGreaterThan(0);
    expect(all.late).toBeGreaterThan(early.late);
    expect(all.delivered).toBeGreaterThan(early.delivered);
    expect(all.plays_after_window).toBeGreaterThan(0);
    expect(early.plays_after_window).toBe(0);
    const reasons = all.quarantined_by_reason;
    expect(reasons.bad_line).toBeGreaterThan(0.03 * all.generated);
    expect(reasons.arrived_after_window).toBeGreaterThan(0);
    expect(all.arrived_after_window).toBe(reasons.arrived_after_window);
    expect(all.quarantined).toBe(
      reasons.bad_line + reasons.arrived_after_window + reasons.listened_at_after_arrival,
    );
    // The genres default to the simulator's artist statistics.
    expect(
      world.listens.truth(DATE, { deliveredUntil: ALL_ARRIVED, latenessHours: LATENESS_HOURS, genreOf }),
    ).toEqual(all);
  });
});

describe('GET /_truth/listens', () => {
  const world = new SimulatedWorld({ seed: 5, badRecordRate: 0.05 });
  let server: ApiServer;
  beforeAll(async () => {
    server = await startApiServer({ world, faultRate: 0, slowResponseMs: 0, host: '127.0.0.1', port: 0 });
  });
  afterAll(() => server.close());

  it('serves the truth of a date, delivered up to the end of its window unless told', async () => {
    const windowEnd = await fetch(`${server.url}/_truth/listens?date=${DATE}&lateness_hours=12`);
    expect(windowEnd.status).toBe(200);
    expect(await windowEnd.json()).toEqual(
      world.listens.truth(DATE, { deliveredUntil: '2020-03-11T12:00:00Z', latenessHours: 12 }),
    );
    const early = await fetch(
      `${server.url}/_truth/listens?date=${DATE}&lateness_hours=6&delivered_until=2020-03-11T01:00:00Z`,
    );
    expect(await early.json()).toEqual(
      world.listens.truth(DATE, { deliveredUntil: '2020-03-11T01:00:00Z', latenessHours: 6 }),
    );
  });

  it.each([
    ['', /date is required/],
    [`date=${DATE}`, /lateness_hours is required/],
    [`date=${DATE}&lateness_hours=12&delivered_until=soon`, /delivered_until must be a time/],
  ])('answers 400 to ?%s', async (query, message) => {
    const response = await fetch(`${server.url}/_truth/listens?${query}`);
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toMatch(message);
  });
});
