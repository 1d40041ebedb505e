import { createHash, randomBytes } from 'node:crypto';
import { pipeline, Readable, Transform } from 'node:stream';
import type { ObjectStore } from '../../lambdas/shared/object-store';
import { runExtractApi, type ExtractApiDeps } from '../../lambdas/extract-api/extract-api';
import { landingDataKey, landingManifestKey, quarantineKey } from '../../lambdas/shared/landing-keys';
import { LandingManifestSchema } from '../../lambdas/shared/landing-manifest';
import { LocalObjectStore } from '../../lib/local/adapters/local-object-store';
import {
  failureOf,
  allFiles,
  chunked,
  connectionReset,
  noSleep,
  readJsonLines,
  scriptedFetch,
  session,
  tempDir,
  user,
} from './helpers';

const RUN_DATE = '2020-02-01';
/** Sessions are extracted with a one-day look-back by default. */
const LOOKBACK_START = '2020-01-31';
const API = 'http://api.test/v1';

let dir: string;
let cleanup: () => void;
let store: LocalObjectStore;

beforeEach(() => {
  ({ dir, cleanup } = tempDir());
  store = new LocalObjectStore(dir);
});
afterEach(() => cleanup());

const fixedNow = () => new Date('2020-02-02T03:00:00.000Z');

/** runExtractApi on the test store and API, answered by `fetch`; `deps` adds to or overrides them. */
const extract = (input: unknown, fetch: ExtractApiDeps['fetch'], deps: Partial<ExtractApiDeps> = {}) =>
  runExtractApi(input, { store, apiBaseUrl: API, fetch, ...deps });

