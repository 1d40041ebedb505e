/**
 * The TypeScript client of the local Spark runner, against the real runner (Python, Spark, Iceberg):
 * start, run both jobs on landing fixtures, list data files (read back with DuckDB), errors, close.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { DuckDBInstance } from '@duckdb/node-api';
import { landingDataKey, landingManifestKey, type LandingSource } from '../../lambdas/shared/landing-keys';
import { LocalSparkRunner } from '../../lib/local/spark-runner';
import { localPaths } from '../../lib/local/data-dir';

const RUN_DATE = '2020-02-01';
const USER_ID = '0b9ad1a4-5c1f-4a58-9d7e-2d0c8e6b7f01';

function item(songId: string, price: number) {
  return {
    song_id: songId,
    song_name: 'Song',
    artist_id: 'ARD7TVE1187B99BFB1',
    artist_name: 'Casual',
    price,
    currency: 'USD',
    liked: false,
    liked_since: null,
  };
}

const RECORDS: Record<LandingSource, unknown[]> = {
  users: [
    {
      user_id: USER_ID,
      user_name: 'Ada',
      user_lastname: 'Lovelace',
      user_location: ['51.50853', '-0.12574', 'London', 'GB', 'Europe/London'],
      user_since: '2020-01-15T08:30:00Z',
    },
  ],
  sessions: [
    {
      user_id: USER_ID,
      session_id: '6f1d2c3b-0a9e-4e1f-8b7a-5c4d3e2f1a00',
      session_items: [item('TRAAAAW128F429D538', 0.99), item('TRAAABD128F429CF47', 1.29)],
      user_agent: 'Mozilla/5.0',
      session_start_time: '2020-02-01T09:15:00+01:00',
    },
    {
      user_id: USER_ID,
      session_id: '7f1d2c3b-0a9e-4e1f-8b7a-5c4d3e2f1a00',
      session_items: [item('TRAAAAW128F429D538', 0.999)],
      user_agent: 'Mozilla/5.0',
      session_start_time: '2020-02-01T10:00:00Z',
    },
  ],
  songs: [
    {
      track_id: 'TRAAAAW128F429D538',
      title: "I Didn't Mean To",
      song_id: 'SOMZWCG12A8C13C480',
      release: 'Fear Itself',
      artist_id: 'ARD7TVE1187B99BFB1',
      artist_mbid: 'e77e51a5-4761-45b3-9847-2051f811e366',
      artist_name: 'Casual',
      duration: 218.93179,
      artist_familiarity: 0.58,
      artist_hotttnesss: 0.4,
      year: 0,
      track_7digitalid: 7032331,
      shs_perf: -1,
      shs_work: 0,
    },
  ],
};

/** Writes an extract as the extraction does: gzipped JSON lines, then its manifest. */
function writeExtract(landing: string, source: LandingSource, records: unknown[]): void {
  const data = gzipSync(records.map((record) => `${JSON.stringify(record)}\n`).join(''));
  const dataPath = path.join(landing, landingDataKey(source, RUN_DATE));
  mkdirSync(path.dirname(dataPath), { recursive: true });
  writeFileSync(dataPath, data);
  const manifest = {
    manifest_version: 1,
    entity: source,
    run_date: RUN_DATE,
    key: landingDataKey(source, RUN_DATE),
    records: records.length,
    rejected: 0,
    bytes: data.length,
    sha256: createHash('sha256').update(data).digest('hex'),
  };
  writeFileSync(path.join(landing, landingManifestKey(source, RUN_DATE)), JSON.stringify(manifest));
}

async function readParquet(files: string[], sql: string): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const list = files.map((file) => `'${file.replace(/'/g, "''")}'`).join(', ');
    const reader = await connection.runAndReadAll(sql.replace('$files', `read_parquet([${list}])`));
    return reader.getRowObjectsJson() as Record<string, unknown>[];
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

