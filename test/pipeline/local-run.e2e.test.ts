/**
 * The main job end to end: the deployed DailyPipeline definition run locally on every stand-in (simulator,
 * PGlite, local Spark with Iceberg, DuckDB) for two dates at tiny scale, with sessions arriving late (each run
 * extracts the day before again); then re-runs (the newest date, then the older one), a run whose quality gate
 * fails, a future date refused and an empty day. Slow (one JVM per run).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { SessionRecord } from '../../lambdas/shared/contracts';
import { localPaths } from '../../lib/local/data-dir';
import { runPipeline, type RunPipelineOptions } from '../../lib/local/pipeline/run-pipeline';
import { type RunSummary } from '../../lib/local/pipeline/run-summary';
import { servingSnapshot, withWarehouse } from './serving-snapshot';
import { startSources, type DayTruth, type RunningSources } from '../../lib/local/simulator';
import { startLocalGlue } from '../../lib/local/pipeline/local-glue';
import { DAILY_PIPELINE_STATES as S } from '../../lib/constructs/daily-pipeline-states';

jest.setTimeout(900_000);

const DATES = ['2020-02-01', '2020-02-02'];
const dayNumber = (date: string) => Date.parse(`${date}T00:00:00Z`) / 86_400_000;

/**
 * What the runs of DATES extracted, with the one-day look-back: every session of the day before the first
 * date through the last date, except the last date's late ones (they reach the API after its run).
 */
function sessionsExtracted(sources: RunningSources): { items: number; revenueCents: number } {
  let items = 0;
  let revenueCents = 0;
  for (const served of sources.world.servedSessions(dayNumber(DATES[0]) - 1, dayNumber(DATES[1]))) {
    for (const record of served.records) {
      for (const item of (record as SessionRecord).session_items) {
        items++;
        revenueCents += Math.round(item.price * 100);
      }
    }
  }
  return { items, revenueCents };
}

/**
 * Buyers of the extracted sessions who are in no users snapshot up to the last date (the real API records
 * some profiles days after the first purchases, or never): dim_users' inferred members.
 */
function inferredBuyers(sources: RunningSources): number {
  const { world } = sources;
  const last = dayNumber(DATES[1]);
  const ids = new Set<string>();
  for (let day = dayNumber(DATES[0]) - 1; day <= last; day++) {
    for (const session of world.sessions.sessionsOfDay(day)) {
      if (day === last && world.isLate(day, session.index)) continue;
      const profileDay = world.profileDay(session.userIndex);
      if (profileDay === null || profileDay > last) ids.add(session.record.user_id);
    }
  }
  return ids.size;
}

async function truthOf(sources: RunningSources, date: string): Promise<DayTruth> {
  const response = await fetch(`${sources.apiUrl}/_truth?date=${date}`);
  return (await response.json()) as DayTruth;
}

