/**
 * `deftunes extract users|sessions|songs|concerts|artist-stats --date D`: runs one extract Lambda's
 * function locally, into the landing directory of the data directory (`<data-dir>/landing/`, same keys as
 * the landing bucket). With no `--api-url` / `--songs-db-url` / `--concerts-api-url` /
 * `--artist-stats-api-url` it starts the simulator on free loopback ports for the duration (and uses its
 * key); an API given by URL takes its key from DEFTUNES_CONCERTS_API_KEY / DEFTUNES_ARTIST_STATS_API_KEY.
 * The enrichment settings are cdk.json's `dev` block (see lib/local/enrichment-settings.ts).
 * Logs (Powertools JSON lines) go to the run log and to stderr; the result goes to stdout.
 */
import { Command, InvalidArgumentError } from 'commander';
import * as path from 'node:path';
import type { Writable } from 'node:stream';
import { runExtractApi } from '../../../lambdas/extract-api/extract-api';
import { runExtractArtistStats } from '../../../lambdas/extract-artist-stats/extract-artist-stats';
import { runExtractConcerts } from '../../../lambdas/extract-concerts/extract-concerts';
import { runExtractSongs } from '../../../lambdas/extract-songs/extract-songs';
import { urlConnectionFactory } from '../adapters/pg-url-connection';
import type { ExtractResult } from '../../../lambdas/shared/landing-manifest';
import { LocalObjectStore } from '../adapters/local-object-store';
import { localPaths, requireUsableDataDir } from '../data-dir';
import {
  ARTIST_STATS_API_KEY_ENV,
  CONCERTS_API_KEY_ENV,
  LOCAL_ENRICHMENT_RATE_LIMIT,
  localEnrichmentApi,
  requireEnrichmentApiKey,
} from '../enrichment-settings';
import { startSources, type RunningSources } from '../simulator';
import { openCliTelemetry } from './cli-telemetry';
import { parseRunDate, parseRate, parseScale, parseSeed, parseUrl } from './options';

export const EXTRACT_ENTITIES = ['users', 'sessions', 'songs', 'concerts', 'artist-stats'] as const;
export type ExtractEntity = (typeof EXTRACT_ENTITIES)[number];

/** The Lambda whose function each entity runs (the `service` of its logs). */
const SERVICE_NAMES: Record<ExtractEntity, string> = {
  users: 'extract-api',
  sessions: 'extract-api',
  songs: 'extract-songs',
  concerts: 'extract-concerts',
  'artist-stats': 'extract-artist-stats',
};

export interface ExtractCommandOptions {
  readonly date: string;
  readonly apiUrl?: string;
  readonly songsDbUrl?: string;
  readonly concertsApiUrl?: string;
  readonly artistStatsApiUrl?: string;
  readonly dataDir?: string;
  readonly json?: boolean;
  readonly seed?: number;
  readonly scale?: string;
  readonly faultRate?: number;
  readonly badRecordRate?: number;
}

export interface ExtractCommandIo {
  readonly stdout: Writable;
  readonly stderr: Writable;
}

