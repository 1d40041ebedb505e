/**
 * The simulated enrichment APIs (docs/artist-enrichment.md): the concerts API (Ticketmaster shaped) and
 * the artist-statistics API (Last.fm shaped) served beside the DeFtunes API, with their key, rate limit,
 * deep-paging refusal, the "event added between two pages" fault and the world's truth.
 */
import {
  startSources,
  SimulatedWorld,
  type RunningSources,
  type SourcesOptions,
} from '../../lib/local/simulator';
import type { ConcertEvent } from '../../lib/local/simulator';
import { rawGet } from './http-helpers';

const KEY = 'sim-key-1';
const RUN_DATE = '2020-03-14';

interface EventsPage {
  _embedded?: { events: ConcertEvent[] };
  page: { size: number; totalElements: number; totalPages: number; number: number };
}

function eventsUrl(sources: RunningSources, query: Record<string, string | number>): string {
  const url = new URL('/discovery/v2/events.json', sources.concertsApiUrl);
  const params = {
    apikey: KEY,
    classificationName: 'music',
    countryCode: 'US',
    startDateTime: '2020-03-15T00:00:00Z',
    endDateTime: '2020-04-13T23:59:59Z',
    ...query,
  };
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, String(value));
  return url.toString();
}

function statsUrl(sources: RunningSources, query: Record<string, string>): string {
  const url = new URL('/2.0/', sources.artistStatsApiUrl);
  for (const [name, value] of Object.entries({ api_key: KEY, format: 'json', ...query })) {
    url.searchParams.set(name, value);
  }
  return url.toString();
}

async function getJson<T>(url: string): Promise<{ status: number; body: T; retryAfter: string | null }> {
  const response = await fetch(url);
  return {
    status: response.status,
    body: (await response.json()) as T,
    retryAfter: response.headers.get('retry-after'),
  };
}

/** Runs `body` against sources started with the test key and `options`, and closes them whatever happens. */
async function withSources(
  options: Omit<SourcesOptions, 'enrichmentApiKey'>,
  body: (sources: RunningSources) => Promise<void>,
): Promise<void> {
  const sources = await startSources({ enrichmentApiKey: KEY, ...options });
  try {
    await body(sources);
  } finally {
    await sources.close();
  }
}

