import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { Client, type ClientConfig } from 'pg';
import { startSources, type RunningSources } from '../../lib/local/simulator';
import { SongRecordSchema } from '../../lambdas/shared/contracts';
import { runExtractSongs, SELECT_SONGS } from '../../lambdas/extract-songs/extract-songs';
import { SELECT_SONG_COLUMN_TYPES } from '../../lambdas/extract-songs/extract-songs';
import {
  readDbSecret,
  secretsManagerConnectionFactory,
  type PgConnectionFactory,
} from '../../lambdas/shared/db-secret';
import { urlConnectionFactory } from '../../lib/local/adapters/pg-url-connection';
import { landingDataKey, landingManifestKey, quarantineKey } from '../../lambdas/shared/landing-keys';
import { LocalObjectStore } from '../../lib/local/adapters/local-object-store';
import { allFiles, failureOf, noSleep, readJsonLines, tempDir } from './helpers';

const RUN_DATE = '2020-02-01';

const COLUMNS = Object.keys(SongRecordSchema.shape);

let sources: RunningSources;
let url: string;
let dir: string;
let cleanup: () => void;
let store: LocalObjectStore;
/** The simulator's catalog (1,000 songs at scale 1) in key order, as the table holds it. */
let GOOD: Array<Record<string, unknown>>;
const BAD_TRACK_ID = 'TR-NOT-A-TRACK';
let DUPLICATED: Record<string, unknown>;

beforeAll(async () => {
  sources = await startSources({ seed: 7, scale: 1 });
  url = sources.songsDbUrl;
  GOOD = [...sources.world.catalog.songs()]
    .map((song) => Object.fromEntries(COLUMNS.map((column) => [column, song[column as keyof typeof song]])))
    .sort((a, b) => (String(a.track_id) < String(b.track_id) ? -1 : 1));
  DUPLICATED = GOOD[6];
  // Add what a real catalog can hold: a malformed row and a second copy of a key (no primary key).
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('ALTER TABLE deftunes.songs DROP CONSTRAINT IF EXISTS songs_pkey');
    const insert = `INSERT INTO deftunes.songs (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map((_, i) => `$${i + 1}`).join(', ')})`;
    await client.query(
      insert,
      COLUMNS.map((column) => (column === 'track_id' ? BAD_TRACK_ID : GOOD[0][column])),
    );
    await client.query(
      insert,
      COLUMNS.map((column) => (column === 'title' ? 'Second copy' : DUPLICATED[column])),
    );
  } finally {
    await client.end();
  }
});

afterAll(async () => {
  await sources.close();
});

beforeEach(() => {
  ({ dir, cleanup } = tempDir('deftunes-songs-'));
  store = new LocalObjectStore(dir);
});
afterEach(() => cleanup());

