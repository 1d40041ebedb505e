import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import {
  SessionRecordSchema,
  SongRecordSchema,
  UserRecordSchema,
  type SessionRecord,
  type UserRecord,
} from '../../lambdas/shared/contracts';
import { startSources, type DayTruth, type RunningSources } from '../../lib/local/simulator';
import { parseDay } from '../../lib/local/simulator/time';

const DAY = '2020-02-01';

async function getJson<T = unknown>(url: string): Promise<{ status: number; body: T }> {
  const response = await fetch(url);
  return { status: response.status, body: (await response.json()) as T };
}

describe('API simulator and songs database (no faults)', () => {
  let sources: RunningSources;
  beforeAll(async () => {
    sources = await startSources({ seed: 21, port: 0, songsPort: 0 });
  });
  afterAll(() => sources?.close());

  it('serves a day of sessions that satisfy the contract, all within the day', async () => {
    const { status, body } = await getJson<SessionRecord[]>(
      `${sources.apiUrl}/sessions?start_date=${DAY}&end_date=${DAY}`,
    );
    expect(status).toBe(200);
    expect(body.length).toBeGreaterThan(30);
    for (const session of body) {
      expect(SessionRecordSchema.safeParse(session).error).toBeUndefined();
      expect(session.session_start_time.slice(0, 10)).toBe(DAY);
    }
  });

  it('filters by date: a window is the concatenation of its days, newest first', async () => {
    const window = await getJson<SessionRecord[]>(
      `${sources.apiUrl}/sessions?start_date=2020-01-30&end_date=${DAY}`,
    );
    const days: SessionRecord[] = [];
    for (const day of [DAY, '2020-01-31', '2020-01-30']) {
      days.push(
        ...(await getJson<SessionRecord[]>(`${sources.apiUrl}/sessions?start_date=${day}&end_date=${day}`))
          .body,
      );
    }
    expect(window.body).toEqual(days);
    expect(new Set(days.map((s) => s.session_start_time.slice(0, 10)))).toEqual(
      new Set(['2020-01-30', '2020-01-31', DAY]),
    );
  });

  it('serves the users snapshot of a day: users who joined by then, each valid, sized as _truth says', async () => {
    const { body } = await getJson<UserRecord[]>(
      `${sources.apiUrl}/users?start_date=2000-01-01&end_date=${DAY}`,
    );
    const truth = (await getJson<DayTruth>(`${sources.apiUrl}/_truth?date=${DAY}`)).body;
    expect(body.length).toBe(truth.users.snapshot_size);
    for (const user of body) {
      expect(UserRecordSchema.safeParse(user).error).toBeUndefined();
      expect(user.user_since <= `${DAY}T23:59:59Z`).toBe(true);
    }
    const january = (
      await getJson<UserRecord[]>(`${sources.apiUrl}/users?start_date=2020-01-01&end_date=2020-01-31`)
    ).body;
    expect(january.every((user) => user.user_since.startsWith('2020-01'))).toBe(true);
    expect(january.length).toBeGreaterThan(0);
  });

  it.each([
    ['/sessions?start_date=2020-02-01', 'end_date is required'],
    ['/sessions?start_date=2020-02-30&end_date=2020-03-01', 'start_date is not a calendar date'],
    ['/users?start_date=2020-2-1&end_date=2020-03-01', 'start_date must be a date YYYY-MM-DD'],
    [
      '/users?start_date=2020-03-01&end_date=2020-02-01',
      'start_date 2020-03-01 is after end_date 2020-02-01',
    ],
    ['/_truth', 'date is required'],
  ])('answers 400 naming the problem for %s', async (path, message) => {
    const { status, body } = await getJson<{ error: string }>(`${sources.apiUrl}${path}`);
    expect(status).toBe(400);
    expect(body.error).toContain(message);
  });

  it('answers 404 for an unknown route and 405 for a non-GET', async () => {
    expect((await fetch(`${sources.apiUrl}/songs`)).status).toBe(404);
    expect((await fetch(`${sources.apiUrl}/sessions`, { method: 'POST' })).status).toBe(405);
  });

  it('serves deftunes.songs over the Postgres wire protocol, as many rows as the generator makes', async () => {
    const client = new Client({ connectionString: sources.songsDbUrl });
    await client.connect();
    try {
      const count = await client.query<{ count: string }>('select count(*) from deftunes.songs');
      expect(Number(count.rows[0].count)).toBe(sources.world.catalog.size);
      const rows = await client.query('select * from deftunes.songs order by track_id limit 50');
      for (const row of rows.rows) expect(SongRecordSchema.safeParse(row).error).toBeUndefined();
      expect(rows.rows[0]).toEqual(
        [...sources.world.catalog.songs()]
          .map(({ price: _price, ...row }) => row)
          .sort((a, b) => (a.track_id < b.track_id ? -1 : 1))[0],
      );
      const sessions = [...sources.world.servedSessions(parseDay(DAY, 'd'), parseDay(DAY, 'd'))];
      const trackIds = [...new Set(sessions.flatMap((s) => s.original.session_items.map((i) => i.song_id)))];
      const known = await client.query(
        'select count(*)::int as n from deftunes.songs where track_id = any($1)',
        [trackIds],
      );
      expect(known.rows[0].n).toBe(trackIds.length);
    } finally {
      await client.end();
    }
  });

  it('serves two clients at once', async () => {
    const clients = [0, 1].map(() => new Client({ connectionString: sources.songsDbUrl }));
    await Promise.all(clients.map((client) => client.connect()));
    try {
      const counts = await Promise.all(
        clients.map((client) => client.query<{ n: number }>('select count(*)::int as n from deftunes.songs')),
      );
      expect(counts.map((result) => result.rows[0].n)).toEqual([300, 300]);
    } finally {
      await Promise.all(clients.map((client) => client.end()));
    }
  });

  it('fails with an error naming the port when a port is in use', async () => {
    const apiPort = Number(new URL(sources.apiUrl).port);
    await expect(startSources({ port: apiPort })).rejects.toThrow(
      `port ${apiPort} on 127.0.0.1 is already in use`,
    );
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const songsPort = (blocker.address() as { port: number }).port;
    try {
      await expect(startSources({ songsPort })).rejects.toThrow(
        `songs database: port ${songsPort} on 127.0.0.1 is already in use`,
      );
    } finally {
      blocker.close();
    }
  });
});

