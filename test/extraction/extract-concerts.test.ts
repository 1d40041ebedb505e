/**
 * The concerts extract against the real simulator over HTTP: paging to the end, splitting windows over
 * 1,000 events, duplicates from an event added between two pages, 429 bursts, slow answers, a bad key, the
 * request budget; every event of the simulator's truth lands exactly once, and the key is never logged.
 */
import { RequestBudgetExceededError } from '../../lambdas/shared/keyed-api-client';
import {
  runExtractConcerts,
  type ExtractConcertsDeps,
} from '../../lambdas/extract-concerts/extract-concerts';
import type { ConcertEvent } from '../../lib/local/simulator';
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
const KEY = 'concerts-Key-7f3a9c';

function deps(env: EnrichmentEnv, overrides: Partial<ExtractConcertsDeps> = {}): ExtractConcertsDeps {
  return {
    store: env.store,
    apiBaseUrl: env.sources.concertsApiUrl,
    apiKey: KEY,
    settings: { countries: ['US', 'GB', 'DE'], requestsPerSecond: 40 },
    retryPolicy: FAST_RETRIES,
    ...overrides,
  };
}

const idsOf = (events: { id: string }[]) => events.map((event) => event.id).sort();

describe('extract-concerts, clean source', () => {
  let env: EnrichmentEnv;
  beforeAll(async () => (env = await enrichmentEnv(KEY, { seed: 11 })));
  afterAll(() => env.close());

  it('pages every window to its last page and lands every event of the truth once, as served', async () => {
    const result = await runExtractConcerts({ run_date: RUN_DATE }, deps(env, { pageSize: 20 }));
    const truth = env.sources.world.concertsTruth(RUN_DATE, ['US', 'GB', 'DE'], 30);
    const { manifest, records, quarantine } = await landed<ConcertEvent>(env.store, 'concerts', RUN_DATE);

    expect(truth.events.length).toBeGreaterThan(60);
    expect(result).toMatchObject({ entity: 'concerts', records: truth.events.length, rejected: 0 });
    expect(records).toEqual(truth.events.map(({ country_code: _country, ...event }) => event));
    expect(quarantine).toEqual([]);
    expect(manifest.window).toEqual({ start_date: '2020-03-15', end_date: '2020-04-13' });
    expect(manifest.windows).toEqual(
      truth.countries.map((country) => ({
        country_code: country.country_code,
        start_date: '2020-03-15',
        end_date: '2020-04-13',
        total_elements: country.events,
        pages: Math.ceil(country.events / 20),
        records: country.events,
        reads: 1,
      })),
    );
    expect(manifest.requests).toBe(manifest.windows!.reduce((sum, window) => sum + window.pages, 0));
    expect(manifest.source_url).not.toContain(KEY);
    expect(manifest.source_url).toContain('apikey=***');
  });

  it('is idempotent per date: a re-run writes the same objects', async () => {
    const first = await landed<ConcertEvent>(env.store, 'concerts', RUN_DATE);
    await runExtractConcerts({ run_date: RUN_DATE }, deps(env, { pageSize: 20 }));
    const second = await landed<ConcertEvent>(env.store, 'concerts', RUN_DATE);
    expect(second.manifest.sha256).toBe(first.manifest.sha256);
    expect(second.records).toEqual(first.records);
  });

  it('fails with InvalidApiKeyError on a bad key, naming the API and the masked URL, and lands no manifest', async () => {
    await expectKeyRefused(env, {
      source: 'concerts',
      runDate: RUN_DATE,
      service: 'extract-concerts',
      badKey: 'wrong-key-123',
      run: (apiKey, logger) => runExtractConcerts({ run_date: RUN_DATE }, deps(env, { apiKey, logger })),
      refusal: /concerts API refused the API key \(HTTP 401\)/,
      masked: 'apikey=***',
    });
  });

  it('fails naming the budget when the run would need more requests than it may send', async () => {
    const error = await failureOf(
      runExtractConcerts(
        { run_date: RUN_DATE },
        deps(env, { pageSize: 20, settings: { countries: ['US'], dailyRequestBudget: { concerts: 3 } } }),
      ),
    );
    expect(error).toBeInstanceOf(RequestBudgetExceededError);
    expect(error.message).toMatch(/daily request budget of 3 requests/);
    expect(await hasManifest(env.store, 'concerts', RUN_DATE)).toBe(false);
  });
});