describe('runExtractApi: landing', () => {
  it('lands valid sessions, quarantines invalid and duplicate ones with reason and position, writes the manifest', async () => {
    const good = [session(), session(), session()];
    const invalidPrice = session({
      session_items: [{ ...(session().session_items as object[])[0], price: 250 }],
    });
    const duplicate = { ...good[1], user_agent: 'curl' };
    const records = [good[0], invalidPrice, good[1], 'not an object', duplicate, good[2]];
    const fetch = scriptedFetch([{ chunks: chunked(JSON.stringify(records)) }]);

    const result = await extract({ run_date: RUN_DATE, entity: 'sessions' }, fetch, {
      sleep: noSleep,
      now: fixedNow,
    });

    expect(fetch.calls).toEqual([`${API}/sessions?start_date=${LOOKBACK_START}&end_date=${RUN_DATE}`]);
    expect(result).toEqual({
      entity: 'sessions',
      run_date: RUN_DATE,
      key: landingDataKey('sessions', RUN_DATE),
      manifest_key: landingManifestKey('sessions', RUN_DATE),
      records: 3,
      rejected: 3,
    });
    expect(await readJsonLines(store, landingDataKey('sessions', RUN_DATE))).toEqual(good);

    const quarantined = (await readJsonLines(store, quarantineKey('sessions', RUN_DATE))) as Array<{
      reason: string;
      record: unknown;
      position: number;
    }>;
    expect(quarantined.map((entry) => entry.position)).toEqual([1, 3, 4]);
    expect(quarantined[0].reason).toMatch(/^invalid: session_items\.0\.price: /);
    expect(quarantined[0].record).toEqual(invalidPrice);
    expect(quarantined[1].reason).toMatch(/^invalid: \(record\): /);
    expect(quarantined[1].record).toBe('not an object');
    expect(quarantined[2].reason).toBe(
      `duplicate: session_id ${String(good[1].session_id)} appeared earlier in this extract`,
    );

    const manifest = LandingManifestSchema.parse(
      JSON.parse((await store.getObject(landingManifestKey('sessions', RUN_DATE))).toString('utf8')),
    );
    const dataBytes = await store.getObject(manifest.key);
    const quarantineBytes = await store.getObject(manifest.quarantine.key);
    expect(manifest).toMatchObject({
      entity: 'sessions',
      run_date: RUN_DATE,
      records: 3,
      rejected: 3,
      bytes: dataBytes.length,
      sha256: createHash('sha256').update(dataBytes).digest('hex'),
      window: { start_date: LOOKBACK_START, end_date: RUN_DATE },
      source_url: fetch.calls[0],
      extracted_at: '2020-02-02T03:00:00.000Z',
      attempts: 1,
      quarantine: {
        key: quarantineKey('sessions', RUN_DATE),
        records: 3,
        bytes: quarantineBytes.length,
        sha256: createHash('sha256').update(quarantineBytes).digest('hex'),
      },
    });
    // Deterministic gzip: no file name, mtime 0.
    expect(dataBytes.subarray(0, 10)).toEqual(Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0x03]));
  });

  it('asks for the users snapshot from the epoch and validates users with their schema', async () => {
    const good = user();
    const badCountry = user({ user_location: ['1.0', '2.0', 'Somewhere', 'gbr', 'Europe/London'] });
    const fetch = scriptedFetch([{ chunks: [JSON.stringify([good, badCountry])] }]);
    const result = await runExtractApi(
      { run_date: RUN_DATE, entity: 'users' },
      { store, apiBaseUrl: `${API}/`, fetch },
    );
    expect(fetch.calls).toEqual([`${API}/users?start_date=1970-01-01&end_date=${RUN_DATE}`]);
    expect(result).toMatchObject({ records: 1, rejected: 1, key: landingDataKey('users', RUN_DATE) });
    const [entry] = (await readJsonLines(store, quarantineKey('users', RUN_DATE))) as Array<{
      reason: string;
    }>;
    expect(entry.reason).toContain('user_location.3: country must be an ISO 3166-1 alpha-2 code');
  });

  it('writes an empty (valid gzip) quarantine when nothing is rejected and lands an empty day', async () => {
    const fetch = scriptedFetch([{ chunks: ['[]'] }]);
    const result = await extract({ run_date: RUN_DATE, entity: 'sessions' }, fetch);
    expect(result).toMatchObject({ records: 0, rejected: 0 });
    expect(await readJsonLines(store, landingDataKey('sessions', RUN_DATE))).toEqual([]);
    expect(await readJsonLines(store, quarantineKey('sessions', RUN_DATE))).toEqual([]);
  });

  it('re-running a date replaces the same objects with identical bytes', async () => {
    const body = JSON.stringify([session(), session({ session_items: [] }), session()]);
    const deps = { store, apiBaseUrl: API, sleep: noSleep };
    await runExtractApi(
      { run_date: RUN_DATE, entity: 'sessions' },
      { ...deps, fetch: scriptedFetch([{ chunks: chunked(body) }]) },
    );
    const first = await Promise.all([
      store.getObject(landingDataKey('sessions', RUN_DATE)),
      store.getObject(quarantineKey('sessions', RUN_DATE)),
    ]);
    const filesBefore = allFiles(dir);
    await runExtractApi(
      { run_date: RUN_DATE, entity: 'sessions' },
      { ...deps, fetch: scriptedFetch([{ chunks: chunked(body, 13) }]) },
    );
    const second = await Promise.all([
      store.getObject(landingDataKey('sessions', RUN_DATE)),
      store.getObject(quarantineKey('sessions', RUN_DATE)),
    ]);
    expect(second[0].equals(first[0])).toBe(true);
    expect(second[1].equals(first[1])).toBe(true);
    expect(allFiles(dir)).toEqual(filesBefore);
  });

  it('rejects an invalid event naming the field', async () => {
    const fetch = scriptedFetch([{ chunks: ['[]'] }]);
    await expect(extract({ run_date: '2020-02-30', entity: 'sessions' }, fetch)).rejects.toThrow(
      /run_date: run_date is not a calendar date/,
    );
    await expect(extract({ run_date: RUN_DATE, entity: 'songs' }, fetch)).rejects.toThrow(
      /entity: entity must be "users" or "sessions"/,
    );
    expect(fetch.calls).toEqual([]);
  });
});

