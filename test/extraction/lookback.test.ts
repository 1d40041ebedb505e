/**
 * Issue 13, point 6, at the landing zone: sessions that reach the API after their day was extracted (the
 * simulator's late arrivals) land with the next day's run, which extracts the previous day again
 * (SESSIONS_LOOKBACK_DAYS, default 1), each exactly once in that run's extract. The serving side (one fact
 * row per session item, moved to the newer run date) is checked end to end in
 * test/pipeline/local-run.e2e.test.ts.
 */
import { runExtractApi } from '../../lambdas/extract-api/extract-api';
import { landingDataKey } from '../../lambdas/shared/landing-keys';
import { startSources, type DayTruth, type RunningSources } from '../../lib/local/simulator';
import { noSleep, readJsonLines, storePerTest } from './helpers';

const DAY_BEFORE = '2020-03-13';
const RUN_DATE = '2020-03-14';
const dayNumber = (date: string) => Date.parse(`${date}T00:00:00Z`) / 86_400_000;

let sources: RunningSources;
beforeAll(async () => {
  sources = await startSources({ seed: 7, scale: 'tiny', lateArrivalRate: 0.2 });
});
afterAll(async () => sources.close());
const fixture = storePerTest();

async function extractSessions(runDate: string, sessionsLookbackDays?: number): Promise<string[]> {
  await runExtractApi(
    { run_date: runDate, entity: 'sessions' },
    { store: fixture.store, apiBaseUrl: sources.apiUrl, sleep: noSleep, sessionsLookbackDays },
  );
  const records = await readJsonLines(fixture.store, landingDataKey('sessions', runDate));
  return records.map((record) => (record as { session_id: string }).session_id);
}

function sessionIdsOf(date: string, keep: (day: number, index: number) => boolean): string[] {
  const day = dayNumber(date);
  return [...sources.world.sessions.sessionsOfDay(day)]
    .filter((session) => keep(day, session.index))
    .map((session) => session.record.session_id);
}

/** The session ids of `date` that the simulator holds back from a window ending on that date. */
const lateSessionIds = (date: string) => sessionIdsOf(date, (day, index) => sources.world.isLate(day, index));

describe('sessions look-back', () => {
  it("the simulator serves a late session only to windows ending after its day, and counts it in the day's truth", async () => {
    const late = lateSessionIds(DAY_BEFORE);
    const truth = (await (await fetch(`${sources.apiUrl}/_truth?date=${DAY_BEFORE}`)).json()) as DayTruth;
    expect(truth.sessions.late).toBe(late.length);
    expect(late.length).toBeGreaterThan(0);
    const ids = async (start: string, end: string) =>
      (
        (await (await fetch(`${sources.apiUrl}/sessions?start_date=${start}&end_date=${end}`)).json()) as {
          session_id: string;
        }[]
      ).map((session) => session.session_id);
    expect(await ids(DAY_BEFORE, DAY_BEFORE)).toEqual(expect.not.arrayContaining([late[0]]));
    expect(await ids(DAY_BEFORE, RUN_DATE)).toEqual(expect.arrayContaining(late));
  });

  it("D's run lands D-1's late sessions under D's keys, exactly once; D-1's run could not", async () => {
    const late = lateSessionIds(DAY_BEFORE);
    const dayBefore = await extractSessions(DAY_BEFORE);
    const runDate = await extractSessions(RUN_DATE);
    expect(dayBefore.filter((id) => late.includes(id))).toEqual([]);
    expect(runDate.filter((id) => late.includes(id)).sort()).toEqual([...late].sort());
    // Every session of D-1 comes again, the on-time ones too (the fact keeps one row each), never twice here.
    const allOfDayBefore = sessionIdsOf(DAY_BEFORE, () => true);
    expect(runDate).toEqual(expect.arrayContaining(allOfDayBefore));
    expect(new Set(runDate).size).toBe(runDate.length);
  });

  it('without a look-back (SESSIONS_LOOKBACK_DAYS=0) the late sessions never land', async () => {
    const late = lateSessionIds(DAY_BEFORE);
    const both = [...(await extractSessions(DAY_BEFORE, 0)), ...(await extractSessions(RUN_DATE, 0))];
    expect(both.filter((id) => late.includes(id))).toEqual([]);
  });
});
