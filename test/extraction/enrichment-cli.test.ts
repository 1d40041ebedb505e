/** `deftunes extract concerts|artist-stats`: the simulator started or an API given by URL with its key from the environment. */
import { readFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { runExtractCommand } from '../../lib/local/cli/extract';
import { localPaths } from '../../lib/local/data-dir';
import { localEnrichmentSettings } from '../../lib/local/enrichment-settings';
import { SimulatedWorld, startSources } from '../../lib/local/simulator';
import { tempDir } from './helpers';

const RUN_DATE = '2020-03-14';

function capture(): PassThrough {
  const stream = new PassThrough();
  stream.resume();
  return stream;
}

const savedEnv = { ...process.env };
afterEach(() => {
  process.env = { ...savedEnv };
});

describe('deftunes extract concerts|artist-stats', () => {
  it('starts the simulator when no URL is given and lands every concert of cdk.json dev countries and horizon', async () => {
    const { dir, cleanup } = tempDir('deftunes-cli-');
    try {
      const result = await runExtractCommand(
        'concerts',
        { date: RUN_DATE, dataDir: dir, seed: 8 },
        { stdout: capture(), stderr: capture() },
      );
      const settings = localEnrichmentSettings();
      const truth = new SimulatedWorld({ seed: 8 }).concertsTruth(
        RUN_DATE,
        settings.countries,
        settings.concertHorizonDays,
      );
      expect(result).toMatchObject({ entity: 'concerts', records: truth.events.length, rejected: 0 });
    } finally {
      cleanup();
    }
  });

  it('uses an API given by URL with its key from the environment, never writing the key to the run log', async () => {
    const key = 'cli-secret-key-77';
    const sources = await startSources({ seed: 8, enrichmentApiKey: key, enrichmentRateLimit: 50 });
    const { dir, cleanup } = tempDir('deftunes-cli-');
    try {
      process.env.DEFTUNES_ARTIST_STATS_API_KEY = key;
      const result = await runExtractCommand(
        'artist-stats',
        {
          date: RUN_DATE,
          dataDir: dir,
          artistStatsApiUrl: sources.artistStatsApiUrl,
          songsDbUrl: sources.songsDbUrl,
        },
        { stdout: capture(), stderr: capture() },
      );
      expect(result).toMatchObject({
        entity: 'artist_stats',
        records: sources.world.artistStatsTruth().length,
      });
      const runLog = readFileSync(localPaths(dir).runLog, 'utf8');
      expect(runLog).toContain('extract landed');
      expect(runLog).not.toContain(key);
    } finally {
      await sources.close();
      cleanup();
    }
  });

  it('refuses an API given by URL without its key variable, naming it', async () => {
    delete process.env.DEFTUNES_CONCERTS_API_KEY;
    const { dir, cleanup } = tempDir('deftunes-cli-');
    try {
      await expect(
        runExtractCommand(
          'concerts',
          { date: RUN_DATE, dataDir: dir, concertsApiUrl: 'http://127.0.0.1:9/' },
          { stdout: capture(), stderr: capture() },
        ),
      ).rejects.toThrow(/needs its API key in the environment variable DEFTUNES_CONCERTS_API_KEY/);
    } finally {
      cleanup();
    }
  });
});
