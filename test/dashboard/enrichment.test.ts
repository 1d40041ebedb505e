/**
 * The artist-enrichment panels' data: read from the three BI views of the fixture, compared with what the
 * fixture's facts say (computed here in JavaScript, not with the views' SQL), and said to be missing when a
 * serving layer predates the feature.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { DuckDbWarehouse } from '../../lib/local/adapters/duckdb-warehouse';
import { loadDashboardData } from '../../lib/local/dashboard/load';
import type { DashboardData } from '../../lib/local/dashboard/model';
import { HOSTILE_CITY } from './enrichment-fixture';
import { createFixture, type Fixture } from './fixture';

let dir: string;
let fixture: Fixture;
let warehouse: DuckDbWarehouse;
let data: DashboardData;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'dashboard-enrichment-'));
  fixture = await createFixture(dir);
  warehouse = await fixture.openWarehouse();
  data = await loadDashboardData({ warehouse, source: 'fixture' });
});

afterAll(async () => {
  await warehouse.close();
  rmSync(dir, { recursive: true, force: true });
});

type Sold = {
  artist_name: string;
  track_id: string;
  country_code: string | null;
  cents: number;
};

async function soldItems(): Promise<Sold[]> {
  return (
    await warehouse.query<Sold>(`
      select a.artist_name, f.track_id, u.country_code, cast(round(f.price * 100) as integer) as cents
      from deftunes_serving.fact_session_items f
      join deftunes_serving.dim_artists a on a.artist_key = f.artist_key
      left join deftunes_serving.dim_users u on u.user_key = f.user_key`)
  ).map((row) => ({ ...row, cents: Number(row.cents) }));
}

test("each artist's most sold song: items and revenue, ties to the smaller track id", async () => {
  const perSong = new Map<string, { artist: string; track: string; items: number; cents: number }>();
  for (const item of await soldItems()) {
    const key = `${item.artist_name}\u0000${item.track_id}`;
    const song = perSong.get(key) ?? { artist: item.artist_name, track: item.track_id, items: 0, cents: 0 };
    perSong.set(key, { ...song, items: song.items + 1, cents: song.cents + item.cents });
  }
  const best = new Map<string, { track: string; items: number; cents: number }>();
  for (const song of perSong.values()) {
    const current = best.get(song.artist);
    if (
      !current ||
      song.items > current.items ||
      (song.items === current.items && song.track < current.track)
    )
      best.set(song.artist, song);
  }
  expect(
    Object.fromEntries(
      data.enrichment.topSongs.map((row) => [row.artist, [row.trackId, row.items, row.revenueCents]]),
    ),
  ).toEqual(
    Object.fromEntries([...best].map(([artist, song]) => [artist, [song.track, song.items, song.cents]])),
  );
  // Most sold first.
  const items = data.enrichment.topSongs.map((row) => row.items);
  expect(items).toEqual([...items].sort((a, b) => b - a));
});

test('concert locations: concerts, artists, first and last date per city, most concerts first', () => {
  expect(data.enrichment.concertLocations).toEqual([
    {
      country: 'FR',
      city: 'Paris',
      concerts: 2,
      artists: 3,
      firstDate: '2026-02-10',
      lastDate: '2026-03-01',
    },
    {
      country: 'DE',
      city: 'Berlin',
      concerts: 1,
      artists: 1,
      firstDate: '2026-02-20',
      lastDate: '2026-02-20',
    },
    {
      country: 'FR',
      city: HOSTILE_CITY,
      concerts: 1,
      artists: 1,
      firstDate: '2026-02-14',
      lastDate: '2026-02-14',
    },
    {
      country: 'US',
      city: 'Chicago',
      concerts: 1,
      artists: 1,
      firstDate: '2026-02-12',
      lastDate: '2026-02-12',
    },
  ]);
});

test('sales vs upcoming concerts per artist and country add up to the sales and the matched concerts', async () => {
  const sold = await soldItems();
  const rows = data.enrichment.salesVsConcerts;
  expect(rows.reduce((sum, row) => sum + row.items, 0)).toBe(sold.length);
  expect(rows.reduce((sum, row) => sum + row.revenueCents, 0)).toBe(sold.reduce((s, i) => s + i.cents, 0));
  // Matched concerts only (the unmatched attraction X9 in Berlin is not an artist's).
  expect(rows.reduce((sum, row) => sum + row.upcomingConcerts, 0)).toBe(5);
  const [radioheadFr] = rows.filter((row) => row.artist === 'Radiohead' && row.country === 'FR');
  expect(radioheadFr.upcomingConcerts).toBe(1);
  expect(radioheadFr.items).toBe(
    sold.filter((i) => i.artist_name === 'Radiohead' && i.country_code === 'FR').length,
  );
  expect(data.checks.find((check) => check.name.startsWith('artist_sales_vs_concerts_vw'))?.ok).toBe(true);
});

test('a serving layer without the enrichment views: empty panels and a note, the rest as before', async () => {
  const views = ['artist_top_song_vw', 'concert_locations_vw', 'artist_sales_vs_concerts_vw'];
  const definitions = await warehouse.query<{ view_name: string; sql: string }>(
    `select view_name, sql from duckdb_views() where schema_name = 'deftunes_serving' and view_name in (${views
      .map((view) => `'${view}'`)
      .join(', ')})`,
  );
  expect(definitions).toHaveLength(3);
  await warehouse.transaction(views.map((view) => ({ sql: `drop view deftunes_serving.${view}` })));
  try {
    const older = await loadDashboardData({ warehouse, source: 'fixture' });
    expect(older.enrichment).toEqual({ topSongs: [], concertLocations: [], salesVsConcerts: [] });
    expect(older.notes).toEqual([
      expect.stringContaining('No data-quality results store'),
      expect.stringContaining('no artist_top_song_vw, concert_locations_vw, artist_sales_vs_concerts_vw'),
    ]);
    expect(older.sales).toEqual(data.sales);
    expect(older.checks.map((check) => check.name)).not.toContain(
      'artist_sales_vs_concerts_vw (items and revenue)',
    );
  } finally {
    await warehouse.transaction(definitions.map((view) => ({ sql: view.sql })));
  }
});

test('artist_sales_vs_concerts_vw is checked against the whole fact: a row counted twice is reported', async () => {
  await warehouse.transaction([
    { sql: 'alter view deftunes_serving.artist_sales_vs_concerts_vw rename to sales_vs_concerts_kept' },
    {
      sql: `create view deftunes_serving.artist_sales_vs_concerts_vw as
        select * from deftunes_serving.sales_vs_concerts_kept
        union all (select * from deftunes_serving.sales_vs_concerts_kept where items_sold > 0 order by artist_id, country_code limit 1)`,
    },
  ]);
  try {
    const doubled = await loadDashboardData({ warehouse, source: 'fixture' });
    const check = doubled.checks.find(
      (candidate) => candidate.name === 'artist_sales_vs_concerts_vw (items and revenue)',
    );
    expect(check?.ok).toBe(false);
    expect(check?.detail).toMatch(
      /^view: \d+ items, \d+ cents; fact table \(every date\): \d+ items, \d+ cents$/,
    );
  } finally {
    await warehouse.transaction([
      { sql: 'drop view deftunes_serving.artist_sales_vs_concerts_vw' },
      { sql: 'alter view deftunes_serving.sales_vs_concerts_kept rename to artist_sales_vs_concerts_vw' },
    ]);
  }
});