describe('deftunes run (local DailyPipeline)', () => {
  let dataDir: string;
  let sources: RunningSources;
  let first: RunSummary;
  let options: Omit<RunPipelineOptions, 'dates'>;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'deftunes-e2e-'));
    sources = await startSources({ port: 0, songsPort: 0, scale: 'tiny', seed: 7, lateArrivalRate: 0.1 });
    options = {
      dataDir,
      apiUrl: sources.apiUrl,
      songsDbUrl: sources.songsDbUrl,
      // The runner's own simulator (enrichment APIs, listening events) is the same world as the sources'.
      scale: 'tiny',
      seed: 7,
      startGlue: startLocalGlue,
      dashboard: true,
    };
    first = await runPipeline({ ...options, dates: DATES });
  });

  afterAll(async () => {
    await sources?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  test('runs every state of both dates and reports them', () => {
    expect(first.status).toBe('succeeded');
    expect(first.dates.map((date) => [date.run_date, date.status])).toEqual(
      DATES.map((d) => [d, 'succeeded']),
    );
    const stateNames = first.dates[0].states.map((state) => state.name);
    for (const name of [
      S.extractSongs,
      S.extractUsers,
      S.extractSessions,
      S.transformSongs,
      S.transformApi,
      S.checkTransformQuality,
      S.loadServing,
      S.checkServingQuality,
      S.notifySuccess,
    ]) {
      expect(stateNames).toContain(name);
    }
    expect(first.dq[DATES[1]].transform?.status).not.toBe('failed');
    expect(first.dq[DATES[1]].serving?.status).not.toBe('failed');
    expect(first.dashboard).toBe(path.join(localPaths(dataDir).serving, 'dashboard.html'));
  });

  test('the star schema holds exactly the sessions the API served, joined to every dimension', async () => {
    const truths = await Promise.all(DATES.map((date) => truthOf(sources, date)));
    const { items: expectedItems, revenueCents } = sessionsExtracted(sources);
    const expectedRevenue = revenueCents / 100;
    await withWarehouse(dataDir, async (warehouse) => {
      const [fact] = await warehouse.query<{ items: number; revenue: string; sessions: number }>(
        `SELECT count(*) AS items, sum(price) AS revenue, count(DISTINCT session_id) AS sessions FROM fact_session_items`,
      );
      expect(Number(fact.items)).toBe(expectedItems);
      expect(Number(fact.revenue)).toBeCloseTo(expectedRevenue, 2);
      expect(first.tables.fact_session_items).toBe(expectedItems);

      const [orphans] = await warehouse.query<{ users: number; songs: number; dates: number }>(`
        SELECT count(*) FILTER (WHERE u.user_key IS NULL) AS users,
               count(*) FILTER (WHERE s.song_key IS NULL) AS songs,
               count(*) FILTER (WHERE d.date_key IS NULL) AS dates
        FROM fact_session_items f
        LEFT JOIN dim_users u ON u.user_key = f.user_key
        LEFT JOIN dim_songs s ON s.song_key = f.song_key
        LEFT JOIN dim_date d ON d.date_key = f.date_key`);
      expect([Number(orphans.users), Number(orphans.songs), Number(orphans.dates)]).toEqual([0, 0, 0]);

      const [current] = await warehouse.query<{ users: number; current_versions: number; inferred: number }>(
        `SELECT count(DISTINCT user_id) AS users, count(*) FILTER (WHERE is_current) AS current_versions,
                count(DISTINCT user_id) FILTER (WHERE is_inferred) AS inferred FROM dim_users`,
      );
      expect(Number(current.current_versions)).toBe(Number(current.users));
      // The snapshot's users, plus an inferred member per buyer without a profile yet.
      expect(Number(current.inferred)).toBe(inferredBuyers(sources));
      expect(Number(current.users)).toBe(truths[1].users.snapshot_size + inferredBuyers(sources));

      const [bi] = await warehouse.query<{ artist_total: string; country_total: string }>(`
        SELECT (SELECT sum(total_sales) FROM sales_per_artist_vw) AS artist_total,
               (SELECT sum(total_sales) FROM sales_per_country_vw) AS country_total`);
      expect(Number(bi.artist_total)).toBeCloseTo(Number(fact.revenue), 2);
      expect(Number(bi.country_total)).toBeCloseTo(Number(fact.revenue), 2);
    });
  });

  test("a session that reached the API after its day's run is in the fact after the next run, exactly once", async () => {
    const late = (date: string) =>
      [...sources.world.sessions.sessionsOfDay(dayNumber(date))]
        .filter((session) => sources.world.isLate(dayNumber(date), session.index))
        .map((session) => ({ id: session.record.session_id, items: session.record.session_items.length }));
    const lateFirst = late(DATES[0]);
    expect(lateFirst.length).toBeGreaterThan(0);
    // Simulator UUIDs, safe to inline (the warehouse binds scalars only).
    const ids = [...lateFirst, ...late(DATES[1])].map((session) => `'${session.id}'`).join(', ');
    await withWarehouse(dataDir, async (warehouse) => {
      const rows = await warehouse.query<{
        session_id: string;
        items: number;
        keys: number;
        ingest_on: string;
      }>(
        `SELECT session_id, count(*) AS items, count(DISTINCT item_index) AS keys,
                string_agg(DISTINCT CAST(ingest_on AS VARCHAR), ',') AS ingest_on
         FROM fact_session_items WHERE session_id IN (${ids}) GROUP BY 1 ORDER BY 1`,
      );
      // The first date's late sessions: every item once, loaded by the second date's run; the second
      // date's are not there yet (a third run would bring them).
      expect(rows.map((row) => [row.session_id, Number(row.items), Number(row.keys), row.ingest_on])).toEqual(
        lateFirst
          .map((session) => [session.id, session.items, session.items, DATES[1]])
          .sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
      );
      // Sessions the look-back extracted twice (the first date's on-time ones) are one row per item too.
      const [keys] = await warehouse.query<{ rows: number; keys: number }>(
        `SELECT count(*) AS rows, count(DISTINCT (session_id, item_index)) AS keys FROM fact_session_items`,
      );
      expect(Number(keys.rows)).toBe(Number(keys.keys));
    });
  });

  test('re-running a date changes nothing in the serving layer', async () => {
    const before = await servingSnapshot(dataDir);
    const rerun = await runPipeline({ ...options, dates: [DATES[1]], dashboard: false });
    expect(rerun.status).toBe('succeeded');
    expect(await servingSnapshot(dataDir)).toEqual(before);
  });

  test('re-running the older date after the newer one leaves the serving layer as the in-order run left it', async () => {
    const inOrder = await servingSnapshot(dataDir);
    const rerun = await runPipeline({ ...options, dates: [DATES[0]], dashboard: false });
    expect(rerun.status).toBe('succeeded');
    expect(await servingSnapshot(dataDir)).toEqual(inOrder);
  });

  test('a run whose transform quality gate fails leaves the serving tables as they were', async () => {
    const before = await servingSnapshot(dataDir);
    const dirty = await startSources({ port: 0, songsPort: 0, scale: 'tiny', seed: 7, badRecordRate: 0.2 });
    try {
      const failed = await runPipeline({
        ...options,
        apiUrl: dirty.apiUrl,
        songsDbUrl: dirty.songsDbUrl,
        dates: ['2020-02-03'],
        dashboard: false,
      });
      expect(failed.status).toBe('failed');
      expect(failed.dates[0].error?.state).toBe('TransformQualityGate');
      expect(failed.dq['2020-02-03'].transform?.status).toBe('failed');
      expect(failed.dq['2020-02-03'].serving).toBeUndefined();
      expect(failed.quarantined.sessions.total).toBeGreaterThan(0);
    } finally {
      await dirty.close();
    }
    expect(await servingSnapshot(dataDir)).toEqual(before);
  });
  test('a run date after today is refused before anything runs, and the serving layer is unchanged', async () => {
    const before = await servingSnapshot(dataDir);
    const tomorrow = new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 10);
    const refused = await runPipeline({ ...options, dates: [tomorrow], dashboard: false });
    expect(refused.status).toBe('failed');
    expect(refused.dates[0].error).toMatchObject({ state: S.resolveRunDate, error: 'RunDateOutOfRange' });
    const ran = refused.dates[0].states.map((state) => state.name);
    expect(ran).not.toContain(S.extractSessions);
    expect(ran).not.toContain(S.loadServing);
    expect(await servingSnapshot(dataDir)).toEqual(before);
  });

  test('an empty source day fails the transform gate with serving unchanged, and loads once declared empty', async () => {
    const before = await servingSnapshot(dataDir);
    const emptyDay = '2020-02-03';
    const outage = await startSources({
      port: 0,
      songsPort: 0,
      scale: 'tiny',
      seed: 7,
      lateArrivalRate: 0.1,
      emptyDays: [emptyDay],
    });
    try {
      const sourceOptions = {
        ...options,
        apiUrl: outage.apiUrl,
        songsDbUrl: outage.songsDbUrl,
        dashboard: false,
      };
      const failed = await runPipeline({ ...sourceOptions, dates: [emptyDay] });
      expect(failed.status).toBe('failed');
      expect(failed.dates[0].error?.state).toBe('TransformQualityGate');
      expect(failed.dq[emptyDay].transform?.failed).toContain('sessions_volume_not_collapsed');
      expect(await servingSnapshot(dataDir)).toEqual(before);

      const declared = await runPipeline({ ...sourceOptions, dates: [emptyDay], declaredEmpty: [emptyDay] });
      expect(declared.status).toBe('succeeded');
      expect(declared.dq[emptyDay].transform?.failed).toEqual([]);
      expect(declared.dq[emptyDay].transform?.warned).toContain('sessions_volume_not_collapsed');
    } finally {
      await outage.close();
    }
  });
});
