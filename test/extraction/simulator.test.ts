/**
 * The extractors against the API simulator with request faults (30% of requests fail: 500, 503, 429,
 * resets before and in the middle of the body, slow answers) and bad records (2%), checked against the
 * simulator's ground truth (`GET /_truth`).
 */
import { runExtractApi } from '../../lambdas/extract-api/extract-api';
import { runExtractSongs } from '../../lambdas/extract-songs/extract-songs';
import { urlConnectionFactory } from '../../lib/local/adapters/pg-url-connection';
import { landingDataKey, landingManifestKey, quarantineKey } from '../../lambdas/shared/landing-keys';
import { LandingManifestSchema, type LandingManifest } from '../../lambdas/shared/landing-manifest';
import { LocalObjectStore } from '../../lib/local/adapters/local-object-store';
import { startSources, type DayTruth, type RunningSources } from '../../lib/local/simulator';
import { allFiles, noSleep, readJsonLines, tempDir } from './helpers';

const RUN_DATE = '2020-03-14';
const DAY = Date.parse(`${RUN_DATE}T00:00:00Z`) / 86_400_000;

let sources: RunningSources;
let truth: DayTruth;
let dir: string;
let cleanup: () => void;
let store: LocalObjectStore;

interface QuarantineEntry {
  reason: string;
  record: Record<string, unknown>;
  position: number;
}

beforeAll(async () => {
  // Scale 10: ~10,000 session items a day, ~10,000 users in the snapshot. Request faults come from one
  // seeded stream in arrival order; with seed 7 the first two requests are reset in the middle of the body.
  sources = await startSources({
    seed: 7,
    scale: 10,
    faultRate: 0.3,
    badRecordRate: 0.02,
    slowResponseMs: 100,
  });
  const response = await fetch(`${sources.apiUrl}/_truth?date=${RUN_DATE}`);
  truth = (await response.json()) as DayTruth;
  ({ dir, cleanup } = tempDir('deftunes-sim-'));
  store = new LocalObjectStore(dir);
});

afterAll(async () => {
  await sources.close();
  cleanup();
});

async function manifestOf(entity: 'users' | 'sessions' | 'songs'): Promise<LandingManifest> {
  return LandingManifestSchema.parse(
    JSON.parse((await store.getObject(landingManifestKey(entity, RUN_DATE))).toString()),
  );
}

async function requestsSoFar(): Promise<number> {
  const faults = (await (await fetch(`${sources.apiUrl}/_faults`)).json()) as { requests: number };
  return faults.requests;
}

const deps = () => ({
  store,
  apiBaseUrl: sources.apiUrl,
  sleep: noSleep,
  retryPolicy: { maxAttempts: 12 },
  // One day's sessions, to compare with that day's truth (the look-back has its own test).
  sessionsLookbackDays: 0,
});

