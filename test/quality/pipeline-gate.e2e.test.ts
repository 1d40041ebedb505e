/**
 * The gate inside the local DailyPipeline at a low bad-record rate (0.01): the run passes or warns, and
 * every bad record the simulator served is explained, by the quarantine (with a reason) or by the gate's
 * result document. (The high rate, 0.2, failing the transform gate and leaving the serving layer as it was,
 * is in test/pipeline/local-run.e2e.test.ts.) Slow: one Spark JVM for the run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { ResultDocumentSchema, resultDocumentKey } from '../../lambdas/data-quality/result-document';
import { landingManifestKey, quarantineKey, type LandingSource } from '../../lambdas/shared/landing-keys';
import { LocalObjectStore } from '../../lib/local/adapters/local-object-store';
import { localPaths } from '../../lib/local/data-dir';
import { runPipeline } from '../../lib/local/pipeline/run-pipeline';
import type { RunSummary } from '../../lib/local/pipeline/run-summary';
import { startSources, type DayTruth, type RunningSources } from '../../lib/local/simulator';
import { LocalSparkRunner } from '../../lib/local/spark-runner';

jest.setTimeout(900_000);

const DATES = ['2020-02-01', '2020-02-02'];

describe('the quality gate in the local pipeline at --bad-record-rate 0.01', () => {
  let dataDir: string;
  let sources: RunningSources;
  let summary: RunSummary;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'deftunes-dq-e2e-'));
    sources = await startSources({ port: 0, songsPort: 0, scale: 'tiny', seed: 11, badRecordRate: 0.01 });
    summary = await runPipeline({
      dataDir,
      apiUrl: sources.apiUrl,
      songsDbUrl: sources.songsDbUrl,
      // The runner's own simulator (enrichment APIs, listening events) is the same world as the sources'.
      scale: 'tiny',
      seed: 11,
      dates: DATES,
      dashboard: false,
      startGlue: async (dir) => {
        const runner = await LocalSparkRunner.start({ dataDir: dir });
        return {
          runJob: (job: string, args: Record<string, string>) =>
            runner.runJob(job as 'transform_api' | 'transform_songs', { ...args, run_date: args.run_date }),
          listDataFiles: (tables: readonly string[]) => runner.listDataFiles(tables),
          close: () => runner.close(),
        };
      },
    });
  });

  afterAll(async () => {
    await sources?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  async function truthOf(date: string): Promise<DayTruth> {
    return (await (await fetch(`${sources.apiUrl}/_truth?date=${date}`)).json()) as DayTruth;
  }

  /** The truths of the days a run's sessions extract covers: the run date and, by the look-back, the day before. */
  async function sessionTruthsOf(date: string): Promise<DayTruth[]> {
    const dayBefore = new Date(Date.parse(`${date}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
    return Promise.all([truthOf(dayBefore), truthOf(date)]);
  }

  test('every date runs through both gates, which pass or warn', () => {
    expect(summary.dates.map((date) => [date.run_date, date.status])).toEqual(
      DATES.map((d) => [d, 'succeeded']),
    );
    for (const date of DATES) {
      expect(['passed', 'warned']).toContain(summary.dq[date].transform?.status);
      expect(['passed', 'warned']).toContain(summary.dq[date].serving?.status);
    }
  });

  test('the quarantine explains every record dropped at extraction, each with a reason', async () => {
    const landing = new LocalObjectStore(localPaths(dataDir).landing);
    let dropped = 0;
    for (const date of DATES) {
      const truth = await truthOf(date);
      const sessionTruths = await sessionTruthsOf(date);
      const expected: Record<'users' | 'sessions', number> = {
        users: truth.users.served - truth.users.extract_valid,
        sessions: sessionTruths.reduce(
          (sum, day) => sum + day.sessions.served - day.sessions.extract_valid,
          0,
        ),
      };
      for (const source of ['users', 'sessions'] as const satisfies readonly LandingSource[]) {
        const manifest = JSON.parse(
          (await landing.getObject(landingManifestKey(source, date))).toString('utf8'),
        ) as {
          rejected: number;
        };
        const lines = gunzipSync(await landing.getObject(quarantineKey(source, date)))
          .toString('utf8')
          .split('\n')
          .filter((line) => line.trim() !== '')
          .map((line) => JSON.parse(line) as { reason?: string });
        expect({ date, source, rejected: manifest.rejected, quarantined: lines.length }).toEqual({
          date,
          source,
          rejected: expected[source],
          quarantined: expected[source],
        });
        for (const line of lines) expect(line.reason).toEqual(expect.stringMatching(/\S/));
        dropped += lines.length;
      }
    }
    // Seed 11 serves broken users and sessions on these dates: the check above is not vacuous.
    expect(dropped).toBeGreaterThan(0);
  });

  test("the gate's result document counts the well-formed bad records only it can see", async () => {
    const serving = new LocalObjectStore(localPaths(dataDir).serving);
    let explained = 0;
    for (const date of DATES) {
      const unknownTracks = (await sessionTruthsOf(date))
        .flatMap((truth) => truth.corrupted)
        .filter((record) => record.entity === 'sessions' && record.kind === 'unknown_track_id').length;
      const document = ResultDocumentSchema.parse(
        JSON.parse((await serving.getObject(resultDocumentKey(date, 'transform'))).toString('utf8')),
      );
      const coverage = document.rules.find((rule) => rule.rule === 'sessions_song_id_in_songs_track_id');
      expect({ date, unresolved: coverage?.failing_rows }).toEqual({ date, unresolved: unknownTracks });
      explained += unknownTracks;
      const rates = document.rules.filter((rule) => rule.kind === 'quarantine_rate');
      expect(rates.map((rule) => rule.rule).sort()).toEqual([
        'quarantine_rate_sessions',
        'quarantine_rate_songs',
        'quarantine_rate_users',
      ]);
      expect(rates.every((rule) => rule.status !== 'failed')).toBe(true);
    }
    // Seed 11 serves an unknown track id on 2020-02-01.
    expect(explained).toBeGreaterThan(0);
  });
});
