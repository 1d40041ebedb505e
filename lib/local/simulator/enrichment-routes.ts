/**
 * The enrichment APIs, served by the API simulator beside the DeFtunes API (docs/artist-enrichment.md):
 * `GET /discovery/v2/events.json` (concerts, Ticketmaster shaped) and `GET /2.0/?method=artist.getinfo|
 * geo.gettopartists` (artist statistics, Last.fm shaped). Both take one API key, limit each key to
 * `rateLimit` requests per second (429 + Retry-After / `{error: 29}` in a 200), and inject faults: bursts
 * of rate-limit answers, slow answers, 503s, and "an event added between two pages" (an event missing
 * from a listing's first page appears on its later pages, shifting them).
 * Also `GET /_truth/concerts?run_date&countries&horizon_days`, `GET /_truth/artist_stats`,
 * `GET /_faults/enrichment`.
 */
import type { ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { EnrichmentWorld } from './enrichment';
import { Rng, mix, tag } from './random';
import { InvalidDateError, parseDay } from './time';

export const DEFAULT_ENRICHMENT_API_KEY = 'deftunes-local-key';
export const DEFAULT_ENRICHMENT_RATE_LIMIT = 5;

export interface EnrichmentServerOptions {
  /** The one valid key of both APIs. @default DEFAULT_ENRICHMENT_API_KEY */
  apiKey?: string;
  /** Requests per second per key and API before rate-limit answers. @default 5 */
  rateLimit?: number;
  /** Fraction of requests that start a fault (a rate-limit burst, a slow answer, a 503). @default 0 */
  faultRate?: number;
  /** Hide late-listed events from a listing's first page (they appear on later pages). @default faultRate > 0 */
  insertedEvents?: boolean;
  /** Delay of a slow answer. @default 3000 */
  slowResponseMs?: number;
}

export const ENRICHMENT_FAULT_KINDS = ['rate_limit_burst', 'slow', 'http_503'] as const;
export type EnrichmentFaultKind = (typeof ENRICHMENT_FAULT_KINDS)[number];
type EnrichmentApi = 'concerts' | 'artist_stats';

const CONCERTS_PATH = '/discovery/v2/events.json';
const STATS_PATHS = new Set(['/2.0/', '/2.0']);
const ROUTES = new Set([
  CONCERTS_PATH,
  ...STATS_PATHS,
  '/_truth/concerts',
  '/_truth/artist_stats',
  '/_faults/enrichment',
]);
const DATE_TIME = /^(\d{4}-\d{2}-\d{2})T\d{2}:\d{2}:\d{2}Z$/;
const MAX_DEPTH = 1000;
const MAX_SIZE = 200;

const RATE_LIMIT_FAULT = {
  fault: {
    faultstring: 'Rate limit quota violation. Quota limit exceeded',
    detail: { errorcode: 'policies.ratelimit.QuotaViolation' },
  },
};
const INVALID_KEY_FAULT = {
  fault: { faultstring: 'Invalid ApiKey', detail: { errorcode: 'oauth.v2.InvalidApiKey' } },
};
const LASTFM_RATE_LIMIT = {
  error: 29,
  message: 'Rate Limit Exceeded - Your IP has made too many requests in a short period',
};
const LASTFM_BAD_KEY = { error: 10, message: 'Invalid API key - You must be granted a valid key by last.fm' };
const LASTFM_NOT_FOUND = { error: 6, message: 'The artist you supplied could not be found', links: [] };

class BadParameter extends Error {}

export interface EnrichmentFaultReport {
  fault_rate: number;
  inserted_events: boolean;
  requests: Record<EnrichmentApi, number>;
  rate_limited: Record<EnrichmentApi, number>;
  faults: Partial<Record<`${EnrichmentApi}.${EnrichmentFaultKind}`, number>>;
  /** Listings whose first page was served without their late-listed events. */
  shifted_listings: number;
}

export class EnrichmentRoutes {
  readonly apiKey: string;
  readonly rateLimit: number;
  readonly faultRate: number;
  readonly insertedEvents: boolean;
  private readonly slowResponseMs: number;
  /** Arrival times (ms) of the accepted requests of the last second, per API and key. */
  private readonly recent = new Map<string, number[]>();
  private readonly rngs: Record<EnrichmentApi, Rng>;
  private readonly burst: Record<EnrichmentApi, number> = { concerts: 0, artist_stats: 0 };
  /** The last request of `api` failed by a fault: the next one after the burst is answered. */
  private readonly recovering: Record<EnrichmentApi, boolean> = { concerts: false, artist_stats: false };
  private readonly openedListings = new Set<string>();
  private readonly counts: EnrichmentFaultReport;

  constructor(
    private readonly world: EnrichmentWorld,
    seed: number,
    options: EnrichmentServerOptions = {},
  ) {
    this.apiKey = options.apiKey ?? DEFAULT_ENRICHMENT_API_KEY;
    if (this.apiKey.trim() === '' || /[\s&=]/.test(this.apiKey)) {
      throw new Error('the enrichment API key must be non-empty, without spaces, "&" or "="');
    }
    this.rateLimit = options.rateLimit ?? DEFAULT_ENRICHMENT_RATE_LIMIT;
    if (!Number.isInteger(this.rateLimit) || this.rateLimit < 1) {
      throw new Error(
        `the enrichment rate limit must be a whole number of requests per second >= 1; got ${this.rateLimit}`,
      );
    }
    this.faultRate = options.faultRate ?? 0;
    this.insertedEvents = options.insertedEvents ?? this.faultRate > 0;
    this.slowResponseMs = options.slowResponseMs ?? 3000;
    this.rngs = {
      concerts: new Rng(mix(seed, tag('concerts-faults'))),
      artist_stats: new Rng(mix(seed, tag('artist-stats-faults'))),
    };
    this.counts = {
      fault_rate: this.faultRate,
      inserted_events: this.insertedEvents,
      requests: { concerts: 0, artist_stats: 0 },
      rate_limited: { concerts: 0, artist_stats: 0 },
      faults: {},
      shifted_listings: 0,
    };
  }

  handles(pathname: string): boolean {
    return ROUTES.has(pathname);
  }

  report(): EnrichmentFaultReport {
    return structuredClone(this.counts);
  }

  async handle(res: ServerResponse, url: URL): Promise<void> {
    const params = url.searchParams;
    try {
      switch (url.pathname) {
        case '/_truth/concerts':
          return sendJson(
            res,
            200,
            this.world.concertsTruth(
              required(params, 'run_date'),
              required(params, 'countries').split(','),
              Number(params.get('horizon_days') ?? '30'),
            ),
          );
        case '/_truth/artist_stats':
          return sendJson(res, 200, this.world.artistStatsTruth());
        case '/_faults/enrichment':
          return sendJson(res, 200, this.report());
        case CONCERTS_PATH:
          return await this.concerts(res, params);
        default:
          return await this.artistStats(res, params);
      }
    } catch (error) {
      if (error instanceof BadParameter || error instanceof InvalidDateError) {
        return sendJson(res, 400, { errors: [{ code: 'DIS1015', detail: error.message }] });
      }
      throw error;
    }
  }

  private async concerts(res: ServerResponse, params: URLSearchParams): Promise<void> {
    this.counts.requests.concerts++;
    const key = params.get('apikey');
    if (key !== this.apiKey) return sendJson(res, 401, INVALID_KEY_FAULT);
    if (!this.admit('concerts', key)) {
      res.setHeader('retry-after', '1');
      return sendJson(res, 429, RATE_LIMIT_FAULT);
    }
    const fault = this.nextFault('concerts');
    if (fault === 'rate_limit_burst') {
      res.setHeader('retry-after', '1');
      return sendJson(res, 429, RATE_LIMIT_FAULT);
    }
    if (fault === 'http_503') return sendJson(res, 503, { fault: { faultstring: 'Service Unavailable' } });
    if (fault === 'slow') await sleep(this.slowResponseMs);

    const country = required(params, 'countryCode');
    if (!/^[A-Z]{2}$/.test(country))
      throw new BadParameter(`countryCode must be ISO 3166-1 alpha-2; got ${country}`);
    const startDay = dayOf(params, 'startDateTime');
    const endDay = dayOf(params, 'endDateTime');
    const page = wholeNumber(params, 'page', 0);
    const size = wholeNumber(params, 'size', 20);
    if (size < 1 || size > MAX_SIZE) throw new BadParameter(`size must be in [1, ${MAX_SIZE}]; got ${size}`);
    if ((page + 1) * size > MAX_DEPTH) {
      return sendJson(res, 400, {
        errors: [
          {
            code: 'DIS1035',
            detail: 'API Limits Exceeded: Max paging depth exceeded. (page * size) must be less than 1,000',
          },
        ],
      });
    }
    let listed = [...this.world.concerts.eventsBetween(country, startDay, endDay)];
    const listing = [key, country, startDay, endDay, size, params.get('classificationName')].join('|');
    if (this.insertedEvents && page === 0 && !this.openedListings.has(listing)) {
      this.openedListings.add(listing);
      const before = listed.length;
      listed = listed.filter((one) => !one.lateListed);
      if (listed.length < before) this.counts.shifted_listings++;
    }
    const events = listed.slice(page * size, (page + 1) * size).map((one) => one.event);
    sendJson(res, 200, {
      ...(events.length > 0 ? { _embedded: { events } } : {}),
      page: {
        size,
        totalElements: listed.length,
        totalPages: Math.ceil(listed.length / size),
        number: page,
      },
    });
  }

  private async artistStats(res: ServerResponse, params: URLSearchParams): Promise<void> {
    this.counts.requests.artist_stats++;
    const key = params.get('api_key');
    if (key !== this.apiKey) return sendJson(res, 200, LASTFM_BAD_KEY);
    if (!this.admit('artist_stats', key)) return sendJson(res, 200, LASTFM_RATE_LIMIT);
    const fault = this.nextFault('artist_stats');
    if (fault === 'rate_limit_burst') return sendJson(res, 200, LASTFM_RATE_LIMIT);
    if (fault === 'http_503')
      return sendJson(res, 503, { error: 16, message: 'Service temporarily unavailable' });
    if (fault === 'slow') await sleep(this.slowResponseMs);

    const stats = this.world.artistStats;
    switch (params.get('method')?.toLowerCase()) {
      case 'artist.getinfo': {
        const mbid = params.get('mbid');
        const name = params.get('artist');
        const found = mbid ? stats.byMbidLookup(mbid) : name ? stats.byNameLookup(name) : undefined;
        return sendJson(res, 200, found ? { artist: found } : LASTFM_NOT_FOUND);
      }
      case 'geo.gettopartists': {
        const page = wholeNumber(params, 'page', 1);
        const limit = wholeNumber(params, 'limit', 50);
        if (page < 1 || limit < 1 || limit > 1000) {
          return sendJson(res, 200, {
            error: 6,
            message: 'Invalid parameters: page >= 1, limit in [1, 1000]',
          });
        }
        const top = stats.topArtists(params.get('country') ?? '', page, limit);
        return sendJson(res, 200, top ?? { error: 6, message: 'country param invalid' });
      }
      default:
        return sendJson(res, 200, {
          error: 3,
          message: 'Invalid Method - No method with that name in this package',
        });
    }
  }

  /** Sliding one-second window per API and key; a refused request does not count. */
  private admit(api: EnrichmentApi, key: string): boolean {
    const now = Date.now();
    const id = `${api}|${key}`;
    const times = (this.recent.get(id) ?? []).filter((time) => now - time < 1000);
    const admitted = times.length < this.rateLimit;
    if (admitted) times.push(now);
    else this.counts.rate_limited[api]++;
    this.recent.set(id, times);
    return admitted;
  }

  /**
   * The fault of the next request of `api`: a burst goes on for 1-3 more requests once started, and an
   * episode (one failure or a burst) is always followed by one good answer. Failures in a row are so
   * bounded (4), as a real API's bad moments are: a client that retries 5 times always gets through, so
   * "every event lands whatever the faults" holds on runs of thousands of requests, not most of them.
   */
  private nextFault(api: EnrichmentApi): EnrichmentFaultKind | undefined {
    const rng = this.rngs[api];
    const roll = rng.next();
    const kind = ENRICHMENT_FAULT_KINDS[Math.floor(rng.next() * ENRICHMENT_FAULT_KINDS.length)];
    const length = rng.int(1, 3);
    let fault: EnrichmentFaultKind | undefined;
    if (this.burst[api] > 0) {
      this.burst[api]--;
      fault = 'rate_limit_burst';
    } else if (this.recovering[api]) {
      this.recovering[api] = false;
    } else if (roll < this.faultRate) {
      fault = kind;
      if (kind === 'rate_limit_burst') this.burst[api] = length;
    }
    if (fault) {
      this.recovering[api] = true;
      const counter = `${api}.${fault}` as const;
      this.counts.faults[counter] = (this.counts.faults[counter] ?? 0) + 1;
    }
    return fault;
  }
}

function required(params: URLSearchParams, name: string): string {
  const value = params.get(name);
  if (value === null || value === '') throw new BadParameter(`${name} is required`);
  return value;
}

function dayOf(params: URLSearchParams, name: string): number {
  const value = required(params, name);
  const match = DATE_TIME.exec(value);
  if (!match) throw new BadParameter(`${name} must be YYYY-MM-DDTHH:mm:ssZ; got ${value}`);
  return parseDay(match[1], name);
}

function wholeNumber(params: URLSearchParams, name: string, fallback: number): number {
  const value = params.get(name);
  if (value === null || value === '') return fallback;
  if (!/^\d{1,6}$/.test(value)) throw new BadParameter(`${name} must be a whole number; got ${value}`);
  return Number(value);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  if (res.destroyed) return;
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}
