/**
 * Listening events end to end (docs/listening-events.md): the deployed DailyPipeline definition run locally
 * at tiny, with the simulator playing Firehose: duplicates, plays arriving hours late (some after the
 * lateness window), skewed device clocks, unordered objects and bad lines. First the run happens at 01:00
 * the next morning, before most late plays have arrived: the KPIs equal the simulator's truth of what was
 * delivered by then. Then the window has passed and the date is run again: the late plays are in, and every
 * KPI equals the truth of the whole window. A third run changes nothing in the serving layer. Slow (Spark).
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { localPaths } from '../../lib/local/data-dir';
import { startLocalGlue } from '../../lib/local/pipeline/local-glue';
import { runPipeline, type RunPipelineOptions } from '../../lib/local/pipeline/run-pipeline';
import type { RunSummary } from '../../lib/local/pipeline/run-summary';
import { localEnvironmentConfig } from '../../lib/local/run-date-bounds';
import { SimulatedWorld, type ListensTruth } from '../../lib/local/simulator';
import { servingSnapshot, withWarehouse } from './serving-snapshot';
import { DAILY_PIPELINE_STATES as S } from '../../lib/constructs/daily-pipeline-states';

jest.setTimeout(1_500_000);

const DATE = '2020-02-01';
const SEED = 31;
const BAD_RECORD_RATE = 0.02;
/** The scheduled run: the next morning, before most of the day's late plays have arrived. */
const EARLY_RUN_AT = '2020-02-02T01:00:00.000Z';
const LATENESS_HOURS = localEnvironmentConfig('dev').stream.latenessHours;

type Row = Record<string, unknown>;

const num = (value: unknown) => (value === null || value === undefined ? null : Number(value));
/** Ratios are doubles computed in another order: equal to 1e-9, relative. */
const close = (actual: unknown, expected: number | null) =>
  expected === null
    ? actual === null
    : Math.abs(Number(actual) - expected) <= 1e-9 * Math.max(1, Math.abs(expected));

async function kpis(dataDir: string): Promise<{ genre: Row[]; hourly: Row[] }> {
  return withWarehouse(dataDir, async (warehouse) => ({
    genre: await warehouse.query(
      `select cast(listen_date as varchar) as listen_date, genre, listen_count, avg_track_duration_s,
         avg_popularity, popularity_index, top_track_id, top_track_plays
       from kpi_genre_daily where listen_date = cast('${DATE}' as date) order by genre`,
    ),
    hourly: await warehouse.query(
      `select cast(listen_date as varchar) as listen_date, listen_hour, unique_listeners, total_plays,
         unique_tracks, track_diversity_index, top_artist_id, top_artist_plays
       from kpi_hourly where listen_date = cast('${DATE}' as date) order by listen_hour`,
    ),
  }));
}

/** Every KPI of the serving layer against the truth: same rows, counts exact, ratios to 1e-9. */
function expectKpisEqualTruth(actual: { genre: Row[]; hourly: Row[] }, truth: ListensTruth): void {
  const genres = [...truth.kpi_genre_daily].sort((a, b) => (a.genre < b.genre ? -1 : 1));
  expect(actual.genre.map((row) => row.genre)).toEqual(genres.map((row) => row.genre));
  genres.forEach((expected, index) => {
    const row = actual.genre[index];
    expect([row.genre, num(row.listen_count), row.top_track_id ?? null, num(row.top_track_plays)]).toEqual([
      expected.genre,
      expected.listen_count,
      expected.top_track_id,
      expected.top_track_plays,
    ]);
    for (const field of ['avg_track_duration_s', 'avg_popularity', 'popularity_index'] as const) {
      if (!close(row[field], expected[field])) {
        throw new Error(
          `${expected.genre} ${field}: serving ${String(row[field])}, truth ${expected[field]}`,
        );
      }
    }
  });
  expect(actual.hourly.map((row) => num(row.listen_hour))).toEqual(
    truth.kpi_hourly.map((row) => row.listen_hour),
  );
  truth.kpi_hourly.forEach((expected, index) => {
    const row = actual.hourly[index];
    expect([
      num(row.listen_hour),
      num(row.unique_listeners),
      num(row.total_plays),
      num(row.unique_tracks),
      row.top_artist_id ?? null,
      num(row.top_artist_plays),
    ]).toEqual([
      expected.listen_hour,
      expected.unique_listeners,
      expected.total_plays,
      expected.unique_tracks,
      expected.top_artist_id,
      expected.top_artist_plays,
    ]);
    expect(close(row.track_diversity_index, expected.track_diversity_index)).toBe(true);
  });
}

async function listenCounts(dataDir: string): Promise<Row> {
  return withWarehouse(dataDir, async (warehouse) => {
    const [row] = await warehouse.query(
      `select
         (select count(*) from fact_listens where listen_date = cast('${DATE}' as date)) as fact_rows,
         (select count(distinct event_id) from fact_listens) as fact_events,
         (select count(*) from fact_listens) as fact_all,
         (select count(*) from deftunes_transform.quarantine
           where source = 'listens' and ingest_on = cast('${DATE}' as date)) as quarantined`,
    );
    return Object.fromEntries(Object.entries(row).map(([key, value]) => [key, Number(value)]));
  });
}

