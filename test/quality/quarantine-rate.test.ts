import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  checkQuarantineRates,
  quarantineShare,
  transformCountsFromStore,
  type TransformCounts,
} from '../../lambdas/data-quality/quarantine-rate';
import { RuleResultSchema } from '../../lambdas/data-quality/result-document';
import { landingManifestKey, type LandingSource } from '../../lambdas/shared/landing-keys';
import { LocalObjectStore } from '../../lib/local/adapters/local-object-store';

const RUN_DATE = '2020-02-01';

describe('quarantine rate bound', () => {
  let dir: string;
  let landing: LocalObjectStore;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'dq-quarantine-'));
    landing = new LocalObjectStore(path.join(dir, 'landing'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function writeManifest(source: LandingSource, records: number, rejected: number): Promise<void> {
    // The extraction manifest has more fields; the gate reads only records and rejected.
    await landing.putObject(
      landingManifestKey(source, RUN_DATE),
      JSON.stringify({
        manifest_version: 1,
        entity: source,
        run_date: RUN_DATE,
        records,
        rejected,
        bytes: 1,
      }),
    );
  }

  const cleanTransform = (read: number): TransformCounts => ({ read, written: read, quarantined: 0 });

  async function rateFor(extracted: [number, number], transform: TransformCounts) {
    await writeManifest('sessions', ...extracted);
    const [result] = await checkQuarantineRates({
      runDate: RUN_DATE,
      landingStore: landing,
      transformCounts: async () => transform,
      sources: ['sessions'],
    });
    return RuleResultSchema.parse(result);
  }

  it('passes at 0.5%, warns at 2%, fails at 10% (extraction rejects)', async () => {
    expect(await rateFor([995, 5], cleanTransform(995))).toMatchObject({
      rule: 'quarantine_rate_sessions',
      status: 'passed',
      observed: 0.5,
      failing_rows: 5,
    });
    expect(await rateFor([980, 20], cleanTransform(980))).toMatchObject({ status: 'warned', observed: 2 });
    expect(await rateFor([900, 100], cleanTransform(900))).toMatchObject({
      status: 'failed',
      observed: 10,
      severity: 'error',
      threshold: 'error if quarantined percent > 5; warn if quarantined percent > 1',
    });
  });

  it('counts rows the transform quarantined too, as a share of what it read', async () => {
    const transform = { read: 2000, written: 1960, quarantined: 40 };
    const result = await rateFor([1000, 0], transform);
    expect(result).toMatchObject({ status: 'warned', observed: 2, failing_rows: 40 });
    expect(result.sample_failing_keys[0]).toMatchObject({
      transform_quarantined: 40,
      extraction_records: 1000,
    });
  });

  it('combines both steps as survival shares', () => {
    // 10% rejected at extraction, then 10% of the rest quarantined at transform: 19% lost.
    expect(
      quarantineShare({ records: 900, rejected: 100 }, { read: 900, written: 810, quarantined: 90 }),
    ).toBeCloseTo(0.19);
    expect(quarantineShare({ records: 0, rejected: 0 }, { read: 0, written: 0, quarantined: 0 })).toBe(0);
  });

  it('honours configured thresholds', async () => {
    await writeManifest('users', 980, 20);
    const [result] = await checkQuarantineRates({
      runDate: RUN_DATE,
      landingStore: landing,
      transformCounts: async () => cleanTransform(980),
      sources: ['users'],
      thresholds: { warnAbovePercent: 0.1, errorAbovePercent: 1.5 },
    });
    expect(result).toMatchObject({ status: 'failed', observed: 2 });
  });

  it('fails, naming the key, when an extraction manifest is missing', async () => {
    const [result] = await checkQuarantineRates({
      runDate: RUN_DATE,
      landingStore: landing,
      transformCounts: async () => cleanTransform(1),
      sources: ['songs'],
    });
    expect(result.status).toBe('failed');
    expect(result.error).toContain('db/songs/ingest_on=2020-02-01/_manifest.json not found');
  });

  it('fails when the transform job reported no counts, or impossible ones', async () => {
    await writeManifest('sessions', 10, 0);
    const [missing] = await checkQuarantineRates({
      runDate: RUN_DATE,
      landingStore: landing,
      transformCounts: async () => undefined,
      sources: ['sessions'],
    });
    expect(missing).toMatchObject({
      status: 'failed',
      error: expect.stringContaining('no transform counts for sessions'),
    });
    const [impossible] = await checkQuarantineRates({
      runDate: RUN_DATE,
      landingStore: landing,
      transformCounts: async () => ({ read: 1, written: 0, quarantined: 2 }),
      sources: ['sessions'],
    });
    expect(impossible).toMatchObject({
      status: 'failed',
      error: expect.stringContaining('quarantined 2 of 1'),
    });
  });

  it('fails on a malformed manifest, saying what is wrong', async () => {
    await landing.putObject(landingManifestKey('sessions', RUN_DATE), JSON.stringify({ records: -1 }));
    const [result] = await checkQuarantineRates({
      runDate: RUN_DATE,
      landingStore: landing,
      transformCounts: async () => cleanTransform(1),
      sources: ['sessions'],
    });
    expect(result.error).toMatch(/extraction manifest .* is malformed: records: .*; rejected: /);
  });

  it('reports a read failure other than a missing object, naming the key', async () => {
    const denied = Object.assign(Object.create(landing) as LocalObjectStore, {
      getObject: async () => {
        throw new Error('Access Denied');
      },
    });
    const [result] = await checkQuarantineRates({
      runDate: RUN_DATE,
      landingStore: denied,
      transformCounts: async () => cleanTransform(1),
      sources: ['users'],
    });
    expect(result).toMatchObject({
      status: 'failed',
      error: 'cannot read extraction manifest api/users/ingest_on=2020-02-01/_manifest.json: Access Denied',
    });
  });

  it('reads transform counts written as JSON objects in a store', async () => {
    const reader = transformCountsFromStore(landing, (source, date) => `counts/${source}/${date}.json`);
    expect(await reader('users', RUN_DATE)).toBeUndefined();
    await landing.putObject(
      `counts/users/${RUN_DATE}.json`,
      JSON.stringify({ read: 5, written: 4, quarantined: 1, job: 'x' }),
    );
    expect(await reader('users', RUN_DATE)).toEqual({ read: 5, written: 4, quarantined: 1 });
  });
});
