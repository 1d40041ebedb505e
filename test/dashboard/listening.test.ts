/**
 * The listening panels' data: read from the two BI views of the fixture for the latest days only, compared
 * with what the fixture's plays say (computed here in JavaScript, not with the views' SQL), checked against
 * each other and fact_listens, said to be missing when a serving layer predates the feature, and embedded in
 * the page as its two panels.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { DuckDbWarehouse } from '../../lib/local/adapters/duckdb-warehouse';
import type { Row } from '../../lambdas/shared/warehouse';
import { dataDateRange } from '../../lib/local/dashboard/aggregate';
import { renderDashboardHtml } from '../../lib/local/dashboard/html';
import { LISTENING_VIEWS, loadListeningPanels } from '../../lib/local/dashboard/listening';
import { LISTENING_WINDOW_DAYS, NO_LISTENING } from '../../lib/local/dashboard/listening-model';
import { loadDashboardData } from '../../lib/local/dashboard/load';
import type { DashboardData } from '../../lib/local/dashboard/model';
import { createFixture } from './fixture';
import { HOSTILE_TITLE, LISTENING_DAYS, PLAYS, TRACKS, type FixturePlay } from './listening-fixture';

let dir: string;
let warehouse: DuckDbWarehouse;
let data: DashboardData;

const HOURLY_CHECK = 'genre_daily_vw against listening_hourly_vw (plays per day)';
const FACT_CHECK = 'listening_hourly_vw against fact_listens (plays per day)';
const WINDOW = LISTENING_DAYS.slice(-LISTENING_WINDOW_DAYS);

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'dashboard-listening-'));
  warehouse = await (await createFixture(dir)).openWarehouse();
  data = await loadDashboardData({ warehouse, source: 'fixture' });
});

afterAll(async () => {
  await warehouse.close();
  rmSync(dir, { recursive: true, force: true });
});

const trackOf = (trackId: string) => TRACKS.find((track) => track.trackId === trackId);
const average = (values: number[]) =>
  values.length === 0 ? null : values.reduce((sum, value) => sum + value, 0) / values.length;
const round4 = (value: number | null) => (value === null ? null : Math.round(value * 10000) / 10000);

/** The most frequent value, ties to the smaller one (as the KPIs break ties by id). */
function top(values: string[]): [string, number] | null {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  const sorted = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  return sorted[0] ?? null;
}

function groupBy(plays: readonly FixturePlay[], key: (play: FixturePlay) => string) {
  const groups = new Map<string, FixturePlay[]>();
  for (const play of plays) groups.set(key(play), [...(groups.get(key(play)) ?? []), play]);
  return groups;
}

const windowPlays = PLAYS.filter((play) => WINDOW.includes(play.date));

test(`holds the latest ${LISTENING_WINDOW_DAYS} days the views hold, and no row of an older day`, () => {
  expect(LISTENING_DAYS.length).toBeGreaterThan(LISTENING_WINDOW_DAYS);
  expect(data.listening.days).toEqual(WINDOW);
  expect(data.listening.daysHeld).toBe(LISTENING_DAYS.length);
  expect(new Set(data.listening.hourly.map((row) => row.date))).toEqual(new Set(WINDOW));
  expect(new Set(data.listening.genres.map((row) => row.date))).toEqual(new Set(WINDOW));
  // The page's date range covers the listening days too.
  expect(dataDateRange(data)).toEqual({ from: WINDOW[0], to: '2026-02-01' });
});

test('hourly listening: plays, unique listeners and tracks, diversity and top artist per UTC hour', () => {
  const expected = [...groupBy(windowPlays, (play) => `${play.date} ${String(play.hour).padStart(2, '0')}`)]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([, plays]) => {
      const artist = top(plays.flatMap((play) => trackOf(play.trackId)?.artistId ?? []));
      const tracks = new Set(plays.map((play) => play.trackId)).size;
      return {
        date: plays[0].date,
        hour: plays[0].hour,
        plays: plays.length,
        uniqueListeners: new Set(plays.map((play) => play.userId)).size,
        uniqueTracks: tracks,
        trackDiversityIndex: round4(tracks / plays.length),
        topArtist:
          artist === null ? null : (TRACKS.find((t) => t.artistId === artist[0])?.artistName ?? null),
        topArtistPlays: artist?.[1] ?? 0,
      };
    });
  expect(data.listening.hourly).toEqual(expected);
  // A quiet hour has no row; an hour of unknown tracks only has plays but no top artist.
  expect(expected.length).toBeLessThan(24 * WINDOW.length);
});