describe('the enrichment APIs', () => {
  let sources: RunningSources;
  beforeAll(async () => {
    sources = await startSources({ seed: 42, enrichmentApiKey: KEY, enrichmentRateLimit: 1000 });
  });
  afterAll(() => sources.close());

  it('serves a country window page by page, ordered by date then id, as the truth has it', async () => {
    const truth = sources.world.concertsTruth(RUN_DATE, ['US'], 30);
    const served: ConcertEvent[] = [];
    for (let page = 0; ; page++) {
      const { status, body } = await getJson<EventsPage>(eventsUrl(sources, { page, size: 25 }));
      expect(status).toBe(200);
      expect(body.page).toEqual({
        size: 25,
        totalElements: truth.events.length,
        totalPages: Math.ceil(truth.events.length / 25),
        number: page,
      });
      served.push(...(body._embedded?.events ?? []));
      if (page + 1 >= body.page.totalPages) break;
    }
    expect(served).toEqual(truth.events.map(({ country_code: _country, ...event }) => event));
    const keys = served.map((event) => `${event.dates.start.localDate} ${event.id}`);
    expect(keys).toEqual([...keys].sort());
  });

  it('answers a country without concerts without _embedded, and refuses paging past 1,000 results', async () => {
    const empty = await getJson<EventsPage>(eventsUrl(sources, { countryCode: 'AQ', page: 0, size: 200 }));
    expect(empty.body).toEqual({ page: { size: 200, totalElements: 0, totalPages: 0, number: 0 } });
    const deep = await getJson<{ errors: { code: string }[] }>(eventsUrl(sources, { page: 5, size: 200 }));
    expect(deep.status).toBe(400);
    expect(deep.body.errors[0].code).toBe('DIS1035');
    expect((await getJson(eventsUrl(sources, { page: 4, size: 200 }))).status).toBe(200);
    expect((await getJson(eventsUrl(sources, { page: 0, size: 201 }))).status).toBe(400);
  });

  it('refuses a bad or missing key: 401 for concerts, error 10 inside a 200 for statistics', async () => {
    const concerts = await getJson<{ fault: { detail: { errorcode: string } } }>(
      eventsUrl(sources, { apikey: 'nope' }),
    );
    expect(concerts.status).toBe(401);
    expect(concerts.body.fault.detail.errorcode).toBe('oauth.v2.InvalidApiKey');
    const missing = await rawGet(eventsUrl(sources, {}).replace(`apikey=${KEY}&`, ''));
    expect(missing.status).toBe(401);
    const stats = await getJson<{ error: number }>(
      statsUrl(sources, { method: 'artist.getinfo', artist: 'x', api_key: '' }),
    );
    expect(stats).toMatchObject({ status: 200, body: { error: 10 } });
  });

  it('answers artist.getinfo by mbid and by name (any case), error 6 for the unknown', async () => {
    const truth = sources.world.artistStatsTruth();
    const byMbid = truth.find((one) => one.found && one.lookup === 'mbid')!;
    const onlyByName = truth.find((one) => one.found && one.lookup === 'name' && one.artist_mbid !== null)!;
    const unknown = truth.find((one) => !one.found)!;

    const mbid = await getJson<{ artist: unknown }>(
      statsUrl(sources, { method: 'artist.getinfo', mbid: byMbid.artist_mbid! }),
    );
    expect(mbid.body.artist).toEqual(byMbid.response);
    const stats = byMbid.response!.stats;
    expect(stats.listeners).toMatch(/^\d+$/);
    expect(stats.playcount).toMatch(/^\d+$/);

    const mbidUnknown = await getJson(
      statsUrl(sources, { method: 'artist.getinfo', mbid: onlyByName.artist_mbid! }),
    );
    expect(mbidUnknown.body).toMatchObject({ error: 6 });
    const byName = await getJson<{ artist: unknown }>(
      statsUrl(sources, { method: 'artist.getinfo', artist: onlyByName.artist_name.toUpperCase() }),
    );
    expect(byName.body.artist).toEqual(onlyByName.response);

    const unknownQueries: Record<string, string>[] = [
      { mbid: unknown.artist_mbid ?? 'ffffffff-0000-4000-8000-000000000000' },
      { artist: unknown.artist_name },
    ];
    for (const query of unknownQueries) {
      expect((await getJson(statsUrl(sources, { method: 'artist.getinfo', ...query }))).body).toMatchObject({
        error: 6,
      });
    }
  });

  it('pages geo.gettopartists with @attr, by listeners', async () => {
    const first = await getJson<{
      topartists: { artist: { listeners: string }[]; '@attr': Record<string, string> };
    }>(statsUrl(sources, { method: 'geo.gettopartists', country: 'Germany', page: '1', limit: '5' }));
    const attr = first.body.topartists['@attr'];
    expect(attr).toMatchObject({ country: 'Germany', page: '1', perPage: '5' });
    expect(Number(attr.totalPages)).toBe(Math.ceil(Number(attr.total) / 5));
    const listeners = first.body.topartists.artist.map((artist) => Number(artist.listeners));
    expect(listeners).toEqual([...listeners].sort((a, b) => b - a));
    expect(
      (await getJson(statsUrl(sources, { method: 'geo.gettopartists', country: 'Atlantis' }))).body,
    ).toMatchObject({
      error: 6,
    });
  });
});