function parseEntity(value: string): ExtractEntity {
  if (!(EXTRACT_ENTITIES as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(`must be one of ${EXTRACT_ENTITIES.join(', ')}; got "${value}"`);
  }
  return value as ExtractEntity;
}

export function registerExtractCommand(program: Command): void {
  program
    .command('extract')
    .description(
      'Extract one source for one run date into <data-dir>/landing/ with the same function the extract Lambdas run: ' +
        'validated gzipped JSON lines, a quarantine of rejected records with the reason, and a manifest written last. ' +
        'Without --api-url / --songs-db-url / --concerts-api-url / --artist-stats-api-url the simulator is started on ' +
        'free loopback ports (and its API key used).',
    )
    .argument('<entity>', `what to extract: ${EXTRACT_ENTITIES.join(' | ')}`, parseEntity)
    .requiredOption(
      '--date <YYYY-MM-DD>',
      'run date (sessions: that day; users: the snapshot up to it; songs: all; concerts: the days after it; ' +
        'artist-stats: its slice of the artists)',
      parseRunDate,
    )
    .option('--api-url <url>', 'DeFtunes API base URL (default: start the simulator)', parseUrl)
    .option('--songs-db-url <url>', 'songs database Postgres URL (default: start the simulator)', parseUrl)
    .option(
      '--concerts-api-url <url>',
      `concerts API base URL, its key from $${CONCERTS_API_KEY_ENV} (default: start the simulator)`,
      parseUrl,
    )
    .option(
      '--artist-stats-api-url <url>',
      `artist statistics API base URL, its key from $${ARTIST_STATS_API_KEY_ENV} (default: start the simulator)`,
      parseUrl,
    )
    .option('--data-dir <dir>', 'local data directory (default: $DEFTUNES_DATA_DIR or ./data)')
    .option('--json', 'print the result as JSON on stdout (logs go to stderr)')
    .option('--seed <n>', 'simulator seed, when the simulator is started', parseSeed)
    .option(
      '--scale <scale>',
      'simulator scale (tiny, small, medium, large or a factor), when started',
      parseScale,
    )
    .option('--fault-rate <rate>', 'simulator: fraction of API requests that fail, when started', parseRate)
    .option(
      '--bad-record-rate <rate>',
      'simulator: fraction of records served malformed, when started',
      parseRate,
    )
    .action(async (entity: ExtractEntity, options: ExtractCommandOptions) => {
      await runExtractCommand(entity, options, { stdout: process.stdout, stderr: process.stderr });
    });
}

/** The command's work, callable without a process (tests). Resolves with the handler's result. */
export async function runExtractCommand(
  entity: ExtractEntity,
  options: ExtractCommandOptions,
  io: ExtractCommandIo,
): Promise<ExtractResult> {
  requireUsableDataDir(options.dataDir);
  const paths = localPaths(options.dataDir);
  const needsSimulator = {
    users: !options.apiUrl,
    sessions: !options.apiUrl,
    songs: !options.songsDbUrl,
    concerts: !options.concertsApiUrl,
    // The catalog's artists come from the songs database.
    'artist-stats': !options.artistStatsApiUrl || !options.songsDbUrl,
  }[entity];
  const enrichmentApi = {
    concerts: { name: 'concerts', url: options.concertsApiUrl, keyEnv: CONCERTS_API_KEY_ENV },
    'artist-stats': {
      name: 'artist statistics',
      url: options.artistStatsApiUrl,
      keyEnv: ARTIST_STATS_API_KEY_ENV,
    },
  }[entity as 'concerts' | 'artist-stats'];
  if (enrichmentApi?.url) {
    requireEnrichmentApiKey(
      enrichmentApi.name,
      enrichmentApi.url,
      process.env[enrichmentApi.keyEnv],
      enrichmentApi.keyEnv,
    );
  }
  const telemetry = openCliTelemetry(paths.runLog, SERVICE_NAMES[entity], io.stderr);
  const { logger, metrics } = telemetry;
  const store = new LocalObjectStore(paths.landing);
  let sources: RunningSources | undefined;
  try {
    if (needsSimulator) {
      sources = await startSources({
        port: 0,
        songsPort: 0,
        seed: options.seed,
        scale: options.scale,
        faultRate: options.faultRate,
        badRecordRate: options.badRecordRate,
        enrichmentRateLimit: LOCAL_ENRICHMENT_RATE_LIMIT,
      });
      logger.info('simulator started', { api_url: sources.apiUrl, songs_db_url: sources.songsDbUrl });
    }
    const event = { run_date: options.date };
    const connections = () => urlConnectionFactory(options.songsDbUrl ?? sources!.songsDbUrl);
    // An API given by URL is paced as cdk.json says; the simulator started here accepts a faster pace.
    const enrichment = () => {
      const { name, url, keyEnv } = enrichmentApi;
      const simulated = () => ({ url: sources!.apiUrl, key: sources!.enrichmentApiKey });
      const api = localEnrichmentApi(name, { url, key: url && process.env[keyEnv] }, simulated, keyEnv);
      return { store, apiBaseUrl: api.url, apiKey: api.key, settings: api.settings, logger, metrics };
    };
    let result: ExtractResult;
    if (entity === 'songs') {
      result = await runExtractSongs(event, { store, connections: connections(), logger, metrics });
    } else if (entity === 'concerts') {
      result = await runExtractConcerts(event, enrichment());
    } else if (entity === 'artist-stats') {
      result = await runExtractArtistStats(event, {
        ...enrichment(),
        connections: connections(),
      });
    } else {
      result = await runExtractApi(
        { ...event, entity },
        { store, apiBaseUrl: options.apiUrl ?? sources!.apiUrl, logger, metrics },
      );
    }
    io.stdout.write(
      options.json
        ? `${JSON.stringify(result, null, 2)}\n`
        : `${result.entity} ${result.run_date}: ${result.records} records landed, ${result.rejected} quarantined\n` +
            `  data:       ${path.join(paths.landing, result.key)}\n` +
            `  manifest:   ${path.join(paths.landing, result.manifest_key)}\n`,
    );
    return result;
  } finally {
    await sources?.close();
    await telemetry.close();
  }
}