describe('extract-concerts, windows over 1,000 events', () => {
  let env: EnrichmentEnv;
  beforeAll(async () => (env = await enrichmentEnv(KEY, { seed: 5, concertDensity: 15 })));
  afterAll(() => env.close());

  it('splits a window in halves until each is within the paging depth, and lands every event once', async () => {
    const settings = { countries: ['US', 'SE'], requestsPerSecond: 40 };
    await runExtractConcerts({ run_date: RUN_DATE }, deps(env, { settings }));
    const truth = env.sources.world.concertsTruth(RUN_DATE, ['US', 'SE'], 30);
    const { manifest, records } = await landed<ConcertEvent>(env.store, 'concerts', RUN_DATE);

    expect(truth.countries[0].events).toBeGreaterThan(1000);
    const us = manifest.windows!.filter((window) => window.country_code === 'US');
    expect(us.length).toBeGreaterThan(1);
    for (const window of manifest.windows!) expect(window.total_elements).toBeLessThanOrEqual(1000);
    // The windows tile the horizon, in date order, per country.
    expect(us[0].start_date).toBe('2020-03-15');
    expect(us[us.length - 1].end_date).toBe('2020-04-13');
    for (let i = 1; i < us.length; i++) {
      expect(Date.parse(us[i].start_date) - Date.parse(us[i - 1].end_date)).toBe(86_400_000);
    }
    expect(idsOf(records)).toEqual(idsOf(truth.events));
    expect(new Set(idsOf(records)).size).toBe(records.length);
  });
});

describe('extract-concerts under faults', () => {
  let env: EnrichmentEnv;
  beforeAll(
    async () =>
      (env = await enrichmentEnv(KEY, {
        seed: 4,
        enrichmentFaultRate: 0.3,
        insertedEvents: true,
        slowResponseMs: 800,
      })),
  );
  afterAll(() => env.close());

  it('lands every truth event exactly once through 429 bursts, slow answers, 503s and an event added between pages', async () => {
    const { logger, lines } = capturingLogger('extract-concerts');
    const countries = ['US', 'GB', 'DE', 'FR', 'BR'];
    await runExtractConcerts(
      { run_date: RUN_DATE },
      deps(env, { pageSize: 20, timeoutMs: 300, logger, settings: { countries, requestsPerSecond: 40 } }),
    );
    const truth = env.sources.world.concertsTruth(RUN_DATE, countries, 30);
    const { manifest, records, quarantine } = await landed<ConcertEvent>(env.store, 'concerts', RUN_DATE);
    const faults = await enrichmentFaults(env);

    expect(faults.faults['concerts.rate_limit_burst']).toBeGreaterThan(0);
    expect(faults.faults['concerts.slow']).toBeGreaterThan(0);
    expect(faults.shifted_listings).toBeGreaterThan(0);
    expect(idsOf(records)).toEqual(idsOf(truth.events));
    expect(new Set(idsOf(records)).size).toBe(records.length);
    // The shifted listing served an event twice: the later copy is quarantined, the window read again.
    expect(quarantine.length).toBeGreaterThan(0);
    for (const entry of quarantine) expect(entry.reason).toMatch(/^duplicate: event \S+ was served earlier/);
    expect(manifest.windows!.some((window) => window.reads > 1)).toBe(true);
    for (const window of manifest.windows!) expect(window.records).toBe(window.total_elements);
    expect(manifest.rejected).toBe(quarantine.length);
    // Retries were logged, with the key masked.
    const log = lines.join('');
    expect(log).toContain('request failed; retrying');
    expect(log).toContain('apikey=***');
    expect(log).not.toContain(KEY);
  });
});

describe('extract-concerts against the real rate limit', () => {
  let env: EnrichmentEnv;
  beforeAll(async () => (env = await enrichmentEnv(KEY, { seed: 11, enrichmentRateLimit: 5 })));
  afterAll(() => env.close());

  it('retries the 429s of a client that goes faster than 5 requests per second, honouring Retry-After', async () => {
    const settings = { countries: ['US'], requestsPerSecond: 50 };
    await runExtractConcerts(
      { run_date: RUN_DATE },
      deps(env, { pageSize: 10, settings, retryPolicy: { maxAttempts: 8 } }),
    );
    const truth = env.sources.world.concertsTruth(RUN_DATE, ['US'], 30);
    const { records } = await landed<ConcertEvent>(env.store, 'concerts', RUN_DATE);
    expect((await enrichmentFaults(env)).rate_limited.concerts).toBeGreaterThan(0);
    expect(idsOf(records)).toEqual(idsOf(truth.events));
  });
});
