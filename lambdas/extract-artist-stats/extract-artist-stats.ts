/**
 * Extracts the statistics of the run date's slice of the catalog's artists (docs/artist-enrichment.md,
 * "Extraction") from the Last.fm-shaped API: by MusicBrainz id first; when the API does not know the mbid
 * (error 6) or the artist has none, by name; when it does not know the name either, the artist lands with
 * `found: false` (counted in the manifest, never dropped). Errors come inside HTTP 200 answers: 29 (rate
 * limit) and the service's temporary ones are retried, 10 (bad key) fails at once.
 */
import type { Client } from 'pg';
import * as z from '../shared/zod';
import { InvalidApiKeyError, maskApiKeys } from '../shared/api-key';
import { describeIssues } from '../shared/contracts';
import { messageOf } from '../shared/errors';
import type { PgConnectionFactory } from '../shared/db-secret';
import {
  landEnrichmentExtract,
  startEnrichmentRun,
  type EnrichmentExtractDeps,
} from '../shared/enrichment-extract';
import { fmix32 } from '../shared/fmix32';
import { ApiAnswerError, type AnswerVerdict, type ApiAnswer } from '../shared/keyed-api-client';
import type { ExtractResult, ManifestExtras } from '../shared/landing-manifest';
import type { SourceRecord } from '../shared/landing-writer';
import { classifyPgFailure } from '../shared/pg-failures';
import { DEFAULT_RETRY_POLICY, RetriesExhaustedError, withRetry } from '../shared/retry';
import { SONGS_CONTRACT } from '../shared/songs-contract';

export { EnrichmentEventSchema as ExtractArtistStatsEventSchema } from '../shared/enrichment-extract';

export interface ExtractArtistStatsDeps extends EnrichmentExtractDeps {
  /** Opens connections to the songs database (Secrets Manager in AWS, a URL locally). */
  readonly connections: PgConnectionFactory;
}

const API = 'artist_stats';

/** The catalog's artists, one row each (the first spelling in key order when a catalog disagrees with itself). */
export const SELECT_CATALOG_ARTISTS =
  `SELECT DISTINCT ON (artist_id) artist_id, artist_mbid, artist_name FROM ${SONGS_CONTRACT.table} ` +
  'WHERE artist_id IS NOT NULL ORDER BY artist_id, artist_mbid, artist_name';

export interface CatalogArtist {
  readonly artist_id: string;
  readonly artist_mbid: string | null;
  readonly artist_name: string | null;
}

/** One landed line (docs/artist-enrichment.md). */
export interface ArtistStatsRecord extends CatalogArtist {
  readonly lookup: 'mbid' | 'name';
  readonly found: boolean;
  /** The `artist` object as served, or null when not found. */
  readonly response: unknown;
}

/** FNV-1a of the id, then murmur3's finalizer: a stable, well-spread 32-bit hash of an artist id. */
export function artistHash(artistId: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < artistId.length; i++) {
    h ^= artistId.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return fmix32(h >>> 0);
}

/**
 * The run date's slice: artists whose hash mod K equals the day number mod K, with K the smallest
 * modulus that keeps two lookups per artist (mbid, then name) within the budget; every artist is looked
 * up every K days.
 */
export function artistSlice<T extends { artist_id: string }>(
  artists: readonly T[],
  runDate: string,
  budget: number,
): { modulus: number; remainder: number; artists: T[] } {
  const modulus = Math.max(1, Math.ceil((2 * artists.length) / budget));
  const remainder = (Date.parse(`${runDate}T00:00:00Z`) / 86_400_000) % modulus;
  return {
    modulus,
    remainder,
    artists: artists.filter((artist) => artistHash(artist.artist_id) % modulus === remainder),
  };
}

