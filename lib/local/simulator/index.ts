/**
 * The DeFtunes sources, simulated: the API (users, sessions) and the songs database, with seeded data at a
 * chosen scale and injected faults. `startSources` is what the CLI (`deftunes sources serve`), the tests
 * and the local runner call.
 */
import { startApiServer } from './api-server';
import { startSongsDatabase, type SongsLoad } from './songs-db';
import { SimulatedWorld, checkRate } from './world';

export { SimulatedWorld, DEFAULT_SEED, type DayTruth, type WorldOptions } from './world';
export { resolveScale, SCALES, SCALE_NAMES, type ScaleSizes } from './scale';
export type { CorruptedRecord, RecordFaultKind } from './corruption';
export { REQUEST_FAULT_KINDS, type RequestFaultKind } from './faults';
export { loadSongs } from './songs-db';
export {
  DEFAULT_ENRICHMENT_API_KEY,
  DEFAULT_ENRICHMENT_RATE_LIMIT,
  type EnrichmentFaultReport,
} from './enrichment-routes';
export type { ConcertsTruth } from './enrichment';
export type { ConcertEvent } from './concerts';
export type { ArtistInfo, ArtistStatsExpectation } from './artist-stats';
export {
  deliverListens,
  listensObjectKey,
  arrivalHourOfKey,
  ARRIVAL_INTERVAL_MS,
  type DeliverListensOptions,
  type DeliveryReport,
} from './firehose';
export type { ListensTruth, ListensTruthOptions, GenreDailyTruth, HourlyTruth } from './listens-truth';
export { LISTEN_FAULT_RATES, DEVICES, type Play, type PlayTiming } from './listens';

export interface SourcesOptions {
  /** API port; 0 picks a free one. @default 0 */
  port?: number;
  /** Songs database (Postgres wire) port; 0 picks a free one. @default 0 */
  songsPort?: number;
  /** @default 42 */
  seed?: number;
  /** `tiny`, `small`, `medium`, `large` or a factor (1 = 1,000 songs, users, daily items). @default 'tiny' */
  scale?: string | number;
  /** Fraction of API requests that fail (500, 503, 429, reset, slow), in [0, 1]. @default 0 */
  faultRate?: number;
  /** Fraction of records served malformed, in [0, 1]. @default 0 */
  badRecordRate?: number;
  /** Fraction of sessions that reach the API after their day (see WorldOptions). @default 0 */
  lateArrivalRate?: number;
  /** Days served without sessions (see WorldOptions). @default none */
  emptyDays?: readonly string[];
  /** Serve the tidy record shapes instead of the real API's (see WorldOptions.tidyShapes). @default false */
  tidyShapes?: boolean;
  /** Loopback only: the sources have no authentication. @default '127.0.0.1' */
  host?: '127.0.0.1';
  /** Delay of a `slow` fault, in ms. @default 3000 */
  slowResponseMs?: number;
  /**
   * Keep the songs database in this directory (reused when it already holds the same catalog).
   * @default in memory up to 100,000 songs, else a temporary directory removed on close
   */
  songsDataDir?: string;
  /** Clients the songs database serves at once. @default 8 */
  songsMaxConnections?: number;
  /** The key of the concerts and artist-statistics APIs. @default DEFAULT_ENRICHMENT_API_KEY */
  enrichmentApiKey?: string;
  /** Requests per second per key each enrichment API accepts. @default 5 */
  enrichmentRateLimit?: number;
  /** Fraction of enrichment requests that start a fault (rate-limit burst, slow, 503). @default faultRate */
  enrichmentFaultRate?: number;
  /** An event added between two pages of a listing. @default enrichmentFaultRate > 0 */
  insertedEvents?: boolean;
  /** Multiplies the concerts per day (see WorldOptions). @default 1 */
  concertDensity?: number;
}

export interface RunningSources {
  /** Base URL of the API, e.g. `http://127.0.0.1:8000`. */
  apiUrl: string;
  /** Postgres URL of the songs database (psql and pg accept it). */
  songsDbUrl: string;
  /** Base URL of the concerts and of the artist-statistics APIs (the API's server serves both). */
  concertsApiUrl: string;
  artistStatsApiUrl: string;
  /** The key both enrichment APIs accept. */
  enrichmentApiKey: string;
  world: SimulatedWorld;
  songsLoad: SongsLoad;
  close(): Promise<void>;
}

export async function startSources(options: SourcesOptions = {}): Promise<RunningSources> {
  const host = options.host ?? '127.0.0.1';
  if (host !== '127.0.0.1')
    throw new Error(`host must be 127.0.0.1 (the simulator has no authentication); got ${host}`);
  const port = checkPort('port', options.port ?? 0);
  const songsPort = checkPort('songs port', options.songsPort ?? 0);
  if (port !== 0 && port === songsPort) throw new Error(`port and songs port must differ; both are ${port}`);
  const faultRate = options.faultRate ?? 0;
  checkRate('fault rate', faultRate);
  const slowResponseMs = options.slowResponseMs ?? 3000;
  const world = new SimulatedWorld({
    seed: options.seed,
    scale: options.scale,
    badRecordRate: options.badRecordRate,
    lateArrivalRate: options.lateArrivalRate,
    emptyDays: options.emptyDays,
    tidyShapes: options.tidyShapes,
    concertDensity: options.concertDensity,
  });
  const enrichmentFaultRate = options.enrichmentFaultRate ?? faultRate;
  checkRate('enrichment fault rate', enrichmentFaultRate);
  const api = await startApiServer({
    world,
    faultRate,
    slowResponseMs,
    host,
    port,
    enrichment: {
      apiKey: options.enrichmentApiKey,
      rateLimit: options.enrichmentRateLimit,
      faultRate: enrichmentFaultRate,
      insertedEvents: options.insertedEvents,
      slowResponseMs,
    },
  });
  try {
    const songs = await startSongsDatabase({
      seed: world.seed,
      songs: world.catalog.size,
      host,
      port: songsPort,
      dataDir: options.songsDataDir,
      maxConnections: options.songsMaxConnections,
    });
    let closing: Promise<void> | undefined;
    return {
      apiUrl: api.url,
      songsDbUrl: songs.url,
      concertsApiUrl: api.url,
      artistStatsApiUrl: api.url,
      enrichmentApiKey: api.enrichment.apiKey,
      world,
      songsLoad: songs.load,
      close: () => (closing ??= Promise.all([api.close(), songs.close()]).then(() => undefined)),
    };
  } catch (error) {
    await api.close();
    throw error;
  }
}

function checkPort(name: string, port: number): number {
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`${name} must be an integer in [0, 65535] (0 picks a free port); got ${port}`);
  }
  return port;
}
