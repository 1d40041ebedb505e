/**
 * `deftunes sources serve`: runs the DeFtunes API simulator and the songs database until SIGINT/SIGTERM.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import {
  DEFAULT_ENRICHMENT_API_KEY,
  DEFAULT_ENRICHMENT_RATE_LIMIT,
  SCALE_NAMES,
  startSources,
} from '../simulator';
import { parseDateList, parsePort, parseRate, parseScale, parseSeed } from './options';

function parseMilliseconds(value: string): number {
  if (!/^\d+$/.test(value))
    throw new InvalidArgumentError(`must be a whole number of milliseconds; got "${value}"`);
  return Number(value);
}

interface ServeOptions {
  port: number;
  songsPort: number;
  seed: number;
  scale: string;
  faultRate: number;
  badRecordRate: number;
  lateArrivalRate: number;
  emptyDays?: string[];
  tidyShapes?: boolean;
  slowMs: number;
  songsDataDir?: string;
  json?: boolean;
  enrichmentApiKey: string;
  enrichmentRateLimit: number;
  enrichmentFaultRate?: number;
}

function parseRateLimit(value: string): number {
  if (!/^[1-9]\d{0,4}$/.test(value))
    throw new InvalidArgumentError(`must be a whole number of requests per second >= 1; got "${value}"`);
  return Number(value);
}

export function registerSourcesCommand(program: Command): void {
  const sources = program
    .command('sources')
    .description('The DeFtunes sources: API simulator and songs database.');
  sources
    .command('serve')
    .description(
      'Serve the DeFtunes API simulator (GET /sessions, /users, /_truth, /_faults) and the songs database ' +
        '(PGlite over the Postgres protocol, table deftunes.songs) on 127.0.0.1 until interrupted.',
    )
    .addOption(new Option('--port <port>', 'API port (0 = a free port)').default(8000).argParser(parsePort))
    .addOption(
      new Option('--songs-port <port>', 'songs database port (0 = a free port)')
        .default(5433)
        .argParser(parsePort),
    )
    .addOption(new Option('--seed <n>', 'seed of the synthetic data').default(42).argParser(parseSeed))
    .addOption(
      new Option(
        '--scale <name|factor>',
        `data size: ${SCALE_NAMES.join(', ')}, or a factor (1 = 1,000 songs, users and daily session items)`,
      )
        .default('tiny')
        .argParser(parseScale),
    )
    .addOption(
      new Option('--fault-rate <r>', 'fraction of API requests that fail (500, 503, 429, reset, slow)')
        .default(0)
        .argParser(parseRate),
    )
    .addOption(
      new Option(
        '--empty-days <dates>',
        'comma-separated days whose sessions are never served (an upstream outage answering 200 [])',
      ).argParser(parseDateList),
    )
    .addOption(
      new Option('--bad-record-rate <r>', 'fraction of records served malformed')
        .default(0)
        .argParser(parseRate),
    )
    .addOption(
      new Option(
        '--late-arrival-rate <r>',
        'fraction of sessions served only to windows ending after their day (late arrivals)',
      )
        .default(0)
        .argParser(parseRate),
    )
    .addOption(
      new Option('--slow-ms <ms>', 'delay of a "slow response" fault')
        .default(3000)
        .argParser(parseMilliseconds),
    )
    .option(
      '--tidy-shapes',
      'serve tidy records (UTC times with Z, whole seconds, time order, one artist spelling, every buyer ' +
        'profiled from the sign-up) instead of the real API shapes',
    )
    .addOption(
      new Option(
        '--enrichment-api-key <key>',
        'the key the concerts and artist statistics APIs accept',
      ).default(DEFAULT_ENRICHMENT_API_KEY),
    )
    .addOption(
      new Option('--enrichment-rate-limit <n>', 'requests per second per key each enrichment API accepts')
        .default(DEFAULT_ENRICHMENT_RATE_LIMIT)
        .argParser(parseRateLimit),
    )
    .addOption(
      new Option(
        '--enrichment-fault-rate <r>',
        'fraction of enrichment requests that fail (429/error 29 bursts, 503, slow), plus an event added ' +
          'between two pages of a listing when > 0 (default: --fault-rate)',
      ).argParser(parseRate),
    )
    .option('--songs-data-dir <dir>', 'keep the songs database in this directory (default: in memory)')
    .option('--json', 'print the URLs as one JSON line on stdout')
    .action(async (options: ServeOptions) => {
      await serve(options);
    });
}

async function serve(options: ServeOptions): Promise<void> {
  process.stderr.write(`deftunes sources: generating scale ${options.scale} (seed ${options.seed})...\n`);
  const sources = await startSources({
    port: options.port,
    songsPort: options.songsPort,
    seed: options.seed,
    scale: options.scale,
    faultRate: options.faultRate,
    badRecordRate: options.badRecordRate,
    lateArrivalRate: options.lateArrivalRate,
    emptyDays: options.emptyDays,
    tidyShapes: options.tidyShapes ?? false,
    slowResponseMs: options.slowMs,
    songsDataDir: options.songsDataDir,
    enrichmentApiKey: options.enrichmentApiKey,
    enrichmentRateLimit: options.enrichmentRateLimit,
    enrichmentFaultRate: options.enrichmentFaultRate,
  });
  const { world, songsLoad } = sources;
  if (options.json) {
    process.stdout.write(
      `${JSON.stringify({
        api_url: sources.apiUrl,
        songs_db_url: sources.songsDbUrl,
        concerts_api_url: sources.concertsApiUrl,
        artist_stats_api_url: sources.artistStatsApiUrl,
        seed: world.seed,
        scale: world.scale,
        fault_rate: options.faultRate,
        bad_record_rate: options.badRecordRate,
        late_arrival_rate: options.lateArrivalRate,
        empty_days: options.emptyDays ?? [],
        tidy_shapes: options.tidyShapes ?? false,
        songs_load_ms: Math.round(songsLoad.milliseconds),
      })}\n`,
    );
  } else {
    process.stdout.write(
      [
        `DeFtunes API:   ${sources.apiUrl}`,
        `  try: curl '${sources.apiUrl}/sessions?start_date=2020-02-01&end_date=2020-02-01'`,
        `Songs database: ${sources.songsDbUrl}`,
        `  try: psql '${sources.songsDbUrl}' -c 'select count(*) from deftunes.songs'`,
        `Concerts API:   ${sources.concertsApiUrl}/discovery/v2/events.json (apikey: --enrichment-api-key)`,
        `Artist stats:   ${sources.artistStatsApiUrl}/2.0/?method=artist.getinfo (api_key: --enrichment-api-key)`,
        '',
      ].join('\n'),
    );
  }
  process.stderr.write(
    `deftunes sources: ${world.scale.songs} songs (${songsLoad.loaded ? `loaded in ${Math.round(songsLoad.milliseconds)} ms` : 'already loaded'}), ` +
      `${world.scale.usersAtEpoch} users by 2020-01-01, ~${world.scale.itemsPerDay} session items a day; ` +
      `fault rate ${options.faultRate}, bad record rate ${options.badRecordRate}. Ctrl-C to stop.\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      process.stderr.write(`deftunes sources: ${signal}, closing...\n`);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await sources.close();
  process.stderr.write('deftunes sources: closed\n');
}
