/**
 * Extracts the upcoming concerts of a run date (docs/artist-enrichment.md, "Extraction"): for each
 * configured country, the window [D+1, D+horizon] of the Ticketmaster-shaped concerts API, split in halves
 * while a window holds more events than the API pages (1,000), each window paged to its last page. An
 * event served twice within a window (an event added between two pages shifts the later pages) lands once,
 * the later copy quarantined as `duplicate`; when a window's distinct events do not match its last
 * `totalElements`, the window is read again (at most 3 reads). Events land exactly as served.
 */
import * as z from '../shared/zod';
import { InvalidApiKeyError, maskApiKeys } from '../shared/api-key';
import { describeIssues } from '../shared/contracts';
import {
  landEnrichmentExtract,
  startEnrichmentRun,
  type EnrichmentExtractDeps,
} from '../shared/enrichment-extract';
import {
  ApiAnswerError,
  type AnswerVerdict,
  type ApiAnswer,
  type KeyedApiClient,
} from '../shared/keyed-api-client';
import type { ExtractResult, LandingManifest } from '../shared/landing-manifest';
import type { SourceRecord } from '../shared/landing-writer';
import type { Logger } from '../shared/logging';

export { EnrichmentEventSchema as ExtractConcertsEventSchema } from '../shared/enrichment-extract';

export interface ExtractConcertsDeps extends EnrichmentExtractDeps {
  /** Events per page. @default 200 (the API's maximum) */
  readonly pageSize?: number;
}

/** The API pages at most this many results of one query (`(page + 1) * size <= 1000`). */
export const MAX_PAGING_DEPTH = 1000;
export const MAX_PAGE_SIZE = 200;
/** Reads of one window before the extract gives up on its count matching. */
export const MAX_WINDOW_READS = 3;
const API = 'concerts';
const DAY_MS = 86_400_000;

export const ConcertsPageSchema = z.object({
  _embedded: z.optional(z.object({ events: z.array(z.unknown()) })),
  page: z.object({
    size: z.number().check(z.int(), z.nonnegative()),
    totalElements: z.number().check(z.int(), z.nonnegative()),
    totalPages: z.number().check(z.int(), z.nonnegative()),
    number: z.number().check(z.int(), z.nonnegative()),
  }),
});
export type ConcertsPage = z.infer<typeof ConcertsPageSchema>;

export type ConcertWindow = NonNullable<LandingManifest['windows']>[number];

/** A window whose one day holds more events than the API pages: splitting cannot help. */
export class WindowTooLargeError extends Error {
  constructor(country: string, day: string, total: number) {
    super(
      `Concerts of ${country} on ${day} number ${total}, more than the concerts API pages (${MAX_PAGING_DEPTH}) ` +
        'for one query, and a day cannot be split further',
    );
    this.name = 'WindowTooLargeError';
  }
}

/** A window whose distinct events never matched its `totalElements`. */
export class WindowIncompleteError extends Error {
  constructor(
    window: { country_code: string; start_date: string; end_date: string },
    distinct: number,
    total: number,
  ) {
    super(
      `Concerts of ${window.country_code} from ${window.start_date} to ${window.end_date}: ${distinct} distinct events ` +
        `after ${MAX_WINDOW_READS} reads, the API's totalElements says ${total}; the listing kept changing`,
    );
    this.name = 'WindowIncompleteError';
  }
}

const dayString = (day: number) => new Date(day * DAY_MS).toISOString().slice(0, 10);

export interface ConcertsQuery {
  readonly countryCode: string;
  readonly startDay: number;
  readonly endDay: number;
  readonly page: number;
  readonly size: number;
}