describe('LocalSparkRunner', () => {
  let dataDir: string;
  let runner: LocalSparkRunner;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'deftunes-spark-runner-'));
    for (const source of ['users', 'sessions', 'songs'] as const) {
      writeExtract(localPaths(dataDir).landing, source, RECORDS[source]);
    }
    runner = await LocalSparkRunner.start({ dataDir });
  }, 240_000);

  afterAll(async () => {
    await runner?.close();
    rmSync(dataDir, { recursive: true, force: true });
  }, 120_000);

  it('lists no data files for the tables whose job has not run', async () => {
    await expect(runner.listDataFiles(['songs', 'sessions'])).resolves.toEqual({ songs: [], sessions: [] });
  });

  it('runs transform_api and reports its counts', async () => {
    const result = await runner.runJob('transform_api', { run_date: RUN_DATE });
    expect(result.sources.users).toMatchObject({ read: 1, written: 1, quarantined: 0 });
    expect(result.sources.sessions).toMatchObject({ read: 2, written: 2, quarantined: 1 });
    expect(existsSync(result.results_path)).toBe(true);
    expect(result.results_path).toBe(
      path.join(
        dataDir,
        'transform',
        'warehouse',
        '_job_results',
        'transform_api',
        `ingest_on=${RUN_DATE}.json`,
      ),
    );
  }, 240_000);

  it('lists the current data files, which DuckDB reads with the transform types', async () => {
    const { sessions: files, songs } = await runner.listDataFiles(['sessions', 'songs']);
    expect(songs).toEqual([]);
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      expect(path.isAbsolute(file)).toBe(true);
      expect(existsSync(file)).toBe(true);
    }
    const rows = await readParquet(
      files,
      `SELECT item_index, price, typeof(price) AS price_type, session_start_time,
              typeof(session_start_time) AS time_type FROM $files ORDER BY item_index`,
    );
    expect(rows).toEqual([
      {
        item_index: 0,
        price: '0.99',
        price_type: 'DECIMAL(10,2)',
        session_start_time: '2020-02-01 08:15:00',
        time_type: 'TIMESTAMP',
      },
      {
        item_index: 1,
        price: '1.29',
        price_type: 'DECIMAL(10,2)',
        session_start_time: '2020-02-01 08:15:00',
        time_type: 'TIMESTAMP',
      },
    ]);
  }, 120_000);

  it('re-runs a date into new files with the same rows', async () => {
    const { sessions: before } = await runner.listDataFiles(['sessions']);
    await runner.runJob('transform_api', { run_date: RUN_DATE });
    const { sessions: after } = await runner.listDataFiles(['sessions']);
    expect(after.filter((file) => before.includes(file))).toEqual([]);
    const [{ n }] = await readParquet(after, 'SELECT count(*)::INTEGER AS n FROM $files');
    expect(n).toBe(2);
  }, 240_000);

  it('runs transform_songs on the same session', async () => {
    const result = await runner.runJob('transform_songs', { run_date: RUN_DATE });
    expect(result.sources.songs).toMatchObject({ read: 1, written: 1, quarantined: 0 });
    const { songs } = await runner.listDataFiles(['songs']);
    expect(songs).toHaveLength(1);
  }, 240_000);

  it("passes a job's failure through, naming the missing manifest", async () => {
    const manifest = path.join(dataDir, 'landing', landingManifestKey('songs', '2020-03-01'));
    await expect(runner.runJob('transform_songs', { run_date: '2020-03-01' })).rejects.toThrow(
      `transform_songs 2020-03-01 failed: manifest ${manifest} not found`,
    );
    await expect(runner.runJob('transform_songs', { run_date: 'yesterday' })).rejects.toThrow(
      '--run_date must be a date YYYY-MM-DD',
    );
  }, 120_000);

  it('refuses a second runner on the same data directory', async () => {
    await expect(LocalSparkRunner.start({ dataDir })).rejects.toThrow(
      /exited \(code 1\).*another local Spark runner is using/s,
    );
  }, 120_000);

  it('tells how to install a missing Python environment', async () => {
    await expect(LocalSparkRunner.start({ dataDir, python: '/nowhere/bin/python' })).rejects.toThrow(
      'Python environment not found at /nowhere/bin/python: run npm run setup',
    );
  });

  it('tells when Java is missing', async () => {
    const javaHome = process.env.JAVA_HOME;
    process.env.JAVA_HOME = '/nowhere';
    try {
      await expect(LocalSparkRunner.start({ dataDir })).rejects.toThrow(
        'Java not found (/nowhere/bin/java): local Spark needs a JDK 17',
      );
    } finally {
      if (javaHome === undefined) delete process.env.JAVA_HOME;
      else process.env.JAVA_HOME = javaHome;
    }
  });

  it('rejects requests after close', async () => {
    await runner.close();
    await expect(runner.listDataFiles(['users'])).rejects.toThrow('local Spark runner is not running');
  }, 120_000);
});
