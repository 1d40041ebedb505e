import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Client } from 'pg';
import { SessionRecordSchema } from '../../lambdas/shared/contracts';

const CLI = join(__dirname, '..', '..', 'bin', 'deftunes.cjs');

// Each case starts the CLI (a few seconds under tsx), so only two of the option checks run here.
describe('deftunes sources serve', () => {
  it.each([
    [['--fault-rate', '2'], "option '--fault-rate <r>' argument '2' is invalid. must be a number in [0, 1]"],
    [['--scale', 'huge'], 'scale must be one of tiny, small, medium, large or a number'],
  ])('rejects %j with a clear error', (args, message) => {
    const result = spawnSync(process.execPath, [CLI, 'sources', 'serve', ...args], { encoding: 'utf8' });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(message);
  });

  it('prints both URLs, serves (here the tidy shapes) until SIGTERM, then closes cleanly', async () => {
    const child = spawn(
      process.execPath,
      [CLI, 'sources', 'serve', '--port', '0', '--songs-port', '0', '--tidy-shapes', '--json'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const line = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout }).once('line', resolve);
        child.once('exit', () => reject(new Error(`the CLI exited before printing its URLs: ${stderr}`)));
      });
      const started = JSON.parse(line) as { api_url: string; songs_db_url: string; tidy_shapes: boolean };
      expect(started.tidy_shapes).toBe(true);
      const response = await fetch(`${started.api_url}/sessions?start_date=2020-02-01&end_date=2020-02-01`);
      const sessions = (await response.json()) as { session_start_time: string }[];
      expect(sessions.length).toBeGreaterThan(0);
      for (const session of sessions) {
        expect(SessionRecordSchema.safeParse(session).success).toBe(true);
        expect(session.session_start_time).toMatch(/T\d{2}:\d{2}:\d{2}Z$/);
      }
      const client = new Client({ connectionString: started.songs_db_url });
      await client.connect();
      expect((await client.query('select count(*)::int as n from deftunes.songs')).rows[0].n).toBe(300);
      await client.end();
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(stderr).toContain('SIGTERM, closing');
    expect(stderr).toContain('closed');
  });
});