export function concertsUrl(baseUrl: string, apiKey: string, query: ConcertsQuery): string {
  const url = new URL('discovery/v2/events.json', baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
  url.searchParams.set('apikey', apiKey);
  url.searchParams.set('classificationName', 'music');
  url.searchParams.set('countryCode', query.countryCode);
  url.searchParams.set('startDateTime', `${dayString(query.startDay)}T00:00:00Z`);
  url.searchParams.set('endDateTime', `${dayString(query.endDay)}T23:59:59Z`);
  url.searchParams.set('page', String(query.page));
  url.searchParams.set('size', String(query.size));
  return url.toString();
}

/** 200 with a page; 401/403 a bad key; 408, 429 and 5xx transient; anything else final. */
export function judgeConcertsAnswer(maskedUrl: string): (answer: ApiAnswer) => AnswerVerdict<ConcertsPage> {
  return ({ status, body, retryAfterMs }) => {
    if (status === 200) {
      if (body === undefined) return { retry: 'HTTP 200 with a body that is not JSON' };
      const parsed = ConcertsPageSchema.safeParse(body);
      if (parsed.success) return { ok: parsed.data };
      return {
        fail: new ApiAnswerError(
          API,
          maskedUrl,
          'HTTP 200',
          `not a page of events: ${describeIssues(parsed.error)}`,
        ),
      };
    }
    if (status === 401 || status === 403)
      return { fail: new InvalidApiKeyError(API, `HTTP ${status}`, maskedUrl) };
    if (status === 408 || status === 429 || status >= 500) return { retry: `HTTP ${status}`, retryAfterMs };
    return { fail: new ApiAnswerError(API, maskedUrl, `HTTP ${status}`, problemOf(body)) };
  };
}

/** The API's own words: `errors[0]` (code, detail) or `fault.faultstring`. */
function problemOf(body: unknown): string {
  const errors = (body as { errors?: { code?: unknown; detail?: unknown }[] } | undefined)?.errors;
  if (Array.isArray(errors) && errors.length > 0)
    return `${String(errors[0].code)} ${String(errors[0].detail)}`;
  const fault = (body as { fault?: { faultstring?: unknown } } | undefined)?.fault;
  return fault ? String(fault.faultstring) : JSON.stringify(body ?? null).slice(0, 200);
}

interface WindowRead {
  readonly totalElements: number;
  readonly pages: number;
  readonly events: unknown[];
  readonly duplicates: { record: unknown; reason: string }[];
  readonly invalid: { record: unknown; reason: string }[];
  /** A page said the window holds more events than the API pages: it must be split. */
  readonly tooLarge?: boolean;
}

/** What reading a country's window gives: each final window and the records it lands or quarantines. */
export interface ReadWindow {
  readonly window: ConcertWindow;
  readonly events: unknown[];
  readonly rejected: { record: unknown; reason: string }[];
}

export class ConcertsReader {
  private readonly size: number;
  private readonly depth: number;

  constructor(
    private readonly client: KeyedApiClient,
    private readonly baseUrl: string,
    private readonly apiKey: string,
    pageSize: number,
    private readonly logger?: Logger,
  ) {
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
      throw new Error(
        `the concerts page size must be a whole number in [1, ${MAX_PAGE_SIZE}]; got ${pageSize}`,
      );
    }
    this.size = pageSize;
    // The results the API pages with this size: the last page must end at or before the depth limit.
    this.depth = Math.floor(MAX_PAGING_DEPTH / pageSize) * pageSize;
  }

  /** The windows of [startDay, endDay] in date order, split until each is within the paging depth. */
  async *windows(countryCode: string, startDay: number, endDay: number): AsyncGenerator<ReadWindow> {
    const where = { country_code: countryCode, start_date: dayString(startDay), end_date: dayString(endDay) };
    const rejected: ReadWindow['rejected'] = [];
    let last: WindowRead | undefined;
    for (let read = 1; read <= MAX_WINDOW_READS; read++) {
      last = await this.readOnce(countryCode, startDay, endDay);
      if (last.tooLarge) break;
      // Copies served twice within any read are quarantined; the events land from the read that matched.
      rejected.push(...last.duplicates);
      // An event without an id is served (and quarantined) but cannot be told apart: it still counts.
      if (last.events.length + last.invalid.length === last.totalElements) {
        rejected.push(...last.invalid);
        const window = {
          ...where,
          total_elements: last.totalElements,
          pages: last.pages,
          records: last.events.length,
          reads: read,
        };
        yield { window, events: last.events, rejected };
        return;
      }
      this.logger?.warn('concerts window incomplete; reading it again', {
        ...where,
        read,
        distinct_events: last.events.length,
        total_elements: last.totalElements,
      });
    }
    if (!last?.tooLarge) throw new WindowIncompleteError(where, last!.events.length, last!.totalElements);
    if (startDay === endDay) throw new WindowTooLargeError(countryCode, where.start_date, last.totalElements);
    const middle = Math.floor((startDay + endDay) / 2);
    yield* this.windows(countryCode, startDay, middle);
    yield* this.windows(countryCode, middle + 1, endDay);
  }

  /** One read of a window to its last page; stops at the first page that says the window is too large. */
  private async readOnce(countryCode: string, startDay: number, endDay: number): Promise<WindowRead> {
    const seen = new Set<string>();
    const read: WindowRead = { totalElements: 0, pages: 0, events: [], duplicates: [], invalid: [] };
    let totalElements = 0;
    let pages = 0;
    for (let page = 0; page === 0 || page < Math.ceil(totalElements / this.size); page++) {
      const url = concertsUrl(this.baseUrl, this.apiKey, {
        countryCode,
        startDay,
        endDay,
        page,
        size: this.size,
      });
      const answer = await this.client.get(url, judgeConcertsAnswer(maskApiKeys(url)));
      totalElements = answer.page.totalElements;
      pages++;
      if (totalElements > this.depth) return { ...read, totalElements, pages, tooLarge: true };
      for (const event of answer._embedded?.events ?? []) {
        const id = (event as { id?: unknown } | null)?.id;
        if (typeof id !== 'string' || id === '') {
          read.invalid.push({ record: event, reason: `invalid: event without an id (page ${page})` });
        } else if (seen.has(id)) {
          read.duplicates.push({
            record: event,
            reason: `duplicate: event ${id} was served earlier in this window (page ${page})`,
          });
        } else {
          seen.add(id);
          read.events.push(event);
        }
      }
    }
    return { ...read, totalElements, pages };
  }
}

