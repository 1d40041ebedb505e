/**
 * The enrichment Lambda entry points: environment validation, the API key read from Secrets Manager
 * (mocked with aws-sdk-client-mock) once per container and read again after the source refused it, and
 * the S3 landing (mocked) of a run against the real simulator.
 */
import { DeleteObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { landingManifestKey } from '../../lambdas/shared/landing-keys';
import { InvalidApiKeyError } from '../../lambdas/shared/api-key';
import { handler as concertsHandler } from '../../lambdas/extract-concerts';
import { handler as artistStatsHandler } from '../../lambdas/extract-artist-stats';
import { startSources, type RunningSources } from '../../lib/local/simulator';
import { failureOf } from './helpers';
import { LAMBDA_CONTEXT } from '../lambda-context';

const s3 = mockClient(S3Client);
const secrets = mockClient(SecretsManagerClient);
const RUN_DATE = '2020-03-14';
const KEY = 'handler-key-5d1';
const SECRET_ID = 'deftunes/test/concerts-api-key';

const savedEnv = { ...process.env };
let sources: RunningSources;
let stdoutWrite: jest.SpyInstance;
let stderrWrite: jest.SpyInstance;
/** What the handlers printed (Powertools: info to stdout, errors to stderr). */
let stdout: string[];

beforeAll(async () => {
  sources = await startSources({ seed: 4, enrichmentApiKey: KEY, enrichmentRateLimit: 100 });
});
afterAll(() => sources.close());

beforeEach(() => {
  s3.reset();
  secrets.reset();
  stdout = [];
  process.env.AWS_REGION = 'eu-west-1';
  Object.assign(process.env, { EARLIEST_RUN_DATE: '2020-01-01', RUN_DATE_TIME_ZONE: 'Europe/Paris' });
  const capture = (chunk: string | Uint8Array) => {
    stdout.push(String(chunk));
    return true;
  };
  stdoutWrite = jest.spyOn(process.stdout, 'write').mockImplementation(capture);
  stderrWrite = jest.spyOn(process.stderr, 'write').mockImplementation(capture);
});

afterEach(() => {
  stdoutWrite.mockRestore();
  stderrWrite.mockRestore();
  process.env = { ...savedEnv };
});

describe('extract-concerts handler', () => {
  it('fails naming every missing variable before reading any secret', async () => {
    await expect(concertsHandler({ run_date: RUN_DATE }, LAMBDA_CONTEXT)).rejects.toThrow(
      /^Invalid environment for extract-concerts: LANDING_BUCKET is required .*CONCERTS_API_URL is required .*CONCERTS_API_KEY_SECRET_ID is required .*ENRICHMENT_SETTINGS is required/,
    );
    expect(secrets.calls()).toHaveLength(0);
  });

  function concertsEnv(): void {
    Object.assign(process.env, {
      LANDING_BUCKET: 'deftunes-landing-test',
      CONCERTS_API_URL: sources.concertsApiUrl,
      CONCERTS_API_KEY_SECRET_ID: SECRET_ID,
      ENRICHMENT_SETTINGS: JSON.stringify({ countries: ['GB'], requestsPerSecond: 50 }),
      HTTP_MAX_ATTEMPTS: '2',
    });
    s3.on(DeleteObjectCommand).resolves({});
    s3.on(PutObjectCommand).callsFake(async (input: { Key: string; Body: unknown }) => {
      if (typeof input.Body !== 'string' && !(input.Body instanceof Uint8Array)) {
        for await (const _chunk of input.Body as AsyncIterable<Uint8Array>);
      }
      puts.add(input.Key);
      return {};
    });
  }
  const puts = new Set<string>();

  it('fails with InvalidApiKeyError when the secret holds a refused key, and reads the secret again next time', async () => {
    concertsEnv();
    secrets.on(GetSecretValueCommand, { SecretId: SECRET_ID }).resolves({ SecretString: 'stale-key-000' });
    const error = await failureOf(concertsHandler({ run_date: RUN_DATE }, LAMBDA_CONTEXT));
    expect(error).toBeInstanceOf(InvalidApiKeyError);
    expect(error.message).toContain('apikey=***');
    expect(error.message).not.toContain('stale-key-000');
    expect(stdout.join('')).toContain('extract failed');
    expect(stdout.join('')).not.toContain('stale-key-000');
    expect(puts.has(landingManifestKey('concerts', RUN_DATE))).toBe(false);

    // The key was rotated in the secret: the next invocation reads it again and lands.
    secrets.on(GetSecretValueCommand, { SecretId: SECRET_ID }).resolves({ SecretString: `${KEY}\n` });
    const truth = sources.world.concertsTruth(RUN_DATE, ['GB'], 30);
    const result = await concertsHandler({ run_date: RUN_DATE }, { awsRequestId: 'req-1' });
    expect(result).toMatchObject({ entity: 'concerts', run_date: RUN_DATE, records: truth.events.length });
    expect(puts.has(landingManifestKey('concerts', RUN_DATE))).toBe(true);
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(2);
    expect(stdout.join('')).not.toContain(KEY);
  });

  it('keeps the key for the life of the container: a warm invocation reads no secret', async () => {
    concertsEnv();
    const result = await concertsHandler({ run_date: RUN_DATE }, LAMBDA_CONTEXT);
    expect(result.entity).toBe('concerts');
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(0);
  });
});

describe('extract-artist-stats handler', () => {
  it('fails naming its missing variables, the songs database secret included', async () => {
    Object.assign(process.env, {
      LANDING_BUCKET: 'deftunes-landing-test',
      ARTIST_STATS_API_URL: sources.artistStatsApiUrl,
      ARTIST_STATS_API_KEY_SECRET_ID: 'deftunes/test/artist-stats-api-key',
      ENRICHMENT_SETTINGS: '{"countries": ["us"]}',
    });
    await expect(artistStatsHandler({ run_date: RUN_DATE }, LAMBDA_CONTEXT)).rejects.toThrow(
      /^Invalid environment for extract-artist-stats: SONGS_DB_SECRET_ID is required .*; ENRICHMENT_SETTINGS=.*countries\.0: must be an ISO 3166-1 alpha-2 code/,
    );
    expect(secrets.calls()).toHaveLength(0);
  });
});
