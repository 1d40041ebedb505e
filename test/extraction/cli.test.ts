import { readFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { runExtractCommand } from '../../lib/local/cli/extract';
import { localPaths } from '../../lib/local/data-dir';
import { startSources } from '../../lib/local/simulator';
import { landingDataKey, landingManifestKey } from '../../lambdas/shared/landing-keys';
import { LocalObjectStore } from '../../lib/local/adapters/local-object-store';
import { readJsonLines, tempDir } from './helpers';

function capture(): PassThrough & { text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return Object.assign(stream, { text: () => Buffer.concat(chunks).toString('utf8') });
}

describe('deftunes extract', () => {
  it('starts the simulator when no URL is given, lands into <data-dir>/landing, logs JSON lines to the run log', async () => {
    const { dir, cleanup } = tempDir('deftunes-cli-');
    try {
      const stdout = capture();
      const stderr = capture();
      const result = await runExtractCommand(
        'sessions',
        { date: '2020-02-01', dataDir: dir, json: true, seed: 3, badRecordRate: 0.1 },
        { stdout, stderr },
      );
      expect(JSON.parse(stdout.text())).toEqual(result);
      expect(result.records).toBeGreaterThan(0);
      expect(result.rejected).toBeGreaterThan(0);
      const paths = localPaths(dir);
      const landing = new LocalObjectStore(paths.landing);
      expect(await readJsonLines(landing, landingDataKey('sessions', '2020-02-01'))).toHaveLength(
        result.records,
      );
      expect(await landing.exists(landingManifestKey('sessions', '2020-02-01'))).toBe(true);

      const runLog = readFileSync(paths.runLog, 'utf8')
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line));
      expect(runLog.map((line) => line.message ?? 'metrics')).toEqual([
        'simulator started',
        'extract started',
        'extract landed',
        'metrics',
      ]);
      expect(runLog[2]).toMatchObject({
        service: 'extract-api',
        records: result.records,
        rejected: result.rejected,
      });
      // stderr got the same lines.
      expect(stderr.text()).toBe(readFileSync(paths.runLog, 'utf8'));
    } finally {
      cleanup();
    }
  });

  it('uses the given URLs and prints a summary', async () => {
    const sources = await startSources({ seed: 5 });
    const { dir, cleanup } = tempDir('deftunes-cli-');
    try {
      const stdout = capture();
      const options = {
        date: '2020-02-01',
        dataDir: dir,
        apiUrl: sources.apiUrl,
        songsDbUrl: sources.songsDbUrl,
      };
      const songs = await runExtractCommand('songs', options, { stdout, stderr: capture() });
      const users = await runExtractCommand('users', options, { stdout, stderr: capture() });
      expect(songs).toMatchObject({ entity: 'songs', records: sources.world.scale.songs });
      expect(users.records).toBeGreaterThan(0);
      expect(stdout.text()).toContain(`songs 2020-02-01: ${songs.records} records landed, 0 quarantined`);
      expect(stdout.text()).toContain(`users 2020-02-01: ${users.records} records landed, 0 quarantined`);
      const runLog = readFileSync(localPaths(dir).runLog, 'utf8');
      expect(runLog).not.toContain('simulator started');
    } finally {
      await sources.close();
      cleanup();
    }
  });
});