describe('runExtractSongs', () => {
  it('lands every valid row in key order through a cursor, quarantines bad and duplicate rows', async () => {
    const result = await runExtractSongs(
      { run_date: RUN_DATE },
      { store, connections: urlConnectionFactory(url), fetchSize: 64 },
    );
    expect(result).toEqual({
      entity: 'songs',
      run_date: RUN_DATE,
      key: landingDataKey('songs', RUN_DATE),
      manifest_key: landingManifestKey('songs', RUN_DATE),
      records: 1000,
      rejected: 2,
    });
    const landed = (await readJsonLines(store, landingDataKey('songs', RUN_DATE))) as Array<{
      track_id: string;
    }>;
    // Every catalog row exactly once, in key order, as Postgres returned it (numbers as numbers).
    expect(landed).toEqual(GOOD);

    const quarantined = (await readJsonLines(store, quarantineKey('songs', RUN_DATE))) as Array<{
      reason: string;
      record: { track_id: string; title: string };
    }>;
    expect(quarantined).toHaveLength(2);
    const reasons = Object.fromEntries(quarantined.map((entry) => [entry.record.track_id, entry.reason]));
    expect(reasons[BAD_TRACK_ID]).toMatch(/^invalid: track_id: /);
    expect(reasons[String(DUPLICATED.track_id)]).toBe(
      `duplicate: track_id ${String(DUPLICATED.track_id)} appeared earlier in this extract`,
    );

    const manifest = JSON.parse((await store.getObject(landingManifestKey('songs', RUN_DATE))).toString());
    expect(manifest).toMatchObject({
      entity: 'songs',
      records: 1000,
      rejected: 2,
      window: null,
      source_url: `postgresql://127.0.0.1:${new URL(url).port}/postgres#deftunes.songs`,
    });
    expect(manifest.source_url).not.toContain('postgres@');
  });

  it('re-running gives byte-identical objects', async () => {
    const deps = { store, connections: urlConnectionFactory(url), fetchSize: 100 };
    await runExtractSongs({ run_date: RUN_DATE }, deps);
    const before = await store.getObject(landingDataKey('songs', RUN_DATE));
    const files = allFiles(dir);
    await runExtractSongs({ run_date: RUN_DATE }, { ...deps, fetchSize: 7 });
    expect((await store.getObject(landingDataKey('songs', RUN_DATE))).equals(before)).toBe(true);
    expect(allFiles(dir)).toEqual(files);
  });

  it('reads in batches of fetchSize from a server-side cursor inside a read-only transaction', async () => {
    const statements: string[] = [];
    const reads: number[] = [];
    const inner = urlConnectionFactory(url);
    const spying: PgConnectionFactory = {
      description: inner.description,
      async connect() {
        const client = await inner.connect();
        const query = client.query.bind(client) as (...args: unknown[]) => unknown;
        (client as unknown as { query: unknown }).query = (...args: unknown[]) => {
          const first = args[0] as { text?: string; read?: (n: number) => Promise<unknown[]> } | string;
          if (typeof first === 'string') statements.push(first);
          else if (first.text) {
            statements.push(`cursor: ${first.text}`);
            const read = first.read!.bind(first);
            first.read = async (n: number) => {
              const rows = await read(n);
              reads.push(rows.length);
              return rows;
            };
          }
          return query(...args);
        };
        return client;
      },
    };
    await runExtractSongs({ run_date: RUN_DATE }, { store, connections: spying, fetchSize: 250 });
    expect(statements).toEqual([
      'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY',
      SELECT_SONG_COLUMN_TYPES,
      `cursor: ${SELECT_SONGS}`,
      'COMMIT',
    ]);
    expect(reads).toEqual([250, 250, 250, 250, 2, 0]);
  });

  it('retries a connection lost mid-read and lands every row exactly once', async () => {
    const inner = urlConnectionFactory(url);
    let connects = 0;
    const flaky: PgConnectionFactory = {
      description: inner.description,
      async connect() {
        connects++;
        if (connects === 1)
          throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
        const client = await inner.connect();
        if (connects === 2) {
          // Break the socket once the first batch has arrived.
          const query = client.query.bind(client) as (...args: unknown[]) => unknown;
          (client as unknown as { query: unknown }).query = (...args: unknown[]) => {
            const cursor = args[0] as { text?: string; read?: (n: number) => Promise<unknown[]> };
            if (typeof cursor === 'object' && cursor.read) {
              const read = cursor.read.bind(cursor);
              let calls = 0;
              cursor.read = async (n: number) => {
                if (++calls === 2) {
                  (
                    client as unknown as { connection: { stream: { destroy(): void } } }
                  ).connection.stream.destroy();
                }
                return read(n);
              };
            }
            return query(...args);
          };
        }
        return client;
      },
    };
    const sleeps: number[] = [];
    const result = await runExtractSongs(
      { run_date: RUN_DATE },
      { store, connections: flaky, fetchSize: 100, sleep: async (ms) => void sleeps.push(ms) },
    );
    expect(connects).toBe(3);
    expect(sleeps).toHaveLength(2);
    expect(result).toMatchObject({ records: 1000, rejected: 2 });
    const manifest = JSON.parse((await store.getObject(landingManifestKey('songs', RUN_DATE))).toString());
    expect(manifest.attempts).toBe(3);
    expect(allFiles(dir)).toHaveLength(3);
  });

  it('fails at once on a non-transient database error, naming the source and the SQLSTATE', async () => {
    const inner = urlConnectionFactory(url);
    const wrongTable: PgConnectionFactory = {
      description: inner.description,
      async connect() {
        const client = await inner.connect();
        const query = client.query.bind(client) as (...args: unknown[]) => unknown;
        (client as unknown as { query: unknown }).query = (...args: unknown[]) => {
          const cursor = args[0] as { text?: string };
          if (typeof cursor === 'object' && cursor.text)
            cursor.text = cursor.text.replace('deftunes.songs', 'songs');
          return query(...args);
        };
        return client;
      },
    };
    const error = await failureOf(
      runExtractSongs({ run_date: RUN_DATE }, { store, connections: wrongTable, sleep: noSleep }),
    );
    expect(error.message).toContain(`from ${inner.description}#deftunes.songs failed on attempt 1`);
    expect(error.message).toContain('last status SQLSTATE 42P01');
    expect(error.message).toContain('relation "songs" does not exist');
    expect(await store.exists(landingManifestKey('songs', RUN_DATE))).toBe(false);
  });

  it('gives up after the attempts with the last error', async () => {
    const refused: PgConnectionFactory = {
      description: 'postgresql://db.invalid:5432/deftunes',
      async connect() {
        throw Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:5432'), { code: 'ECONNREFUSED' });
      },
    };
    const error = await failureOf(
      runExtractSongs(
        { run_date: RUN_DATE },
        { store, connections: refused, sleep: noSleep, retryPolicy: { maxAttempts: 3 } },
      ),
    );
    expect(error.message).toBe(
      'Extract of songs for 2020-02-01 from postgresql://db.invalid:5432/deftunes#deftunes.songs failed after 3 attempts ' +
        '(last status ECONNREFUSED): connect ECONNREFUSED 10.0.0.1:5432',
    );
  });
});

