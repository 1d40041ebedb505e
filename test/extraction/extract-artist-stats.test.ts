/**
 * The artist-statistics extract against the real simulator (the Last.fm-shaped API and the songs
 * database) over the network: by mbid, then by name, not-found artists landed with found: false, the run
 * date's slice, error 29 bursts and slow answers retried, a bad key (error 10) and the budget failing
 * clearly, the key never logged.
 */
import {
  runExtractArtistStats,
  artistSlice,
  type ArtistStatsRecord,
} from '../../lambdas/extract-artist-stats/extract-artist-stats';
import type { ExtractArtistStatsDeps } from '../../lambdas/extract-artist-stats/extract-artist-stats';
import { urlConnectionFactory } from '../../lib/local/adapters/pg-url-connection';
import { RequestBudgetExceededError } from '../../lambdas/shared/keyed-api-client';
import type { ArtistStatsExpectation } from '../../lib/local/simulator';
import {
  capturingLogger,
  enrichmentEnv,
  enrichmentFaults,
  expectKeyRefused,
  FAST_RETRIES,
  hasManifest,
  landed,
  type EnrichmentEnv,
} from './enrichment-helpers';
import { failureOf } from './helpers';

const RUN_DATE = '2020-03-14';
const KEY = 'stats_Key_91be02';

function deps(env: EnrichmentEnv, overrides: Partial<ExtractArtistStatsDeps> = {}): ExtractArtistStatsDeps {
  return {
    store: env.store,
    apiBaseUrl: env.sources.artistStatsApiUrl,
    apiKey: KEY,
    connections: urlConnectionFactory(env.sources.songsDbUrl),
    settings: { requestsPerSecond: 40 },
    retryPolicy: FAST_RETRIES,
    ...overrides,
  };
}

const byId = <T extends { artist_id: string }>(rows: T[]) =>
  [...rows].sort((a, b) => (a.artist_id < b.artist_id ? -1 : a.artist_id > b.artist_id ? 1 : 0));

describe('extract-artist-stats, clean source', () => {
  let env: EnrichmentEnv;
  let truth: ArtistStatsExpectation[];
  beforeAll(async () => {
    // Seed 42: at tiny, artists of all three outcomes.
    env = await enrichmentEnv(KEY, { seed: 42 });
    truth = env.sources.world.artistStatsTruth();
  });
  afterAll(() => env.close());

  it('looks every artist up by mbid, then by name, and lands the not-found ones with found: false', async () => {
    const result = await runExtractArtistStats({ run_date: RUN_DATE }, deps(env));
    const { manifest, records, quarantine } = await landed<ArtistStatsRecord>(
      env.store,
      'artist_stats',
      RUN_DATE,
    );

    // The whole catalog fits in one day's budget: the slice is every artist.
    expect(manifest.slice).toMatchObject({ modulus: 1, remainder: 0, catalog_artists: truth.length });
    expect(result).toMatchObject({ entity: 'artist_stats', records: truth.length, rejected: 0 });
    expect(byId(records)).toEqual(byId(truth));
    expect(quarantine).toEqual([]);
    // The three outcomes are all there: by mbid, only by name (mbid unknown, or none), not found.
    expect(records.some((r) => r.found && r.lookup === 'mbid')).toBe(true);
    expect(records.some((r) => r.found && r.lookup === 'name' && r.artist_mbid !== null)).toBe(true);
    expect(records.some((r) => !r.found && r.response === null)).toBe(true);
    const notFound = records.filter((r) => !r.found).length;
    expect(manifest.slice).toMatchObject({ found: records.length - notFound, not_found: notFound });
    // One request per artist, one more for each artist whose mbid lookup failed.
    const second = records.filter((r) => r.lookup === 'name' && r.artist_mbid !== null).length;
    expect(manifest.requests).toBe(records.length + second);
  });

  it('looks up only the run date slice when the catalog exceeds the budget, every artist within K days', async () => {
    const budget = 20;
    const seen: string[] = [];
    for (const date of ['2020-03-14', '2020-03-15', '2020-03-16', '2020-03-17']) {
      await runExtractArtistStats(
        { run_date: date },
        deps(env, { settings: { requestsPerSecond: 40, dailyRequestBudget: { artistStats: budget } } }),
      );
      const { manifest, records } = await landed<ArtistStatsRecord>(env.store, 'artist_stats', date);
      const expected = artistSlice(truth, date, budget);
      expect(manifest.slice).toMatchObject({ modulus: 4, artists: expected.artists.length });
      expect(byId(records)).toEqual(byId(expected.artists));
      expect(manifest.requests).toBeLessThanOrEqual(budget);
      seen.push(...records.map((r) => r.artist_id));
    }
    expect(seen.sort()).toEqual(truth.map((t) => t.artist_id).sort());
  });

  it('fails with InvalidApiKeyError on error 10, the key masked and never logged, and lands no manifest', async () => {
    await expectKeyRefused(env, {
      source: 'artist_stats',
      runDate: '2020-03-20',
      service: 'extract-artist-stats',
      badKey: 'not-the-key-42',
      run: (apiKey, logger) =>
        runExtractArtistStats({ run_date: '2020-03-20' }, deps(env, { apiKey, logger })),
      refusal: /artist_stats API refused the API key \(error 10\)/,
      masked: 'api_key=***',
    });
  });
});