test('genres: plays, popularity, average duration and the top track per genre and day', () => {
  const genreOf = (play: FixturePlay) => trackOf(play.trackId)?.genre ?? 'unknown';
  const expected = [...groupBy(windowPlays, (play) => `${play.date} ${genreOf(play)}`)]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([, plays]) => {
      const known = plays.flatMap((play) => trackOf(play.trackId) ?? []);
      const popularity = average(known.map((track) => 100 * track.hotttnesss));
      const best = top(known.map((track) => track.trackId));
      const track = best === null ? undefined : trackOf(best[0]);
      return {
        date: plays[0].date,
        genre: genreOf(plays[0]),
        plays: plays.length,
        popularityIndex: popularity === null ? null : round4((plays.length * popularity) / 100),
        avgDurationS: round4(average(known.map((t) => t.durationS))),
        avgPopularity: round4(popularity),
        topTrack: track === undefined ? null : (track.title ?? track.trackId),
        topTrackId: track?.trackId ?? null,
        topTrackArtist: track?.artistName ?? null,
        topTrackPlays: best?.[1] ?? 0,
      };
    });
  expect(data.listening.genres).toEqual(expected);
  const genres = new Set(expected.map((row) => row.genre));
  // The fixture covers an unknown track (genre unknown, no average) and a known artist without a genre.
  expect(genres).toEqual(new Set(['rock', 'jazz', 'electronic', 'unknown']));
  expect(expected.some((row) => row.genre === 'unknown' && row.avgDurationS !== null)).toBe(true);
});

test('the two views agree with each other and with fact_listens, day by day', () => {
  const checks = data.checks.filter((check) => check.name === HOURLY_CHECK || check.name === FACT_CHECK);
  expect(checks).toEqual([
    { name: HOURLY_CHECK, ok: true, detail: `${windowPlays.length} plays agree on 14 days` },
    { name: FACT_CHECK, ok: true, detail: `${windowPlays.length} plays agree on 14 days` },
  ]);
});