export function artistInfoUrl(
  baseUrl: string,
  apiKey: string,
  by: { mbid: string } | { artist: string },
): string {
  const url = new URL('2.0/', baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
  url.searchParams.set('method', 'artist.getinfo');
  if ('mbid' in by) url.searchParams.set('mbid', by.mbid);
  else url.searchParams.set('artist', by.artist);
  url.searchParams.set('api_key', apiKey);
  url.searchParams.set('format', 'json');
  return url.toString();
}

/** Last.fm's error codes worth another request: 29 rate limit, 8 operation failed, 11 offline, 16 temporary. */
const TRANSIENT_CODES = new Set([8, 11, 16, 29]);

const ArtistAnswerSchema = z.object({ artist: z.looseObject({ name: z.string() }) });

/** `{artist}`, or `undefined` for error 6 (not found); other errors retried or final by their code. */
export function judgeArtistAnswer(maskedUrl: string): (answer: ApiAnswer) => AnswerVerdict<unknown> {
  return ({ status, body, retryAfterMs }) => {
    if (status === 408 || status === 429 || status >= 500) return { retry: `HTTP ${status}`, retryAfterMs };
    if (status !== 200)
      return {
        fail: new ApiAnswerError(
          API,
          maskedUrl,
          `HTTP ${status}`,
          JSON.stringify(body ?? null).slice(0, 200),
        ),
      };
    if (body === undefined) return { retry: 'HTTP 200 with a body that is not JSON' };
    const code = (body as { error?: unknown }).error;
    if (typeof code === 'number') {
      const message = String((body as { message?: unknown }).message ?? '');
      if (code === 6) return { ok: undefined };
      if (code === 10) return { fail: new InvalidApiKeyError(API, 'error 10', maskedUrl) };
      if (TRANSIENT_CODES.has(code)) return { retry: `error ${code} ${message}` };
      return { fail: new ApiAnswerError(API, maskedUrl, `error ${code}`, message) };
    }
    const parsed = ArtistAnswerSchema.safeParse(body);
    if (!parsed.success) {
      return {
        fail: new ApiAnswerError(
          API,
          maskedUrl,
          'HTTP 200',
          `not an artist: ${describeIssues(parsed.error)}`,
        ),
      };
    }
    return { ok: parsed.data.artist };
  };
}

/** Reads the catalog's artists in one read-only transaction; a transient database failure reads again. */
export async function readCatalogArtists(
  connections: PgConnectionFactory,
  deps: Pick<ExtractArtistStatsDeps, 'retryPolicy' | 'sleep' | 'random'>,
): Promise<CatalogArtist[]> {
  try {
    const { value } = await withRetry(
      async () => {
        const client: Client = await connections.connect();
        client.on('error', () => undefined);
        try {
          await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
          const result = await client.query<CatalogArtist>(SELECT_CATALOG_ARTISTS);
          await client.query('COMMIT');
          return result.rows.map((row) => ({
            artist_id: String(row.artist_id),
            artist_mbid: row.artist_mbid === null ? null : String(row.artist_mbid),
            artist_name: row.artist_name === null ? null : String(row.artist_name),
          }));
        } finally {
          await client.end().catch(() => undefined);
        }
      },
      classifyPgFailure,
      { ...DEFAULT_RETRY_POLICY, maxAttempts: 4, ...deps.retryPolicy },
      { sleep: deps.sleep, random: deps.random },
    );
    return value;
  } catch (error: unknown) {
    const last = error instanceof RetriesExhaustedError ? error.lastError : error;
    throw new Error(
      `Reading the catalog's artists from ${connections.description} failed: ${messageOf(last)}`,
      { cause: error },
    );
  }
}

export async function runExtractArtistStats(
  event: unknown,
  deps: ExtractArtistStatsDeps,
): Promise<ExtractResult> {
  const { runDate, settings, client } = startEnrichmentRun(
    API,
    event,
    deps,
    (s) => s.dailyRequestBudget.artistStats,
  );
  const catalog = await readCatalogArtists(deps.connections, deps);
  const slice = artistSlice(catalog, runDate, settings.dailyRequestBudget.artistStats);
  let counts: NonNullable<ManifestExtras['slice']>;
  deps.logger?.info('artist slice', {
    run_date: runDate,
    catalog_artists: catalog.length,
    modulus: slice.modulus,
    remainder: slice.remainder,
    artists: slice.artists.length,
  });

  const lookUp = async (by: { mbid: string } | { artist: string }): Promise<unknown> => {
    const url = artistInfoUrl(deps.apiBaseUrl, deps.apiKey, by);
    return client.get(url, judgeArtistAnswer(maskApiKeys(url)));
  };

  async function* read(): AsyncGenerator<SourceRecord> {
    counts = {
      catalog_artists: catalog.length,
      modulus: slice.modulus,
      remainder: slice.remainder,
      artists: slice.artists.length,
      found: 0,
      not_found: 0,
    };
    let position = 0;
    for (const artist of slice.artists) {
      let lookup: 'mbid' | 'name' = 'mbid';
      let response = artist.artist_mbid ? await lookUp({ mbid: artist.artist_mbid }) : undefined;
      if (response === undefined && artist.artist_name) {
        lookup = 'name';
        response = await lookUp({ artist: artist.artist_name });
      } else if (response === undefined) {
        lookup = artist.artist_mbid ? 'mbid' : 'name';
      }
      const found = response !== undefined;
      if (found) counts.found++;
      else counts.not_found++;
      const record: ArtistStatsRecord = { ...artist, lookup, found, response: response ?? null };
      yield { position: position++, value: record };
    }
  }

  return landEnrichmentExtract({
    source: API,
    runDate,
    deps,
    client,
    sourceUrl: maskApiKeys(artistInfoUrl(deps.apiBaseUrl, deps.apiKey, { mbid: '{mbid}' })).replace(
      '%7Bmbid%7D',
      '{mbid}',
    ),
    window: { start_date: runDate, end_date: runDate },
    read,
    manifestExtras: () => ({ slice: counts }),
  });
}