describe('extract-artist-stats under faults', () => {
  let env: EnrichmentEnv;
  beforeAll(
    async () => (env = await enrichmentEnv(KEY, { seed: 11, enrichmentFaultRate: 0.3, slowResponseMs: 800 })),
  );
  afterAll(() => env.close());

  it('retries error 29 bursts, 503s and slow answers and lands the same as a clean run', async () => {
    const { logger, lines } = capturingLogger('extract-artist-stats');
    await runExtractArtistStats({ run_date: RUN_DATE }, deps(env, { timeoutMs: 300, logger }));
    const { records } = await landed<ArtistStatsRecord>(env.store, 'artist_stats', RUN_DATE);
    const faults = await enrichmentFaults(env);

    expect(faults.faults['artist_stats.rate_limit_burst']).toBeGreaterThan(0);
    expect(faults.faults['artist_stats.slow']).toBeGreaterThan(0);
    expect(byId(records)).toEqual(byId(env.sources.world.artistStatsTruth()));
    const log = lines.join('');
    expect(log).toContain('error 29');
    expect(log).toContain('api_key=***');
    expect(log).not.toContain(KEY);
  });
});

describe('extract-artist-stats over its budget', () => {
  let env: EnrichmentEnv;
  // Nine requests in ten start a fault: the retries take the slice's lookups past a small budget.
  beforeAll(
    async () => (env = await enrichmentEnv(KEY, { seed: 11, enrichmentFaultRate: 0.9, slowResponseMs: 10 })),
  );
  afterAll(() => env.close());

  it('fails naming the budget when retries would take the run past it, landing nothing', async () => {
    const budget = 4;
    // A date whose slice has 3 artists or more: 3 lookups at least, each failing about once before it gets through.
    const truth = env.sources.world.artistStatsTruth();
    const day = Array.from({ length: 60 }, (_, i) =>
      new Date(Date.UTC(2020, 3, 1 + i)).toISOString().slice(0, 10),
    ).find((date) => artistSlice(truth, date, budget).artists.length >= 3)!;
    const error = await failureOf(
      runExtractArtistStats(
        { run_date: day },
        deps(env, { settings: { requestsPerSecond: 40, dailyRequestBudget: { artistStats: budget } } }),
      ),
    );
    expect(error).toBeInstanceOf(RequestBudgetExceededError);
    expect(error.message).toMatch(/artist_stats extract would exceed its daily request budget of 4 requests/);
    expect(await hasManifest(env.store, 'artist_stats', day)).toBe(false);
  });
});