describe('the enrichment APIs rate limit and faults', () => {
  it('limits each key to the rate per second: 429 with Retry-After for concerts, error 29 for statistics', () =>
    withSources({ seed: 1, enrichmentRateLimit: 5 }, async (sources) => {
      const concerts = await Promise.all(
        Array.from({ length: 12 }, () => getJson<unknown>(eventsUrl(sources, { size: 1 }))),
      );
      const limited = concerts.filter((answer) => answer.status === 429);
      expect(limited.length).toBeGreaterThan(0);
      expect(limited[0].retryAfter).toBe('1');
      expect(limited[0].body).toMatchObject({
        fault: { detail: { errorcode: 'policies.ratelimit.QuotaViolation' } },
      });
      const stats = await Promise.all(
        Array.from({ length: 12 }, () =>
          getJson<unknown>(statsUrl(sources, { method: 'artist.getinfo', artist: 'x' })),
        ),
      );
      expect(
        stats.some((answer) => answer.status === 200 && (answer.body as { error?: number }).error === 29),
      ).toBe(true);
    }));

  it('injects faults in episodes of at most 4 failed answers, each followed by a good one', () =>
    withSources(
      {
        seed: 2,

        enrichmentRateLimit: 1000,
        enrichmentFaultRate: 0.9,
        insertedEvents: false,
        slowResponseMs: 1,
      },
      async (sources) => {
        const statuses: number[] = [];
        for (let i = 0; i < 120; i++) statuses.push((await getJson(eventsUrl(sources, { size: 1 }))).status);
        const runs = statuses
          .join(',')
          .split(/,?200,?/)
          .filter(Boolean)
          .map((run) => run.split(',').length);
        expect(Math.max(...runs)).toBeLessThanOrEqual(4);
        expect(statuses.join(',')).toContain('429,429');
        expect(statuses).toContain(503);
      },
    ));

  it('adds an event between two pages: missing from the first read of page 0, shifting the later pages', () =>
    withSources(
      {
        seed: 42,

        enrichmentRateLimit: 1000,
        insertedEvents: true,
      },
      async (sources) => {
        const all = sources.world.enrichment.concerts;
        const late = [...all.eventsBetween('US', 18336, 18365)].filter((one) => one.lateListed);
        expect(late.length).toBeGreaterThan(0);
        const first = await getJson<EventsPage>(eventsUrl(sources, { page: 0, size: 10 }));
        const second = await getJson<EventsPage>(eventsUrl(sources, { page: 1, size: 10 }));
        const again = await getJson<EventsPage>(eventsUrl(sources, { page: 0, size: 10 }));
        expect(first.body.page.totalElements).toBe(second.body.page.totalElements - late.length);
        expect(again.body.page.totalElements).toBe(second.body.page.totalElements);
        const firstIds = first.body._embedded!.events.map((event) => event.id);
        expect(firstIds).not.toContain(late[0].event.id);
        const report = (await (await fetch(`${sources.apiUrl}/_faults/enrichment`)).json()) as {
          shifted_listings: number;
        };
        expect(report.shifted_listings).toBe(1);
      },
    ));
});

describe('the simulated concerts and statistics', () => {
  it('are deterministic per seed and scale, a few dozen events per country over 30 days at tiny', () => {
    const countries = ['US', 'GB', 'DE', 'FR', 'BR'];
    const one = new SimulatedWorld({ seed: 9 }).concertsTruth(RUN_DATE, countries, 30);
    const two = new SimulatedWorld({ seed: 9 }).concertsTruth(RUN_DATE, countries, 30);
    expect(two).toEqual(one);
    for (const country of one.countries) {
      expect(country.events).toBeGreaterThanOrEqual(20);
      expect(country.events).toBeLessThan(200);
    }
    expect(new SimulatedWorld({ seed: 10 }).concertsTruth(RUN_DATE, countries, 30)).not.toEqual(one);
  });

  it('mixes attractions: catalog artists with and without their mbid, respelled names, unknown artists', () => {
    const world = new SimulatedWorld({ seed: 42 });
    const catalog = new Map<string, { artist_mbid: string | null }>();
    for (const song of world.catalog.songs()) catalog.set(song.artist_name!, song);
    const attractions = world
      .concertsTruth(RUN_DATE, ['US', 'GB', 'DE', 'FR', 'BR'], 30)
      .events.flatMap((event) => event._embedded.attractions);
    const normalize = (name: string) =>
      name
        .normalize('NFD')
        .replace(/[\u0300-\u036f]/g, '')
        .toLowerCase()
        .replace(/^the /, '');
    const catalogByNormal = new Map([...catalog.keys()].map((name) => [normalize(name), name]));
    const exact = attractions.filter((a) => catalog.has(a.name));
    const respelled = attractions.filter(
      (a) => !catalog.has(a.name) && catalogByNormal.has(normalize(a.name)),
    );
    const unknown = attractions.filter((a) => !catalogByNormal.has(normalize(a.name)));
    expect(exact.some((a) => a.externalLinks?.musicbrainz[0].id)).toBe(true);
    expect(exact.some((a) => a.externalLinks === undefined)).toBe(true);
    expect(respelled.length).toBeGreaterThan(0);
    expect(unknown.length).toBeGreaterThan(0);
    expect(unknown.length).toBeLessThan(attractions.length / 2);
    for (const event of world.concertsTruth(RUN_DATE, ['US'], 30).events) {
      const ids = event._embedded.attractions.map((a) => a.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids.length).toBeGreaterThanOrEqual(1);
      expect(ids.length).toBeLessThanOrEqual(3);
    }
  });

  it('has a country whose 30-day window exceeds 1,000 events at small (so the extract splits it)', () => {
    const small = new SimulatedWorld({ scale: 'small' });
    expect(small.enrichment.concerts.meanEventsPerDay('US') * 30).toBeGreaterThan(1500);
    expect(small.enrichment.concerts.meanEventsPerDay('US')).toBeLessThan(1000 / 2);
  });
});
