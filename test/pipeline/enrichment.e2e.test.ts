/**
 * The artist enrichment end to end (docs/artist-enrichment.md): the deployed DailyPipeline definition run
 * locally at tiny for one date, with the simulator's enrichment faults on (rate-limit bursts, answered as 429
 * by the concerts API and as error 29 inside a 200 by the statistics API; slow answers the client gives up
 * on; 503s; an event added between two pages) and enough concerts that windows are paged and split. Every
 * simulated event lands exactly once and every catalog artist's statistics as the simulator holds them;
 * the three BI views equal what the simulator's truth says, computed here from the truth. Then the same
 * date with a bad concerts key: ExtractConcerts fails naming the key problem, NotifyFailure reports it, and
 * the serving layer is unchanged row for row. Slow (Spark).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { SessionRecord } from '../../lambdas/shared/contracts';
import { SERVING_SCHEMA } from '../../lambdas/shared/platform-names';
import { DuckDbWarehouse } from '../../lib/local/adapters/duckdb-warehouse';
import { localPaths } from '../../lib/local/data-dir';
import {
  LOCAL_ENRICHMENT_PACE,
  LOCAL_ENRICHMENT_RATE_LIMIT,
  localEnrichmentSettings,
} from '../../lib/local/enrichment-settings';
import { startLocalGlue } from '../../lib/local/pipeline/local-glue';
import { runPipeline, type RunPipelineOptions } from '../../lib/local/pipeline/run-pipeline';
import type { RunSummary } from '../../lib/local/pipeline/run-summary';
import { WAREHOUSE_SEARCH_PATH } from '../../lib/local/spectrum';
import {
  startSources,
  type ConcertEvent,
  type EnrichmentFaultReport,
  type RunningSources,
} from '../../lib/local/simulator';
import { DAILY_PIPELINE_STATES as S } from '../../lib/constructs/daily-pipeline-states';

jest.setTimeout(1_500_000);

const DATE = '2020-02-01';
const DAY = Date.parse(`${DATE}T00:00:00Z`) / 86_400_000;
/**
 * Slow answers take this long; the extracts give up after ENRICHMENT_TIMEOUT_MS and ask again. The timeout
 * stays well above a normal answer's time on a busy machine (the Spark jobs start meanwhile), so that only
 * the slow answers time out.
 */
const SLOW_RESPONSE_MS = 6000;
const ENRICHMENT_TIMEOUT_MS = 2000;

type Row = Record<string, unknown>;

