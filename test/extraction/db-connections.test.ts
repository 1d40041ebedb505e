import { urlConnectionFactory } from '../../lib/local/adapters/pg-url-connection';
import { startSources, type RunningSources } from '../../lib/local/simulator';

describe('songs database connections', () => {
  let sources: RunningSources;
  beforeAll(async () => {
    sources = await startSources({ port: 0, songsPort: 0, scale: 'tiny' });
  });
  afterAll(async () => {
    await sources?.close();
  });

  test('carry a statement timeout, so a stalled cursor read fails instead of hanging', async () => {
    const connection = await urlConnectionFactory(sources.songsDbUrl).connect();
    try {
      const { rows } = await connection.query<{ statement_timeout: string }>('SHOW statement_timeout');
      expect(rows[0].statement_timeout).toBe('2min');
    } finally {
      await connection.end();
    }
  });
});