describe('_truth against what the API served (bad record rate 0.25)', () => {
  let sources: RunningSources;
  let truth: DayTruth;
  let songs: Client;
  beforeAll(async () => {
    sources = await startSources({ seed: 4, badRecordRate: 0.25, scale: 2 });
    truth = (await getJson<DayTruth>(`${sources.apiUrl}/_truth?date=${DAY}`)).body;
    songs = new Client({ connectionString: sources.songsDbUrl });
    await songs.connect();
  });
  afterAll(async () => {
    await songs?.end();
    await sources?.close();
  });

  it('names exactly the sessions the contract rejects, the duplicates and the unknown track ids', async () => {
    const body = (
      await getJson<Record<string, unknown>[]>(`${sources.apiUrl}/sessions?start_date=${DAY}&end_date=${DAY}`)
    ).body;
    expect(body.length).toBe(truth.sessions.served);
    const truthSessions = truth.corrupted.filter((c) => c.entity === 'sessions');
    const expectRejected = truthSessions.filter(
      (c) => c.caught_by === 'extract' && c.kind !== 'duplicate_session',
    );

    const rejected: string[] = [];
    const valid: SessionRecord[] = [];
    for (const record of body) {
      const parsed = SessionRecordSchema.safeParse(record);
      if (parsed.success) valid.push(parsed.data);
      else rejected.push(record.session_id as string);
    }
    expect(rejected.sort()).toEqual(expectRejected.map((c) => c.session_id).sort());
    expect(rejected.length).toBeGreaterThan(0);

    // Each rejected record is broken where _truth says.
    for (const fault of expectRejected) {
      const record = body.find((r) => r.session_id === fault.session_id)!;
      const path = fault.field.split('.');
      let value: unknown = record;
      for (const key of path) value = (value as Record<string, unknown> | undefined)?.[key];
      if (fault.kind === 'missing_field') expect(value).toBeUndefined();
      if (fault.kind === 'negative_price') expect(value as number).toBeLessThan(0);
      if (fault.kind === 'absurd_price') expect(value as number).toBeGreaterThan(2);
      if (fault.kind === 'bad_uuid') expect(value).toBe(fault.served_value);
      if (fault.kind === 'wrong_type') expect(['string', 'number']).toContain(typeof value);
    }

    const seen = new Map<string, number>();
    for (const session of valid) seen.set(session.session_id, (seen.get(session.session_id) ?? 0) + 1);
    const duplicated = [...seen].filter(([, n]) => n > 1).map(([id]) => id);
    expect(duplicated.sort()).toEqual(
      truthSessions
        .filter((c) => c.kind === 'duplicate_session')
        .map((c) => c.session_id)
        .sort(),
    );

    // Unknown track ids: what the quality gate sees by joining the catalog over the wire.
    const unique = [...new Map(valid.map((s) => [s.session_id, s])).values()];
    const trackIds = [...new Set(unique.flatMap((s) => s.session_items.map((i) => i.song_id)))];
    const known = new Set(
      (
        await songs.query<{ track_id: string }>(
          'select track_id from deftunes.songs where track_id = any($1)',
          [trackIds],
        )
      ).rows.map((row) => row.track_id),
    );
    const unknown = unique.flatMap((s) =>
      s.session_items.flatMap((item, position) =>
        known.has(item.song_id) ? [] : [`${s.session_id}#${position}`],
      ),
    );
    expect(unknown.sort()).toEqual(
      truthSessions
        .filter((c) => c.caught_by === 'quality')
        .map((c) => `${c.session_id}#${c.position}`)
        .sort(),
    );

    // Nothing lost or invented: clean sessions, items and revenue add up.
    const clean = unique.filter((s) => s.session_items.every((item) => known.has(item.song_id)));
    expect(unique.length).toBe(truth.sessions.extract_valid);
    expect(clean.length).toBe(truth.sessions.clean);
    const items = clean.flatMap((s) => s.session_items);
    expect(items.length).toBe(truth.sessions.clean_items);
    expect(items.reduce((cents, item) => cents + Math.round(item.price * 100), 0)).toBe(
      Math.round(truth.sessions.clean_revenue * 100),
    );
    expect(truth.sessions.generated).toBe(
      truth.sessions.clean + truthSessions.length - truth.corrupted_by_kind['sessions.duplicate_session']!,
    );
  });

  it('names exactly the users the contract rejects and the duplicated users', async () => {
    const body = (
      await getJson<Record<string, unknown>[]>(
        `${sources.apiUrl}/users?start_date=1999-01-01&end_date=${DAY}`,
      )
    ).body;
    expect(body.length).toBe(truth.users.served);
    const truthUsers = truth.corrupted.filter((c) => c.entity === 'users');
    const servedIds = new Map(
      truthUsers.filter((c) => c.kind === 'bad_uuid').map((c) => [c.served_value as string, c.user_id]),
    );
    const rejected: string[] = [];
    const counts = new Map<string, number>();
    for (const record of body) {
      if (UserRecordSchema.safeParse(record).success) {
        counts.set(record.user_id as string, (counts.get(record.user_id as string) ?? 0) + 1);
      } else {
        rejected.push(servedIds.get(record.user_id as string) ?? (record.user_id as string));
      }
    }
    expect(rejected.sort()).toEqual(
      truthUsers
        .filter((c) => c.kind !== 'duplicate_user')
        .map((c) => c.user_id)
        .sort(),
    );
    expect(
      [...counts]
        .filter(([, n]) => n > 1)
        .map(([id]) => id)
        .sort(),
    ).toEqual(
      truthUsers
        .filter((c) => c.kind === 'duplicate_user')
        .map((c) => c.user_id)
        .sort(),
    );
    expect(counts.size).toBe(truth.users.clean);
    expect(counts.size + rejected.length).toBe(truth.users.snapshot_size);
  });
});

describe('songs database in a data directory', () => {
  it('keeps the catalog and reuses it on the next start with the same seed and size', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'deftunes-songs-test-'));
    try {
      const counts: Array<{ loaded: boolean; rows: number }> = [];
      for (let start = 0; start < 2; start++) {
        const sources = await startSources({ seed: 5, songsDataDir: dir });
        try {
          const client = new Client({ connectionString: sources.songsDbUrl });
          await client.connect();
          const rows = (await client.query<{ n: number }>('select count(*)::int as n from deftunes.songs'))
            .rows[0].n;
          await client.end();
          counts.push({ loaded: sources.songsLoad.loaded, rows });
        } finally {
          await sources.close();
        }
      }
      expect(counts).toEqual([
        { loaded: true, rows: 300 },
        { loaded: false, rows: 300 },
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
