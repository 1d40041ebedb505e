/**
 * The Lambda entry points: configuration from the environment, the AWS adapters they build (S3, Secrets
 * Manager; mocked with aws-sdk-client-mock) and the result they hand to the state machine. A handler
 * builds its runtime on the first invocation whose environment is valid, so within each describe the
 * configuration error comes first.
 */
import { DeleteObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { landingDataKey, landingManifestKey } from '../../lambdas/shared/landing-keys';
import { handler as extractApiHandler } from '../../lambdas/extract-api';
import { handler as extractSongsHandler } from '../../lambdas/extract-songs';
import { session } from './helpers';
import { LAMBDA_CONTEXT } from '../lambda-context';

const s3 = mockClient(S3Client);
const secrets = mockClient(SecretsManagerClient);
const RUN_DATE = '2020-02-01';

const savedEnv = { ...process.env };
let stdoutWrite: jest.SpyInstance;
let stderrWrite: jest.SpyInstance;

beforeEach(() => {
  s3.reset();
  secrets.reset();
  process.env.AWS_REGION = 'eu-west-1'; // set by the Lambda runtime
  Object.assign(process.env, { EARLIEST_RUN_DATE: '2020-01-01', RUN_DATE_TIME_ZONE: 'Europe/Paris' });
  // Powertools writes to stdout in Lambda; keep the test output readable.
  stdoutWrite = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  stderrWrite = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
});

afterEach(() => {
  stdoutWrite.mockRestore();
  stderrWrite.mockRestore();
  process.env = { ...savedEnv };
});

describe('extract-api handler', () => {
  let server: Server;
  let apiUrl: string;
  const records = [session(), session(), { broken: true }];

  beforeAll(async () => {
    server = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(req.url?.startsWith('/v1/sessions?') ? records : []));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('fails naming the missing variables before doing anything', async () => {
    delete process.env.LANDING_BUCKET;
    delete process.env.API_BASE_URL;
    await expect(
      extractApiHandler({ run_date: RUN_DATE, entity: 'sessions' }, LAMBDA_CONTEXT),
    ).rejects.toThrow(
      /^Invalid environment for extract-api: LANDING_BUCKET is required .*; API_BASE_URL is required/,
    );
    expect(s3.calls()).toHaveLength(0);
  });

  it('extracts into the landing bucket and returns the small result, logging and publishing metrics to stdout', async () => {
    process.env.LANDING_BUCKET = 'deftunes-landing-test';
    process.env.API_BASE_URL = apiUrl;
    const puts: Record<string, Buffer> = {};
    s3.on(DeleteObjectCommand).resolves({});
    s3.on(PutObjectCommand).callsFake(async (input: { Key: string; Body: unknown }) => {
      const chunks: Buffer[] = [];
      if (typeof input.Body === 'string' || input.Body instanceof Uint8Array)
        chunks.push(Buffer.from(input.Body));
      else for await (const chunk of input.Body as AsyncIterable<Uint8Array>) chunks.push(Buffer.from(chunk));
      puts[input.Key] = Buffer.concat(chunks);
      return {};
    });

    const result = await extractApiHandler(
      { run_date: RUN_DATE, entity: 'sessions' },
      { awsRequestId: 'req-1' },
    );

    expect(result).toEqual({
      entity: 'sessions',
      run_date: RUN_DATE,
      key: landingDataKey('sessions', RUN_DATE),
      manifest_key: landingManifestKey('sessions', RUN_DATE),
      records: 2,
      rejected: 1,
    });
    expect(s3).toHaveReceivedCommandWith(PutObjectCommand, {
      Bucket: 'deftunes-landing-test',
      Key: landingDataKey('sessions', RUN_DATE),
    });
    expect(
      gunzipSync(puts[landingDataKey('sessions', RUN_DATE)]).toString().trimEnd().split('\n'),
    ).toHaveLength(2);
    const printed = stdoutWrite.mock.calls.map((call) => String(call[0])).join('');
    expect(printed).toContain('"message":"extract landed"');
    expect(printed).toContain('"function_request_id":"req-1"');
    expect(printed).toContain('"RecordsLanded":2');
  });

  it('refuses a run date after today in RUN_DATE_TIME_ZONE, calling neither the API nor S3', async () => {
    process.env.LANDING_BUCKET = 'deftunes-landing-test';
    process.env.API_BASE_URL = apiUrl;
    await expect(
      extractApiHandler({ run_date: '2999-01-01', entity: 'sessions' }, LAMBDA_CONTEXT),
    ).rejects.toThrow(/run date 2999-01-01 \(the event's run_date\) is after today, .* in Europe\/Paris/);
    expect(s3.calls()).toHaveLength(0);
  });
});

describe('extract-songs handler', () => {
  it('requires the secret id', async () => {
    process.env.LANDING_BUCKET = 'deftunes-landing-test';
    delete process.env.SONGS_DB_SECRET_ID;
    await expect(extractSongsHandler({ run_date: RUN_DATE }, LAMBDA_CONTEXT)).rejects.toThrow(
      'Invalid environment for extract-songs: SONGS_DB_SECRET_ID is required',
    );
  });

  it('reads the credentials from Secrets Manager and fails naming the database when it cannot connect', async () => {
    process.env.LANDING_BUCKET = 'deftunes-landing-test';
    process.env.SONGS_DB_SECRET_ID = 'deftunes/songs-db';
    process.env.DB_MAX_ATTEMPTS = '1';
    secrets.on(GetSecretValueCommand).resolves({
      SecretString: JSON.stringify({
        host: '127.0.0.1',
        port: 1,
        username: 'u',
        password: 'p',
        dbname: 'deftunes',
      }),
    });
    s3.on(DeleteObjectCommand).resolves({});
    await expect(extractSongsHandler({ run_date: RUN_DATE }, LAMBDA_CONTEXT)).rejects.toThrow(
      /^Extract of songs for 2020-02-01 from postgresql:\/\/127\.0\.0\.1:1\/deftunes#deftunes\.songs failed after 1 attempt \(last status ECONNREFUSED\): connect ECONNREFUSED 127\.0\.0\.1:1$/,
    );
    expect(secrets).toHaveReceivedCommandWith(GetSecretValueCommand, { SecretId: 'deftunes/songs-db' });
    expect(s3).toHaveReceivedCommandWith(DeleteObjectCommand, { Key: landingManifestKey('songs', RUN_DATE) });
    expect(s3).not.toHaveReceivedCommand(PutObjectCommand);
  });

  it('refuses a run date before EARLIEST_RUN_DATE without reading the secret', async () => {
    secrets.reset();
    await expect(extractSongsHandler({ run_date: '2019-12-31' }, LAMBDA_CONTEXT)).rejects.toThrow(
      /run date 2019-12-31 \(the event's run_date\) is before the earliest run date 2020-01-01 \(environment EARLIEST_RUN_DATE, RUN_DATE_TIME_ZONE\)/,
    );
    expect(secrets.calls()).toHaveLength(0);
    expect(s3.calls()).toHaveLength(0);
  });
});