function jsonLines<T>(file: string): T[] {
  return gunzipSync(readFileSync(file))
    .toString('utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as T);
}

async function query(dataDir: string, sql: string): Promise<Row[]> {
  const warehouse = await DuckDbWarehouse.open(localPaths(dataDir).warehouseDb, {
    searchPath: [...WAREHOUSE_SEARCH_PATH],
  });
  try {
    return await warehouse.query(sql);
  } finally {
    await warehouse.close();
  }
}

/** Every serving table and view, row by row, in a stable order. */
async function servingSnapshot(dataDir: string): Promise<Record<string, string>> {
  const tables = await query(
    dataDir,
    `SELECT table_name FROM information_schema.tables WHERE table_schema = '${SERVING_SCHEMA}' ORDER BY 1`,
  );
  const snapshot: Record<string, string> = {};
  for (const { table_name } of tables) {
    const rows = await query(dataDir, `SELECT * FROM ${SERVING_SCHEMA}.${String(table_name)} ORDER BY ALL`);
    snapshot[String(table_name)] = JSON.stringify(rows, (_, value: unknown) =>
      typeof value === 'bigint' ? String(value) : value,
    );
  }
  return snapshot;
}

const cents = (value: unknown) => Math.round(Number(value) * 100);
const count = <K>(map: Map<K, number>, key: K, by = 1) => map.set(key, (map.get(key) ?? 0) + by);

/** The session items the run extracted: the one-day look-back, without the run date's late sessions. */
function* itemsExtracted(sources: RunningSources): Generator<SessionRecord['session_items'][number]> {
  for (const served of sources.world.servedSessions(DAY - 1, DAY)) {
    for (const record of served.records) yield* (record as SessionRecord).session_items;
  }
}

/**
 * The catalog artist each attraction of the concerts source stands for, as the simulator generated it
 * (its catalog attractions are one per artist; the others are unknown to the catalog).
 */
function attractionArtists(sources: RunningSources): Map<string, string> {
  const generator = sources.world.enrichment.concerts as unknown as {
    catalogAttraction(songIndex: number): { id: string };
  };
  const artists = new Map<string, string>();
  for (let index = 0; index < sources.world.catalog.size; index++) {
    artists.set(generator.catalogAttraction(index).id, sources.world.catalog.song(index).artist_id);
  }
  return artists;
}

describe('artist enrichment, end to end at tiny with the enrichment faults on', () => {
  let dataDir: string;
  let sources: RunningSources;
  let options: Omit<RunPipelineOptions, 'dates'>;
  let first: RunSummary;
  let faults: EnrichmentFaultReport;
  const settings = localEnrichmentSettings();

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'deftunes-enrichment-e2e-'));
    sources = await startSources({
      port: 0,
      songsPort: 0,
      scale: 'tiny',
      seed: 29,
      enrichmentFaultRate: 0.15,
      insertedEvents: true,
      // Enough concerts that the busiest country's window holds more than one page and is split.
      concertDensity: 12,
      enrichmentRateLimit: LOCAL_ENRICHMENT_RATE_LIMIT,
      slowResponseMs: SLOW_RESPONSE_MS,
    });
    options = {
      dataDir,
      apiUrl: sources.apiUrl,
      songsDbUrl: sources.songsDbUrl,
      concertsApiUrl: sources.concertsApiUrl,
      artistStatsApiUrl: sources.artistStatsApiUrl,
      concertsApiKey: sources.enrichmentApiKey,
      artistStatsApiKey: sources.enrichmentApiKey,
      enrichmentRequestsPerSecond: LOCAL_ENRICHMENT_PACE,
      enrichmentTimeoutMs: ENRICHMENT_TIMEOUT_MS,
      startGlue: startLocalGlue,
      dashboard: false,
    };
    first = await runPipeline({ ...options, dates: [DATE] });
    faults = (await (await fetch(`${sources.apiUrl}/_faults/enrichment`)).json()) as EnrichmentFaultReport;
  });

  afterAll(async () => {
    await sources?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  test('runs the enrichment branch and passes both gates, through every kind of fault', () => {
    expect(first.dates.map((date) => [date.run_date, date.status, date.error])).toEqual([
      [DATE, 'succeeded', undefined],
    ]);
    const states = first.dates[0].states.map((state) => state.name);
    for (const name of [
      'ExtractEnrichment',
      S.extractConcerts,
      S.extractArtistStats,
      S.transformEnrichment,
    ]) {
      expect(states).toContain(name);
    }
    expect(first.dq[DATE].transform?.status).not.toBe('failed');
    expect(first.dq[DATE].serving?.status).not.toBe('failed');
    // The faults did happen: the extracts had to ride them out.
    expect(faults.rate_limited.concerts + (faults.faults['concerts.rate_limit_burst'] ?? 0)).toBeGreaterThan(
      0,
    );
    expect(faults.faults['artist_stats.rate_limit_burst'] ?? 0).toBeGreaterThan(0);
    expect((faults.faults['concerts.slow'] ?? 0) + (faults.faults['artist_stats.slow'] ?? 0)).toBeGreaterThan(
      0,
    );
    expect(
      (faults.faults['concerts.http_503'] ?? 0) + (faults.faults['artist_stats.http_503'] ?? 0),
    ).toBeGreaterThan(0);
    expect(faults.shifted_listings).toBeGreaterThan(0);
  });

  test('lands every simulated event of the window exactly once, as served', () => {
    const truth = sources.world.concertsTruth(DATE, settings.countries, settings.concertHorizonDays);
    const landing = localPaths(dataDir).landing;
    const landed = jsonLines<ConcertEvent>(
      path.join(landing, `ext/concerts/ingest_on=${DATE}/concerts.jsonl.gz`),
    );
    const ids = landed.map((event) => event.id);
    expect(new Set(ids).size).toBe(ids.length);
    const byId = new Map(landed.map((event) => [event.id, event]));
    expect([...byId.keys()].sort()).toEqual(truth.events.map((event) => event.id).sort());
    for (const { country_code: _country, ...event } of truth.events)
      expect(byId.get(event.id)).toEqual(event);
    const manifest = JSON.parse(
      readFileSync(path.join(landing, `ext/concerts/ingest_on=${DATE}/_manifest.json`), 'utf8'),
    ) as { windows: { country_code: string; total_elements: number; pages: number }[] };
    // Paged and split for real: some window had more than one page, some country more than one window.
    expect(Math.max(...manifest.windows.map((window) => window.pages))).toBeGreaterThan(1);
    expect(manifest.windows.length).toBeGreaterThan(settings.countries.length);
    for (const { country_code, events } of truth.countries) {
      const windows = manifest.windows.filter((window) => window.country_code === country_code);
      expect([country_code, windows.reduce((sum, window) => sum + window.total_elements, 0)]).toEqual([
        country_code,
        events,
      ]);
    }
  });

  test("lands every catalog artist's statistics exactly once, found or not, as the simulator holds them", () => {
    const truth = sources.world.artistStatsTruth();
    // At tiny every artist fits in one day's budget (two lookups each at most): the slice is all of them.
    expect(2 * truth.length).toBeLessThanOrEqual(settings.dailyRequestBudget.artistStats);
    const landed = jsonLines<{ artist_id: string }>(
      path.join(localPaths(dataDir).landing, `ext/artist_stats/ingest_on=${DATE}/artist_stats.jsonl.gz`),
    );
    const byArtist = (a: { artist_id: string }, b: { artist_id: string }) =>
      a.artist_id < b.artist_id ? -1 : 1;
    expect([...landed].sort(byArtist)).toEqual([...truth].sort(byArtist));
    expect(truth.some((artist) => !artist.found)).toBe(true);
  });

  test('concert_locations_vw equals the events of the truth per venue country and city', async () => {
    const truth = sources.world.concertsTruth(DATE, settings.countries, settings.concertHorizonDays);
    const expected = new Map<string, { events: Set<string>; attractions: Set<string>; dates: string[] }>();
    for (const event of truth.events) {
      const venue = event._embedded.venues[0];
      const key = `${venue.country.countryCode}|${venue.city.name}`;
      const place = expected.get(key) ?? { events: new Set(), attractions: new Set(), dates: [] };
      place.events.add(event.id);
      for (const attraction of event._embedded.attractions) place.attractions.add(attraction.id);
      place.dates.push(event.dates.start.localDate);
      expected.set(key, place);
    }
    const rows = await query(
      dataDir,
      `SELECT venue_country_code, venue_city, concerts, artists, CAST(first_event_date AS VARCHAR) AS first_date,
         CAST(last_event_date AS VARCHAR) AS last_date FROM concert_locations_vw`,
    );
    expect(expected.size).toBeGreaterThan(10);
    const actual = Object.fromEntries(
      rows.map((row) => [
        `${String(row.venue_country_code)}|${String(row.venue_city)}`,
        [Number(row.concerts), Number(row.artists), row.first_date, row.last_date],
      ]),
    );
    expect(actual).toEqual(
      Object.fromEntries(
        [...expected].map(([key, place]) => {
          const dates = [...place.dates].sort();
          return [key, [place.events.size, place.attractions.size, dates[0], dates.at(-1)]];
        }),
      ),
    );
  });

  test("artist_top_song_vw is each artist's most sold song of the sessions extracted", async () => {
    const songs = new Map<string, Map<string, { items: number; cents: number }>>();
    for (const item of itemsExtracted(sources)) {
      const perSong = songs.get(item.artist_id) ?? new Map<string, { items: number; cents: number }>();
      const song = perSong.get(item.song_id) ?? { items: 0, cents: 0 };
      perSong.set(item.song_id, { items: song.items + 1, cents: song.cents + cents(item.price) });
      songs.set(item.artist_id, perSong);
    }
    const expected = Object.fromEntries(
      [...songs].map(([artist, perSong]) => {
        const [track, best] = [...perSong].sort(
          ([trackA, a], [trackB, b]) => b.items - a.items || (trackA < trackB ? -1 : 1),
        )[0];
        return [artist, [track, best.items, best.cents]];
      }),
    );
    const rows = await query(
      dataDir,
      'SELECT artist_id, track_id, items_sold, revenue FROM artist_top_song_vw',
    );
    expect(
      Object.fromEntries(
        rows.map((row) => [
          String(row.artist_id),
          [row.track_id, Number(row.items_sold), cents(row.revenue)],
        ]),
      ),
    ).toEqual(expected);
  });

  test('artist_sales_vs_concerts_vw: each artist sold what the sessions say, and its upcoming concerts per country are the truth', async () => {
    const sold = new Map<string, number>();
    const revenue = new Map<string, number>();
    for (const item of itemsExtracted(sources)) {
      count(sold, item.artist_id);
      count(revenue, item.artist_id, cents(item.price));
    }
    const artistOf = attractionArtists(sources);
    const upcoming = new Map<string, Set<string>>();
    for (const event of sources.world.concertsTruth(DATE, settings.countries, settings.concertHorizonDays)
      .events) {
      const country = event._embedded.venues[0].country.countryCode;
      for (const attraction of event._embedded.attractions) {
        const artist = artistOf.get(attraction.id);
        if (artist === undefined) continue;
        const key = `${artist}|${country}`;
        upcoming.set(key, (upcoming.get(key) ?? new Set()).add(event.id));
      }
    }
    // Catalog artists play in several countries; some attractions are unknown to the catalog.
    expect(upcoming.size).toBeGreaterThan(10);
    const rows = await query(
      dataDir,
      'SELECT artist_id, country_code, items_sold, revenue, upcoming_concerts FROM artist_sales_vs_concerts_vw',
    );
    const viewSold = new Map<string, number>();
    const viewRevenue = new Map<string, number>();
    const viewUpcoming: Record<string, number> = {};
    for (const row of rows) {
      count(viewSold, String(row.artist_id), Number(row.items_sold));
      count(viewRevenue, String(row.artist_id), cents(row.revenue));
      if (Number(row.upcoming_concerts) > 0)
        viewUpcoming[`${String(row.artist_id)}|${String(row.country_code)}`] = Number(row.upcoming_concerts);
    }
    expect(Object.fromEntries([...viewSold].filter(([, items]) => items > 0))).toEqual(
      Object.fromEntries(sold),
    );
    expect(Object.fromEntries([...viewRevenue].filter(([, total]) => total > 0))).toEqual(
      Object.fromEntries(revenue),
    );
    expect(viewUpcoming).toEqual(
      Object.fromEntries([...upcoming].map(([key, events]) => [key, events.size])),
    );
  });

  test('a bad concerts key fails ExtractConcerts naming the key, NotifyFailure reports it, serving is unchanged', async () => {
    const before = await servingSnapshot(dataDir);
    const runLog = localPaths(dataDir).runLog;
    const logBefore = readFileSync(runLog, 'utf8').length;
    const bad = await runPipeline({ ...options, concertsApiKey: 'not-the-key', dates: [DATE] });
    expect(bad.status).toBe('failed');
    const [date] = bad.dates;
    expect(date.states.find((state) => state.name === S.extractConcerts)?.status).toBe('failed');
    for (const name of [S.checkTransformQuality, S.loadServing]) {
      expect(date.states.map((state) => state.name)).not.toContain(name);
    }
    expect(date.error).toMatchObject({ error: 'InvalidApiKeyError' });
    expect(date.error?.cause).toMatch(/concerts/i);
    expect(date.error?.cause).toMatch(/401|Invalid ApiKey/);
    // The key itself never shows: the URL in the error is masked.
    expect(date.error?.cause).not.toContain('not-the-key');
    const notifications = readFileSync(runLog, 'utf8')
      .slice(logBefore)
      .split('\n')
      .filter((line) => line.includes('"message":"notification"'))
      .map((line) => JSON.parse(line) as { state: string; notification: string });
    expect(notifications.map((line) => line.state)).toEqual([S.notifyFailure]);
    expect(JSON.parse(notifications[0].notification)).toMatchObject({
      outcome: 'failed',
      run_date: DATE,
      error: 'InvalidApiKeyError',
    });
    expect(readFileSync(runLog, 'utf8').slice(logBefore)).not.toContain('not-the-key');
    expect(await servingSnapshot(dataDir)).toEqual(before);
  });
});