describe('songs credentials from Secrets Manager', () => {
  const secrets = mockClient(SecretsManagerClient);
  const SECRET_ID = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:deftunes/songs-db-AbCdEf';
  const secret = {
    engine: 'postgres',
    host: 'songs.cluster-abc.eu-west-1.rds.amazonaws.com',
    port: 5432,
    username: 'extractor',
    password: 'first-password',
    dbname: 'deftunes',
  };

  beforeEach(() => secrets.reset());

  it('reads an RDS-shaped secret', async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ ...secret, port: '5433' }) });
    expect(await readDbSecret(new SecretsManagerClient({}), SECRET_ID)).toEqual({ ...secret, port: 5433 });
    expect(secrets).toHaveReceivedCommandWith(GetSecretValueCommand, { SecretId: SECRET_ID });
  });

  it('names the secret and the bad fields, never the values', async () => {
    secrets
      .on(GetSecretValueCommand)
      .resolves({ SecretString: JSON.stringify({ host: 'h', password: 'hunter2' }) });
    const error = await failureOf(readDbSecret(new SecretsManagerClient({}), SECRET_ID));
    expect(error.message).toBe(
      `Secret ${SECRET_ID} is not a database secret: username: ${'Invalid input: expected string, received undefined'}`,
    );
    expect(error.message).not.toContain('hunter2');
    secrets.on(GetSecretValueCommand).resolves({ SecretString: 'user=x password=y' });
    await expect(readDbSecret(new SecretsManagerClient({}), SECRET_ID)).rejects.toThrow(
      `Secret ${SECRET_ID} is not JSON`,
    );
  });

  it('connects over verified TLS with the secret, caches it, and re-reads it once when the password was rotated', async () => {
    secrets
      .on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: JSON.stringify(secret) })
      .resolves({ SecretString: JSON.stringify({ ...secret, password: 'rotated-password' }) });
    const configs: ClientConfig[] = [];
    const statements: string[] = [];
    const newClient = (config: ClientConfig) =>
      ({
        async connect() {
          configs.push(config);
          if (config.password !== 'rotated-password') {
            throw Object.assign(new Error('password authentication failed for user "extractor"'), {
              code: '28P01',
            });
          }
        },
        async query(sql: string) {
          statements.push(sql);
          return { rows: [] };
        },
        async end() {},
      }) as unknown as Client;
    const factory = secretsManagerConnectionFactory(
      new SecretsManagerClient({}),
      SECRET_ID,
      undefined,
      newClient,
    );
    await factory.connect();
    await factory.connect();
    expect(secrets).toHaveReceivedCommandTimes(GetSecretValueCommand, 2);
    expect(configs.map((config) => config.password)).toEqual([
      'first-password',
      'rotated-password',
      'rotated-password',
    ]);
    expect(configs[0]).toMatchObject({
      host: secret.host,
      port: 5432,
      user: 'extractor',
      database: 'deftunes',
      ssl: { rejectUnauthorized: true, servername: secret.host },
    });
    expect(factory.description).toBe(`postgresql://${secret.host}:5432/deftunes`);
    expect(statements).toEqual(['SET statement_timeout = 120000', 'SET statement_timeout = 120000']);
  });

  it('refuses a server that does not speak TLS', async () => {
    const { hostname: host, port } = new URL(url);
    secrets.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ ...secret, host, port }) });
    const factory = secretsManagerConnectionFactory(new SecretsManagerClient({}), SECRET_ID);
    await expect(factory.connect()).rejects.toThrow(/does not support SSL/);
  });
});