describe('extract-api against the simulator (fault rate 0.3, bad record rate 0.02)', () => {
  it('sessions: every good record lands exactly once, every corrupted one is where the truth says', async () => {
    const requestsBefore = await requestsSoFar();
    const result = await runExtractApi({ run_date: RUN_DATE, entity: 'sessions' }, deps());
    const manifest = await manifestOf('sessions');
    // The extract read the body as many times as it sent requests (faults made it retry).
    expect(manifest.attempts).toBe((await requestsSoFar()) - requestsBefore);

    // What must land: clean sessions, the first copy of a duplicate, and records only the quality gate can catch.
    const expected: unknown[] = [];
    for (const served of sources.world.servedSessions(DAY, DAY)) {
      const corruption = served.corruption;
      if (!corruption) expected.push(served.records[0]);
      else if (corruption.kind === 'duplicate_session') expected.push(served.records[0]);
      else if (corruption.caught_by === 'quality') expected.push(served.records[0]);
    }
    const landed = await readJsonLines(store, landingDataKey('sessions', RUN_DATE));
    expect(landed).toEqual(expected);
    expect(landed).toHaveLength(truth.sessions.extract_valid);
    const ids = (landed as Array<{ session_id: string }>).map((record) => record.session_id);
    expect(new Set(ids).size).toBe(ids.length);

    const corrupted = truth.corrupted.filter((entry) => entry.entity === 'sessions');
    const byExtract = corrupted.filter((entry) => entry.caught_by === 'extract');
    const byQuality = corrupted.filter((entry) => entry.caught_by === 'quality');
    expect(byExtract.length).toBeGreaterThan(5);
    expect(byQuality.length).toBeGreaterThan(0);

    const quarantined = (await readJsonLines(
      store,
      quarantineKey('sessions', RUN_DATE),
    )) as QuarantineEntry[];
    expect(quarantined).toHaveLength(byExtract.length);
    expect(result).toMatchObject({ records: expected.length, rejected: byExtract.length });
    for (const fault of byExtract) {
      if (fault.entity !== 'sessions') continue;
      const entries = quarantined.filter((entry) => entry.record.session_id === fault.session_id);
      expect(entries).toHaveLength(1);
      const [entry] = entries;
      if (fault.kind === 'duplicate_session') {
        expect(entry.reason).toBe(
          `duplicate: session_id ${fault.session_id} appeared earlier in this extract`,
        );
      } else {
        // The reason names the damaged field (a missing field inside an item is reported at the item's path).
        expect(entry.reason).toMatch(/^invalid: /);
        expect(entry.reason).toContain(fault.field);
      }
    }
    // Quality-gate faults landed, unchanged.
    for (const fault of byQuality) {
      if (fault.entity !== 'sessions') continue;
      const record = landed.find(
        (candidate) => (candidate as { session_id: string }).session_id === fault.session_id,
      );
      expect(JSON.stringify(record)).toContain(String(fault.served_value));
    }
  });

  it('users: the snapshot from the epoch lands the good users once and quarantines the corrupted ones', async () => {
    const result = await runExtractApi({ run_date: RUN_DATE, entity: 'users' }, deps());
    const expected: unknown[] = [];
    for (const served of sources.world.servedUsers(-1_000_000, DAY)) {
      if (
        !served.corruption ||
        served.corruption.kind === 'duplicate_user' ||
        served.corruption.caught_by === 'quality'
      ) {
        expected.push(served.records[0]);
      }
    }
    const landed = await readJsonLines(store, landingDataKey('users', RUN_DATE));
    expect(landed).toEqual(expected);
    expect(landed).toHaveLength(truth.users.extract_valid);

    const byExtract = truth.corrupted.filter(
      (entry) => entry.entity === 'users' && entry.caught_by === 'extract',
    );
    expect(byExtract.length).toBeGreaterThan(5);
    const quarantined = (await readJsonLines(store, quarantineKey('users', RUN_DATE))) as QuarantineEntry[];
    expect(quarantined).toHaveLength(byExtract.length);
    expect(result).toMatchObject({ records: expected.length, rejected: byExtract.length });
    for (const fault of byExtract) {
      if (fault.entity !== 'users') continue;
      const servedId = fault.kind === 'bad_uuid' ? fault.served_value : fault.user_id;
      const entries = quarantined.filter((entry) => entry.record.user_id === servedId);
      expect(entries).toHaveLength(1);
      expect(entries[0].reason).toMatch(
        fault.kind === 'duplicate_user' ? /^duplicate: user_id / : /^invalid: /,
      );
      if (fault.kind !== 'duplicate_user') expect(entries[0].reason).toContain(fault.field);
    }
    const manifest = await manifestOf('users');
    expect(manifest.window).toEqual({ start_date: '1970-01-01', end_date: RUN_DATE });
  });

  it('songs: the whole catalog lands once', async () => {
    const result = await runExtractSongs(
      { run_date: RUN_DATE },
      { store, connections: urlConnectionFactory(sources.songsDbUrl), sleep: noSleep },
    );
    expect(result).toMatchObject({ records: sources.world.scale.songs, rejected: 0 });
  });

  it('a re-run of the date leaves byte-identical landing objects (only manifest timestamps differ)', async () => {
    const keys = (await store.list('')).filter((key) => !key.endsWith('_manifest.json'));
    expect(keys).toHaveLength(6);
    const before = new Map<string, Buffer>();
    for (const key of keys) before.set(key, await store.getObject(key));
    const manifestsBefore = await Promise.all((['users', 'sessions', 'songs'] as const).map(manifestOf));
    const files = allFiles(dir);

    const manifestsAfter: LandingManifest[] = [];
    for (let round = 0; round < 3; round++) {
      await runExtractApi({ run_date: RUN_DATE, entity: 'sessions' }, deps());
      await runExtractApi({ run_date: RUN_DATE, entity: 'users' }, deps());
      await runExtractSongs(
        { run_date: RUN_DATE },
        { store, connections: urlConnectionFactory(sources.songsDbUrl) },
      );
      manifestsAfter.push(...(await Promise.all((['users', 'sessions', 'songs'] as const).map(manifestOf))));
    }

    expect(allFiles(dir)).toEqual(files);
    for (const key of keys) expect((await store.getObject(key)).equals(before.get(key)!)).toBe(true);
    // The faults were real: across both runs, the API extracts needed retries.
    const apiAttempts = [...manifestsBefore, ...manifestsAfter]
      .filter((m) => m.entity !== 'songs')
      .map((m) => m.attempts);
    expect(Math.max(...apiAttempts)).toBeGreaterThan(1);
    const stable = (manifest: LandingManifest) => ({
      ...manifest,
      extracted_at: undefined,
      attempts: undefined,
    });
    expect(manifestsAfter.map(stable)).toEqual([0, 1, 2].flatMap(() => manifestsBefore.map(stable)));
  });
});