describe('against a changed serving layer', () => {
  const ask = (_what: string, sql: string): Promise<Row[]> => warehouse.query(sql);
  const present = async () =>
    new Set(
      (
        await warehouse.query<{ table_name: string }>(
          "select table_name from information_schema.tables where table_schema = 'deftunes_serving'",
        )
      ).map((row) => row.table_name),
    );

  test('a day whose genre plays differ from its hourly plays fails the check, naming the day', async () => {
    const day = WINDOW[WINDOW.length - 1];
    await warehouse.transaction([
      {
        sql: `update deftunes_serving.kpi_genre_daily set listen_count = listen_count + 2
              where listen_date = date '${day}' and genre = 'rock'`,
      },
    ]);
    try {
      const hourlyPlays = windowPlays.filter((play) => play.date === day).length;
      const { checks } = await loadListeningPanels(ask, await present(), []);
      expect(checks).toEqual([
        {
          name: HOURLY_CHECK,
          ok: false,
          detail: `1 of 14 days differ, e.g. ${day}: genre_daily_vw ${hourlyPlays + 2}, expected ${hourlyPlays}`,
        },
        { name: FACT_CHECK, ok: true, detail: `${windowPlays.length} plays agree on 14 days` },
      ]);
    } finally {
      await warehouse.transaction([
        {
          sql: `update deftunes_serving.kpi_genre_daily set listen_count = listen_count - 2
                where listen_date = date '${day}' and genre = 'rock'`,
        },
      ]);
    }
  });

  test('an hour missing from kpi_hourly fails both checks', async () => {
    const [row] = await warehouse.query<{ plays: number }>(
      `select total_plays as plays from deftunes_serving.kpi_hourly
       where listen_date = date '${WINDOW[3]}' order by listen_hour limit 1`,
    );
    await warehouse.transaction([
      { sql: `create table deftunes_serving.kpi_hourly_saved as select * from deftunes_serving.kpi_hourly` },
      {
        sql: `delete from deftunes_serving.kpi_hourly where listen_date = date '${WINDOW[3]}'
              and listen_hour = (select min(listen_hour) from deftunes_serving.kpi_hourly
                                 where listen_date = date '${WINDOW[3]}')`,
      },
    ]);
    try {
      const { checks } = await loadListeningPanels(ask, await present(), []);
      const dayPlays = windowPlays.filter((play) => play.date === WINDOW[3]).length;
      const left = dayPlays - Number(row.plays);
      expect(left).toBeLessThan(dayPlays);
      expect(checks.map((check) => [check.ok, check.detail])).toEqual([
        [false, `1 of 14 days differ, e.g. ${WINDOW[3]}: genre_daily_vw ${dayPlays}, expected ${left}`],
        [false, `1 of 14 days differ, e.g. ${WINDOW[3]}: listening_hourly_vw ${left}, expected ${dayPlays}`],
      ]);
    } finally {
      await warehouse.transaction([
        { sql: 'delete from deftunes_serving.kpi_hourly' },
        { sql: 'insert into deftunes_serving.kpi_hourly select * from deftunes_serving.kpi_hourly_saved' },
        { sql: 'drop table deftunes_serving.kpi_hourly_saved' },
      ]);
    }
  });

  test('a longer history does not make the page grow: older days are counted, not embedded', async () => {
    const older = (table: string) =>
      `insert into deftunes_serving.${table} by name
       select * replace (listen_date - interval 60 day as listen_date) from deftunes_serving.${table}`;
    await warehouse.transaction([{ sql: older('kpi_hourly') }, { sql: older('kpi_genre_daily') }]);
    try {
      const longer = await loadListeningPanels(ask, await present(), []);
      expect(longer.data).toEqual({ ...data.listening, daysHeld: 2 * LISTENING_DAYS.length });
      expect(longer.checks.every((check) => check.ok)).toBe(true);
      // A shorter window holds fewer days, the latest ones.
      const three = await loadListeningPanels(ask, await present(), [], 3);
      expect(three.data.days).toEqual(WINDOW.slice(-3));
      expect(new Set(three.data.hourly.map((row) => row.date))).toEqual(new Set(WINDOW.slice(-3)));
    } finally {
      await warehouse.transaction(
        ['kpi_hourly', 'kpi_genre_daily'].map((table) => ({
          sql: `delete from deftunes_serving.${table} where listen_date < date '${LISTENING_DAYS[0]}'`,
        })),
      );
    }
  });

  test('a serving layer without the listening views: empty panels and a note, the rest as before', async () => {
    const definitions = await warehouse.query<{ view_name: string; sql: string }>(
      `select view_name, sql from duckdb_views() where schema_name = 'deftunes_serving'
       and view_name in (${LISTENING_VIEWS.map((view) => `'${view}'`).join(', ')}) order by view_name`,
    );
    expect(definitions).toHaveLength(2);
    await warehouse.transaction(
      LISTENING_VIEWS.map((view) => ({ sql: `drop view deftunes_serving.${view}` })),
    );
    try {
      const older = await loadDashboardData({ warehouse, source: 'fixture' });
      expect(older.listening).toEqual(NO_LISTENING);
      expect(older.notes).toEqual([
        expect.stringContaining('No data-quality results store'),
        'The serving layer has no listening_hourly_vw, genre_daily_vw (no serving load with the listening events has succeeded), so the listening panels are empty.',
      ]);
      expect(older.sales).toEqual(data.sales);
      expect(older.checks).toEqual(
        data.checks.filter((check) => check.name !== HOURLY_CHECK && check.name !== FACT_CHECK),
      );
    } finally {
      await warehouse.transaction(definitions.map((view) => ({ sql: view.sql })));
    }
  });
});

test('the page holds the two panels and embeds the window as data, never as markup', () => {
  const html = renderDashboardHtml(data);
  for (const id of ['listening-hourly', 'genres']) {
    expect(html).toContain(`<section class="panel" id="${id}-panel"`);
    expect(html).toContain(`<canvas id="${id}-chart"`);
    expect(html).toContain(`<table id="${id}-table">`);
  }
  expect(html).toContain('>Hourly listening</h2>');
  expect(html).toContain('>Genres</h2>');
  expect(html).not.toContain('<b onclick');
  const json = /<script type="application\/json" id="dashboard-data">(.*?)<\/script>/s.exec(html)?.[1];
  const embedded = JSON.parse(json ?? '{}') as DashboardData;
  expect(embedded.listening).toEqual(data.listening);
  expect(embedded.listening.genres.some((row) => row.topTrack === HOSTILE_TITLE)).toBe(true);
});
