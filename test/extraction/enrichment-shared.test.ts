/**
 * The shared pieces of the enrichment extracts: key masking, the pacer, the settings schema, and the
 * client's handling of answers the simulator does not give (scripted at the network level).
 */
import { maskApiKeys } from '../../lambdas/shared/api-key';
import { parseEnrichmentSettings } from '../../lambdas/shared/enrichment-settings';
import { TokenBucket } from '../../lambdas/shared/pacer';
import type { FetchLike } from '../../lambdas/shared/http';
import { ApiAnswerError, ApiRequestFailedError, KeyedApiClient } from '../../lambdas/shared/keyed-api-client';
import { judgeConcertsAnswer } from '../../lambdas/extract-concerts/extract-concerts';
import { judgeArtistAnswer } from '../../lambdas/extract-artist-stats/extract-artist-stats';
import { failureOf, noSleep, scriptedFetch, type FakeResponse } from './helpers';

describe('maskApiKeys', () => {
  it('masks apikey and api_key values wherever they are in the query, and nothing else', () => {
    expect(maskApiKeys('https://app.ticketmaster.com/discovery/v2/events.json?apikey=abc123&page=2')).toBe(
      'https://app.ticketmaster.com/discovery/v2/events.json?apikey=***&page=2',
    );
    expect(
      maskApiKeys('https://ws.audioscrobbler.com/2.0/?method=artist.getinfo&API_KEY=k-9&format=json'),
    ).toBe('https://ws.audioscrobbler.com/2.0/?method=artist.getinfo&API_KEY=***&format=json');
    expect(maskApiKeys('failed: GET http://h/x?a=1&api_key=s3cr3t')).toBe(
      'failed: GET http://h/x?a=1&api_key=***',
    );
    expect(maskApiKeys('http://h/x?monkey=1&apikeyx=2')).toBe('http://h/x?monkey=1&apikeyx=2');
  });
});

describe('TokenBucket', () => {
  it('gives each request a slot 1000 / rate ms after the previous one, and none to an idle caller', async () => {
    let clock = 0;
    const waits: number[] = [];
    const bucket = new TokenBucket({
      ratePerSecond: 4,
      now: () => clock,
      sleep: async (ms) => {
        waits.push(ms);
        clock += ms;
      },
    });
    for (let i = 0; i < 4; i++) await bucket.acquire();
    expect(waits).toEqual([250, 250, 250]);
    clock += 10_000;
    await bucket.acquire();
    expect(waits).toHaveLength(3);
    // Two callers at once: the second goes a full interval after the first.
    const before = clock;
    await Promise.all([bucket.acquire(), bucket.acquire()]);
    expect(clock - before).toBe(500);
  });

  it('refuses a rate that is not a positive number', () => {
    expect(() => new TokenBucket({ ratePerSecond: 0 })).toThrow(/positive number; got 0/);
  });
});

describe('enrichment settings', () => {
  it('takes the contract dev values for whatever is left out', () => {
    expect(parseEnrichmentSettings({})).toEqual({
      countries: ['US', 'GB', 'DE', 'FR', 'BR'],
      concertHorizonDays: 30,
      requestsPerSecond: 4,
      dailyRequestBudget: { concerts: 4000, artistStats: 2000 },
    });
    expect(parseEnrichmentSettings({ dailyRequestBudget: { concerts: 10 } }).dailyRequestBudget).toEqual({
      concerts: 10,
      artistStats: 2000,
    });
  });

  it('names each bad field and where the settings came from', () => {
    expect(() =>
      parseEnrichmentSettings(
        { countries: ['US', 'US'], concertHorizonDays: 0 },
        'cdk.json enrichment (dev)',
      ),
    ).toThrow(
      /^Invalid cdk.json enrichment \(dev\): countries: must not repeat a country; concertHorizonDays: /,
    );
  });
});

describe('KeyedApiClient with the extracts judges', () => {
  const client = (fetchFn: FetchLike) =>
    new KeyedApiClient({
      api: 'test',
      requestsPerSecond: 1000,
      budget: 10,
      fetch: fetchFn,
      sleep: noSleep,
      retryPolicy: { maxAttempts: 4 },
    });
  const json = (status: number, body: unknown): FakeResponse => ({ status, chunks: [JSON.stringify(body)] });
  const URL_WITH_KEY = 'http://127.0.0.1:9/discovery/v2/events.json?apikey=TOPSECRET&page=0';

  it('fails at once on a 4xx that is not about the key or the rate, with the API words and no key', async () => {
    const fetchFn = scriptedFetch([
      json(400, { errors: [{ code: 'DIS1035', detail: 'Max paging depth exceeded' }] }),
    ]);
    const error = await failureOf(
      client(fetchFn).get(URL_WITH_KEY, judgeConcertsAnswer(maskApiKeys(URL_WITH_KEY))),
    );
    expect(error).toBeInstanceOf(ApiAnswerError);
    expect(error.message).toMatch(
      /answered HTTP 400 to .*apikey=\*\*\*.*: DIS1035 Max paging depth exceeded/,
    );
    expect(fetchFn.calls).toHaveLength(1);
  });

  it('retries a body that is not JSON and a 503, then takes the page', async () => {
    const page = { page: { size: 1, totalElements: 0, totalPages: 0, number: 0 } };
    const fetchFn = scriptedFetch([{ status: 200, chunks: ['<html>'] }, json(503, {}), json(200, page)]);
    const answer = await client(fetchFn).get(URL_WITH_KEY, judgeConcertsAnswer(maskApiKeys(URL_WITH_KEY)));
    expect(answer).toEqual(page);
    expect(fetchFn.calls).toHaveLength(3);
  });

  it('retries the statistics API temporary error codes, fails at once on the others', async () => {
    const retried = scriptedFetch([
      json(200, { error: 16, message: 'try later' }),
      json(200, { artist: { name: 'A' } }),
    ]);
    expect(await client(retried).get(URL_WITH_KEY, judgeArtistAnswer('u'))).toEqual({ name: 'A' });
    const refused = scriptedFetch([json(200, { error: 3, message: 'Invalid Method' })]);
    const error = await failureOf(client(refused).get(URL_WITH_KEY, judgeArtistAnswer('u')));
    expect(error).toBeInstanceOf(ApiAnswerError);
    expect(error.message).toMatch(/answered error 3 to u: Invalid Method/);
    expect(refused.calls).toHaveLength(1);
  });

  it('reports a request that kept failing with the key masked, even in the transport error', async () => {
    const fetchFn = scriptedFetch([{ reject: new TypeError(`Failed to parse URL from ${URL_WITH_KEY}`) }]);
    const error = await failureOf(client(fetchFn).get(URL_WITH_KEY, judgeConcertsAnswer('masked')));
    expect(error).toBeInstanceOf(ApiRequestFailedError);
    expect(error.message).not.toContain('TOPSECRET');
    expect(error.message).toMatch(
      /failed after 1 attempt: Failed to parse URL .*apikey=\*\*\*.*configuration error/,
    );
  });
});
