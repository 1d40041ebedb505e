/** The shared pieces of the enrichment extracts: key masking, the pacer, the settings schema. */
import { maskApiKeys } from '../../lambdas/shared/api-key';
import { parseEnrichmentSettings } from '../../lambdas/shared/enrichment-settings';
import { TokenBucket } from '../../lambdas/shared/pacer';

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