export async function runExtractConcerts(event: unknown, deps: ExtractConcertsDeps): Promise<ExtractResult> {
  const { runDate, settings, client } = startEnrichmentRun(
    'concerts',
    event,
    deps,
    (s) => s.dailyRequestBudget.concerts,
  );
  const runDay = Date.parse(`${runDate}T00:00:00Z`) / DAY_MS;
  const startDay = runDay + 1;
  const endDay = runDay + settings.concertHorizonDays;
  const reader = new ConcertsReader(
    client,
    deps.apiBaseUrl,
    deps.apiKey,
    deps.pageSize ?? MAX_PAGE_SIZE,
    deps.logger,
  );
  let windows: ConcertWindow[] = [];

  async function* read(): AsyncGenerator<SourceRecord> {
    windows = [];
    let position = 0;
    for (const countryCode of settings.countries) {
      for await (const one of reader.windows(countryCode, startDay, endDay)) {
        windows.push(one.window);
        for (const value of one.events) yield { position: position++, value };
        for (const { record, reason } of one.rejected)
          yield { position: position++, value: record, rejected: reason };
      }
    }
  }

  const listing = concertsUrl(deps.apiBaseUrl, deps.apiKey, {
    countryCode: 'XX',
    startDay,
    endDay,
    page: 0,
    size: 0,
  });
  const sourceUrl = maskApiKeys(listing)
    .replace('countryCode=XX', `countryCode=${settings.countries.join(',')}`)
    .replace(/&page=0&size=0$/, '');
  return landEnrichmentExtract({
    source: 'concerts',
    runDate,
    deps,
    client,
    sourceUrl,
    window: { start_date: dayString(startDay), end_date: dayString(endDay) },
    read,
    manifestExtras: () => ({ windows }),
  });
}