function jobResult(dataDir: string): Record<string, number> {
  const file = path.join(
    localPaths(dataDir).warehouse,
    '_job_results',
    'transform_listens',
    'listens',
    `ingest_on=${DATE}.json`,
  );
  return JSON.parse(readFileSync(file, 'utf8')) as Record<string, number>;
}

describe('listening events, end to end at tiny with Firehose faults', () => {
  let dataDir: string;
  let options: Omit<RunPipelineOptions, 'dates'>;
  const world = new SimulatedWorld({ seed: SEED, scale: 'tiny', badRecordRate: BAD_RECORD_RATE });
  const truthAt = (deliveredUntil: string) =>
    world.listens.truth(DATE, { deliveredUntil, latenessHours: LATENESS_HOURS });
  const windowEnd = new Date(
    Date.parse(`${DATE}T00:00:00Z`) + (24 + LATENESS_HOURS) * 3_600_000,
  ).toISOString();
  let early: RunSummary;
  let earlyKpis: { genre: Row[]; hourly: Row[] };
  let earlyCounts: Row;
  let earlyJob: Record<string, number>;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'deftunes-listens-e2e-'));
    options = {
      dataDir,
      scale: 'tiny',
      seed: SEED,
      badRecordRate: BAD_RECORD_RATE,
      startGlue: startLocalGlue,
      dashboard: false,
    };
    early = await runPipeline({ ...options, dates: [DATE], listensDeliveredUntil: EARLY_RUN_AT });
    earlyKpis = await kpis(dataDir);
    earlyCounts = await listenCounts(dataDir);
    earlyJob = jobResult(dataDir);
  });

  afterAll(() => {
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  test('the truth has every Firehose fault in it', () => {
    const truth = truthAt(windowEnd);
    expect(truth.duplicates).toBeGreaterThan(0);
    expect(truth.late).toBeGreaterThan(0);
    expect(truth.quarantined_by_reason.bad_line).toBeGreaterThan(0);
    expect(truth.quarantined_by_reason.arrived_after_window).toBeGreaterThan(0);
    // Some of the day's late plays arrive after the early run: that run cannot have them.
    expect(truth.delivered).toBeGreaterThan(truthAt(EARLY_RUN_AT).delivered);
  });

  test('delivery is unordered: some object holds its lines out of event-time order', () => {
    const root = path.join(localPaths(dataDir).landing, 'stream', 'listens', `arrived_on=${DATE}`);
    const unordered = readdirSync(root).some((hour) =>
      readdirSync(path.join(root, hour)).some((name) => {
        const times = gunzipSync(readFileSync(path.join(root, hour, name)))
          .toString('utf8')
          .split('\n')
          .filter((line) => line.startsWith('{'))
          .map((line) => {
            try {
              return String((JSON.parse(line) as { listened_at?: unknown }).listened_at);
            } catch {
              return '';
            }
          });
        return times.some((time, index) => index > 0 && time < times[index - 1]);
      }),
    );
    expect(unordered).toBe(true);
  });

  test('the early run succeeds, and its KPIs are the truth of what had arrived by 01:00', () => {
    expect(early.dates.map((date) => [date.run_date, date.status, date.error])).toEqual([
      [DATE, 'succeeded', undefined],
    ]);
    expect(early.dates[0].states.map((state) => state.name)).toContain(S.transformListens);
    expect(early.dq[DATE].transform?.status).not.toBe('failed');
    expect(early.dq[DATE].serving?.status).not.toBe('failed');
    const truth = truthAt(EARLY_RUN_AT);
    expect(earlyCounts.fact_rows).toBe(truth.delivered);
    expect(earlyCounts.fact_events).toBe(earlyCounts.fact_all);
    expect(earlyCounts.quarantined).toBe(truth.quarantined);
    expect([earlyJob.written, earlyJob.duplicates_dropped, earlyJob.late, earlyJob.quarantined]).toEqual([
      truth.delivered,
      truth.duplicates,
      truth.late,
      truth.quarantined,
    ]);
    expectKpisEqualTruth(earlyKpis, truth);
  });

  describe('after the window has passed', () => {
    let corrected: RunSummary;
    let correctedKpis: { genre: Row[]; hourly: Row[] };
    let correctedSnapshot: Record<string, string>;

    beforeAll(async () => {
      corrected = await runPipeline({ ...options, dates: [DATE] });
      correctedKpis = await kpis(dataDir);
      correctedSnapshot = await servingSnapshot(dataDir);
    });

    test('a re-run of the date includes the late plays: every KPI equals the truth of the whole window', async () => {
      expect(corrected.dates.map((date) => date.status)).toEqual(['succeeded']);
      const truth = truthAt(windowEnd);
      const counts = await listenCounts(dataDir);
      expect(counts.fact_rows).toBe(truth.delivered);
      expect(counts.fact_events).toBe(counts.fact_all);
      expect(counts.quarantined).toBe(truth.quarantined);
      expect(jobResult(dataDir)).toMatchObject({
        written: truth.delivered,
        duplicates_dropped: truth.duplicates,
        late: truth.late,
        quarantined: truth.quarantined,
      });
      expectKpisEqualTruth(correctedKpis, truth);
      expect(correctedKpis).not.toEqual(earlyKpis);
    });

    test('running the date once more changes nothing in the serving layer', async () => {
      const again = await runPipeline({ ...options, dates: [DATE] });
      expect(again.dates.map((date) => date.status)).toEqual(['succeeded']);
      expect(await servingSnapshot(dataDir)).toEqual(correctedSnapshot);
    });
  });
});
