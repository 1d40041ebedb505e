import { PassThrough } from 'node:stream';
import { ExtractApiEnvSchema } from '../../lambdas/extract-api';
import { ExtractSongsEnvSchema } from '../../lambdas/extract-songs';
import { ConfigError, readEnv } from '../../lambdas/shared/config';
import { createLogger, createMetrics } from '../../lib/local/run-log';
import { backoffDelay, DEFAULT_RETRY_POLICY, parseRetryAfter } from '../../lambdas/shared/retry';
import { CompactKeySet } from '../../lambdas/shared/key-set';
import { MetricUnit } from '@aws-lambda-powertools/metrics';

function lines(stream: PassThrough): Array<Record<string, unknown>> {
  const text = (stream.read() as Buffer | null)?.toString('utf8') ?? '';
  return text
    .trimEnd()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('readEnv', () => {
  it('parses and defaults the extract-api environment', () => {
    const env = readEnv(ExtractApiEnvSchema, 'extract-api', {
      LANDING_BUCKET: 'deftunes-landing-123',
      API_BASE_URL: 'https://api.example.com/v1',
      EARLIEST_RUN_DATE: '2020-01-01',
      RUN_DATE_TIME_ZONE: 'Europe/Paris',
      HTTP_MAX_ATTEMPTS: '8',
      API_MAX_RECORD_DEPTH: '16',
    });
    expect(env).toEqual({
      LANDING_BUCKET: 'deftunes-landing-123',
      API_BASE_URL: 'https://api.example.com/v1',
      HTTP_MAX_ATTEMPTS: 8,
      HTTP_RESPONSE_TIMEOUT_MS: 30_000,
      HTTP_IDLE_TIMEOUT_MS: 30_000,
      RETRY_BASE_DELAY_MS: 250,
      RETRY_MAX_DELAY_MS: 20_000,
      EARLIEST_RUN_DATE: '2020-01-01',
      RUN_DATE_TIME_ZONE: 'Europe/Paris',
      API_MAX_RECORD_BYTES: 1024 * 1024,
      API_MAX_RECORD_DEPTH: 16,
      API_MAX_STRING_BYTES: 64 * 1024,
      SESSIONS_LOOKBACK_DAYS: 1,
    });
  });

  it('names every missing or malformed variable', () => {
    let error: unknown;
    try {
      readEnv(ExtractApiEnvSchema, 'extract-api', { API_BASE_URL: 'ftp://x', HTTP_MAX_ATTEMPTS: 'many' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toMatch(/^Invalid environment for extract-api: /);
    expect(message).toContain('LANDING_BUCKET is required (must be set to the bucket name)');
    expect(message).toContain('API_BASE_URL="ftp://x": must be an http(s) URL');
    expect(message).toContain('HTTP_MAX_ATTEMPTS="many": must be an integer in [1, 20]');
  });

  it('requires the songs secret id', () => {
    expect(() => readEnv(ExtractSongsEnvSchema, 'extract-songs', { LANDING_BUCKET: 'bucket-a' })).toThrow(
      'Invalid environment for extract-songs: SONGS_DB_SECRET_ID is required',
    );
  });
});

describe('logging to a destination stream', () => {
  it('writes Powertools JSON log lines to the destination, children included', () => {
    const destination = new PassThrough();
    const logger = createLogger({ serviceName: 'extract-api', destination });
    logger.info('extract started', { entity: 'sessions', run_date: '2020-02-01' });
    logger.createChild({ persistentKeys: { part: 'child' } }).warn('retrying', { attempt: 2 });
    logger.debug('not at INFO');
    const [first, second, ...rest] = lines(destination);
    expect(first).toMatchObject({
      level: 'INFO',
      message: 'extract started',
      service: 'extract-api',
      entity: 'sessions',
      run_date: '2020-02-01',
    });
    expect(typeof first.timestamp).toBe('string');
    expect(second).toMatchObject({ level: 'WARN', message: 'retrying', attempt: 2, part: 'child' });
    expect(rest).toEqual([]);
  });

  it('serialises errors with name, message and stack', () => {
    const destination = new PassThrough();
    createLogger({ serviceName: 'x', destination }).error('failed', { error: new Error('boom') });
    const [line] = lines(destination);
    expect(line.error).toMatchObject({ name: 'Error', message: 'boom' });
  });

  it('writes EMF metric documents to the destination', () => {
    const destination = new PassThrough();
    const metrics = createMetrics({ serviceName: 'extract-api', destination });
    metrics.addDimension('entity', 'sessions');
    metrics.addMetric('RecordsLanded', MetricUnit.Count, 42);
    metrics.publishStoredMetrics();
    metrics.publishStoredMetrics(); // nothing stored: nothing written
    const [emf, ...rest] = lines(destination);
    expect(rest).toEqual([]);
    expect(emf).toMatchObject({ RecordsLanded: 42, entity: 'sessions', service: 'extract-api' });
    const aws = emf._aws as { CloudWatchMetrics: Array<{ Namespace: string; Metrics: unknown[] }> };
    expect(aws.CloudWatchMetrics[0]).toMatchObject({
      Namespace: 'DeFtunes',
      Metrics: [{ Name: 'RecordsLanded', Unit: 'Count' }],
    });
  });
});

describe('retry arithmetic', () => {
  it('parses Retry-After as seconds or an HTTP date', () => {
    const now = new Date('2020-02-01T00:00:00Z');
    expect(parseRetryAfter('12', now)).toBe(12_000);
    expect(parseRetryAfter('Sat, 01 Feb 2020 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Fri, 31 Jan 2020 00:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });

  it('caps the exponential bound and jitters below it', () => {
    const policy = { ...DEFAULT_RETRY_POLICY, baseDelayMs: 100, maxDelayMs: 1000 };
    const bounds = [1, 2, 3, 4, 5, 10, 50].map((retry) => backoffDelay(policy, retry, () => 0.9999999));
    expect(bounds).toEqual([99, 199, 399, 799, 999, 999, 999]);
    expect(backoffDelay(policy, 3, () => 0)).toBe(0);
  });
});

describe('CompactKeySet', () => {
  it('detects repeats of UUIDs (any case) and other keys across growth', () => {
    const set = new CompactKeySet(16);
    const ids = Array.from(
      { length: 5000 },
      (_, i) => `${i.toString(16).padStart(8, '0')}-0000-4000-8000-000000000000`,
    );
    for (const id of ids) expect(set.add(id)).toBe(true);
    for (const id of ids) expect(set.add(id.toUpperCase())).toBe(false);
    expect(set.size).toBe(5000);
    expect(set.add('TRAAAAW128F429D538')).toBe(true);
    expect(set.add('TRAAAAW128F429D538')).toBe(false);
    expect(set.has('TRAAAAW128F429D539')).toBe(false);
  });
});
