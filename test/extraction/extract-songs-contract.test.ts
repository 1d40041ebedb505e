/**
 * The extractor against the songs contract on a real Postgres (PGlite): a table declared with the wide
 * types the contract accepts (int8, numeric, varchar, char) lands the same JSON as the simulator's
 * table; values a double or a Glue int cannot hold are quarantined, naming column and row; a column type
 * outside the contract fails the extract before any row is read.
 */
import { Client } from 'pg';
import { runExtractSongs } from '../../lambdas/extract-songs/extract-songs';
import { urlConnectionFactory } from '../../lib/local/adapters/pg-url-connection';
import { landingDataKey, quarantineKey } from '../../lambdas/shared/landing-keys';
import { LocalObjectStore } from '../../lib/local/adapters/local-object-store';
import { SONGS_CONTRACT } from '../../lambdas/shared/songs-contract';
import { startSongsDatabase, type SongsDatabase } from '../../lib/local/simulator/songs-db';
import cases from '../contracts/songs-contract-cases.json';
import { allFiles, failureOf, noSleep, readJsonLines, tempDir } from './helpers';

const RUN_DATE = '2020-02-01';

/** Every type the contract accepts appears at least once. */
const WIDE_TYPES: Record<string, string> = {
  track_id: 'varchar(18) NOT NULL',
  title: 'text',
  song_id: 'char(18) NOT NULL',
  release: 'varchar',
  artist_id: 'text NOT NULL',
  artist_mbid: 'text',
  artist_name: 'text',
  duration: 'numeric',
  artist_familiarity: 'numeric(12,9)',
  artist_hotttnesss: 'real',
  year: 'smallint',
  track_7digitalid: 'bigint',
  shs_perf: 'integer',
  shs_work: 'int8',
};

let db: SongsDatabase;

/** Recreates `deftunes.songs` with these columns and types, and the rows (values sent as Postgres text). */
async function createSongs(
  types: Record<string, string>,
  rows: Array<Record<string, unknown>>,
): Promise<void> {
  const names = Object.keys(types);
  const client = new Client({ connectionString: db.url });
  await client.connect();
  try {
    const columns = names.map((name) => `${name} ${types[name]}`).join(', ');
    await client.query(`DROP TABLE IF EXISTS deftunes.songs; CREATE TABLE deftunes.songs (${columns})`);
    const placeholders = names.map((_, i) => `$${i + 1}`).join(', ');
    for (const row of rows) {
      await client.query(
        `INSERT INTO deftunes.songs (${names.join(', ')}) VALUES (${placeholders})`,
        names.map((name) => (row[name] === null ? null : String(row[name]))),
      );
    }
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  db = await startSongsDatabase({ seed: 1, songs: 1, host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await db.close();
});

let dir: string;
let cleanup: () => void;
let store: LocalObjectStore;
beforeEach(() => {
  ({ dir, cleanup } = tempDir('deftunes-songs-contract-'));
  store = new LocalObjectStore(dir);
});
afterEach(() => cleanup());

describe('extract-songs and the songs contract', () => {
  it('lands int8, numeric, real, smallint, varchar and char columns as the contract types, without loss', async () => {
    const quarantined = cases.quarantined.map((entry, index) => ({
      ...cases.landed[0],
      track_id: `TRQ${String(index).padStart(15, '0')}`,
      [entry.column]: entry.value,
    }));
    await createSongs(WIDE_TYPES, [...cases.landed, ...quarantined]);

    const result = await runExtractSongs(
      { run_date: RUN_DATE },
      { store, connections: urlConnectionFactory(db.url), fetchSize: 4 },
    );

    expect(result).toMatchObject({ records: cases.landed.length, rejected: quarantined.length });
    expect(await readJsonLines(store, landingDataKey('songs', RUN_DATE))).toEqual(cases.landed);
    const entries = (await readJsonLines(store, quarantineKey('songs', RUN_DATE))) as Array<{
      reason: string;
      record: Record<string, unknown>;
    }>;
    expect(entries.map((entry) => entry.reason)).toEqual(
      cases.quarantined.map(
        (entry, index) => `invalid: ${entry.reason} (row track_id ${String(quarantined[index].track_id)})`,
      ),
    );
    // The refused value is kept as Postgres gave it (or converted without loss, when only its column's check
    // refused it), never rounded, wrapped or turned into null.
    expect(entries.map((entry, index) => String(entry.record[cases.quarantined[index].column]))).toEqual(
      cases.quarantined.map((entry) => entry.value),
    );
  });

  it.each([
    ['shs_perf', 'text', 'int'],
    ['duration', 'money', 'float'],
    ['title', 'jsonb', 'text'],
  ])(
    'fails before reading a row when %s is declared %s, naming the column and its type',
    async (column, type, kind) => {
      await createSongs({ ...WIDE_TYPES, [column]: type }, []);
      const accepted = SONGS_CONTRACT.kinds[kind as 'int' | 'float' | 'text'].postgres.join(', ');
      const error = await failureOf(
        runExtractSongs(
          { run_date: RUN_DATE },
          { store, connections: urlConnectionFactory(db.url), sleep: noSleep },
        ),
      );
      expect(error.message).toContain('failed on attempt 1');
      expect(error.message).toContain(
        `deftunes.songs does not match the songs contract: column ${column} has type ${type}; ` +
          `the contract's ${kind} columns accept ${accepted}`,
      );
      expect(allFiles(dir)).toEqual([]);
    },
  );

  it('names a contract column the table lacks', async () => {
    const { shs_work: _dropped, ...types } = WIDE_TYPES;
    await createSongs(types, []);
    const error = await failureOf(
      runExtractSongs(
        { run_date: RUN_DATE },
        { store, connections: urlConnectionFactory(db.url), sleep: noSleep },
      ),
    );
    expect(error.message).toContain(
      'deftunes.songs does not match the songs contract: column shs_work is missing',
    );
  });
});