describe('runExtractApi: retries', () => {
  const event = { run_date: RUN_DATE, entity: 'sessions' };

  it('honours Retry-After on 429 and 503 instead of the computed backoff', async () => {
    const records = [session(), session()];
    const fetch = scriptedFetch([
      { status: 429, headers: { 'retry-after': '7' }, chunks: ['{"error":"slow down"}'] },
      { status: 503, headers: { 'retry-after': new Date(Date.now() + 3_000).toUTCString() } },
      { chunks: [JSON.stringify(records)] },
    ]);
    const sleeps: number[] = [];
    const result = await extract(event, fetch, {
      sleep: async (ms) => void sleeps.push(ms),
      random: () => 0,
    });
    expect(result.records).toBe(2);
    expect(sleeps[0]).toBe(7000);
    expect(sleeps[1]).toBeGreaterThan(1000);
    expect(sleeps[1]).toBeLessThanOrEqual(3000);
    const manifest = JSON.parse(
      (await store.getObject(landingManifestKey('sessions', RUN_DATE))).toString('utf8'),
    );
    expect(manifest.attempts).toBe(3);
  });

  it('caps a very long Retry-After at maxRetryAfterMs', async () => {
    const fetch = scriptedFetch([{ status: 429, headers: { 'retry-after': '3600' } }, { chunks: ['[]'] }]);
    const sleeps: number[] = [];
    await extract(event, fetch, {
      sleep: async (ms) => void sleeps.push(ms),
      retryPolicy: { maxRetryAfterMs: 5_000 },
    });
    expect(sleeps).toEqual([5_000]);
  });

  it('backs off exponentially with full jitter, capped, then fails naming the URL, last status and attempts', async () => {
    const fetch = scriptedFetch([{ status: 503 }]);
    const sleeps: number[] = [];
    const error = await failureOf(
      extract(event, fetch, {
        sleep: async (ms) => void sleeps.push(ms),
        random: () => 0.999999,
        retryPolicy: { maxAttempts: 7, baseDelayMs: 100, maxDelayMs: 1_000 },
      }),
    );
    expect(fetch.calls).toHaveLength(7);
    // Upper bounds 100, 200, 400, 800, then the 1000 cap; jitter draws just below each bound.
    expect(sleeps).toEqual([99, 199, 399, 799, 999, 999]);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('ExtractFailedError');
    expect(error.message).toContain(`${API}/sessions?start_date=${LOOKBACK_START}&end_date=${RUN_DATE}`);
    expect(error.message).toContain('failed after 7 attempts');
    expect(error.message).toContain('last status 503');
    expect(await store.exists(landingManifestKey('sessions', RUN_DATE))).toBe(false);
  });

  it('full jitter draws anywhere in [0, bound)', async () => {
    const fetch = scriptedFetch([{ status: 500 }, { status: 500 }, { chunks: ['[]'] }]);
    const sleeps: number[] = [];
    const draws = [0.5, 0.25];
    await extract(event, fetch, {
      sleep: async (ms) => void sleeps.push(ms),
      random: () => draws.shift() ?? 0,
      retryPolicy: { baseDelayMs: 1_000 },
    });
    expect(sleeps).toEqual([500, 500]);
  });

  it('fails at once on a non-retryable status', async () => {
    const fetch = scriptedFetch([{ status: 404, chunks: ['not found'] }]);
    await expect(extract(event, fetch, { sleep: noSleep })).rejects.toThrow(
      /failed on attempt 1 with a non-retryable client error \(last status 404\)/,
    );
    expect(fetch.calls).toHaveLength(1);
  });

  it('restarts cleanly after a connection reset mid-body: every record lands exactly once', async () => {
    const records = Array.from({ length: 500 }, () => session());
    const text = JSON.stringify(records);
    const chunks = chunked(text, 1024);
    const fetch = scriptedFetch([
      { chunks: chunks.slice(0, Math.floor(chunks.length / 2)), failAfterChunks: connectionReset() },
      { chunks: chunks.slice(0, 10), failAfterChunks: new TypeError('terminated') },
      { chunks },
    ]);
    const sleeps: number[] = [];
    const result = await extract(event, fetch, { sleep: async (ms) => void sleeps.push(ms) });
    expect(fetch.calls).toHaveLength(3);
    expect(sleeps).toHaveLength(2);
    expect(result).toMatchObject({ records: 500, rejected: 0 });
    expect(await readJsonLines(store, landingDataKey('sessions', RUN_DATE))).toEqual(records);
    // Nothing of the broken attempts is left behind: no temporary files, no extra objects.
    expect(allFiles(dir)).toEqual(
      [
        landingDataKey('sessions', RUN_DATE),
        landingManifestKey('sessions', RUN_DATE),
        quarantineKey('sessions', RUN_DATE),
      ].sort(),
    );
  });

  it('treats a body cut short (truncated JSON) as transient', async () => {
    const text = JSON.stringify([session(), session()]);
    const fetch = scriptedFetch([{ chunks: [text.slice(0, text.length - 20)] }, { chunks: [text] }]);
    const result = await extract(event, fetch, { sleep: noSleep });
    expect(result.records).toBe(2);
    expect(fetch.calls).toHaveLength(2);
  });

  it('fails at once when the body is not a JSON array', async () => {
    const fetch = scriptedFetch([{ chunks: ['{"sessions": []}'] }]);
    await expect(extract(event, fetch, { sleep: noSleep })).rejects.toThrow(
      /non-retryable.*the body is not a JSON array/,
    );
    expect(fetch.calls).toHaveLength(1);
  });

  it('retries connection errors and response timeouts, then names the missing status', async () => {
    const fetch = scriptedFetch([
      { reject: Object.assign(new TypeError('fetch failed'), { cause: connectionReset() }) },
      { hang: true },
    ]);
    const error = await failureOf(
      extract(event, fetch, {
        sleep: noSleep,
        retryPolicy: { maxAttempts: 3 },
        timeouts: { responseTimeoutMs: 50, idleTimeoutMs: 50 },
      }),
    );
    expect(fetch.calls).toHaveLength(3);
    expect(error.message).toContain('failed after 3 attempts (no status received)');
    expect(error.message).toContain('no response within 50 ms');
  });

  it('retries a body that stalls longer than the idle timeout', async () => {
    const text = JSON.stringify([session()]);
    const fetch = scriptedFetch([{ chunks: [text.slice(0, 30)], stall: true }, { chunks: [text] }]);
    const result = await extract(event, fetch, {
      sleep: noSleep,
      timeouts: { responseTimeoutMs: 1_000, idleTimeoutMs: 50 },
    });
    expect(result.records).toBe(1);
    expect(fetch.calls).toHaveLength(2);
  });

  it('does not take a slow upload (backpressure) for a stalled source', async () => {
    // The store stalls 400 ms on its first chunk; meanwhile gzip's input buffer fills and the extractor stops
    // reading the source for much longer than the idle timeout.
    let stalled = false;
    const slowStore: ObjectStore = Object.assign(Object.create(store) as ObjectStore, {
      putStream: (key: string, body: Readable) =>
        store.putStream(
          key,
          pipeline(
            body,
            new Transform({
              transform(chunk: Buffer, _encoding, callback) {
                if (stalled) return callback(null, chunk);
                stalled = true;
                setTimeout(() => callback(null, chunk), 400);
              },
            }),
            () => undefined,
          ),
        ),
    });
    const records = Array.from({ length: 2000 }, () =>
      session({ note: randomBytes(900).toString('base64') }),
    );
    const fetch = scriptedFetch([{ chunks: chunked(JSON.stringify(records), 64 * 1024) }]);
    const result = await runExtractApi(event, {
      store: slowStore,
      apiBaseUrl: API,
      fetch,
      sleep: noSleep,
      timeouts: { responseTimeoutMs: 1_000, idleTimeoutMs: 50 },
    });
    expect(fetch.calls).toHaveLength(1);
    expect(result.records).toBe(2000);
  });

  it('deletes the previous manifest first, so a failed re-run leaves the extract incomplete', async () => {
    await extract(event, scriptedFetch([{ chunks: ['[]'] }]));
    expect(await store.exists(landingManifestKey('sessions', RUN_DATE))).toBe(true);
    await expect(
      extract(event, scriptedFetch([{ status: 500 }]), { sleep: noSleep, retryPolicy: { maxAttempts: 2 } }),
    ).rejects.toThrow(/last status 500/);
    expect(await store.exists(landingManifestKey('sessions', RUN_DATE))).toBe(false);
  });
});
