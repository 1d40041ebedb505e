import {
  calendarDateIn,
  InvalidRunDateEventError,
  previousDayIn,
  runCheckRunDates,
  runResolveRunDate,
} from '../../lambdas/resolve-run-date/resolve-run-date';
import { handler } from '../../lambdas/resolve-run-date';
import type { RunDateBounds } from '../../lambdas/shared/run-date';
import { LAMBDA_CONTEXT } from '../lambda-context';

const PARIS = 'Europe/Paris';
const scheduled = (scheduledTime: string, timeZone = PARIS) =>
  runResolveRunDate({ execution_input: { scheduled_time: scheduledTime }, time_zone: timeZone });

describe('runResolveRunDate', () => {
  it('returns an explicit run_date as is, whatever else the input holds', () => {
    expect(
      runResolveRunDate({
        execution_input: { run_date: '2026-11-19', scheduled_time: '2026-11-21T01:00:00Z', Comment: 'x' },
        execution_start_time: '2026-11-21T01:00:02.120Z',
        time_zone: PARIS,
      }),
    ).toEqual({ run_date: '2026-11-19', resolved_from: 'run_date', time_zone: PARIS, declared_empty: false });
  });

  it('passes declared_empty on (false when absent) and refuses a non-boolean', () => {
    const resolve = (input: Record<string, unknown>) =>
      runResolveRunDate({ execution_input: input, time_zone: PARIS });
    expect(resolve({ run_date: '2026-11-19', declared_empty: true }).declared_empty).toBe(true);
    expect(resolve({ scheduled_time: '2026-11-21T01:00:00Z' }).declared_empty).toBe(false);
    expect(() => resolve({ run_date: '2026-11-19', declared_empty: 'yes' })).toThrow(
      /declared_empty must be true or false/,
    );
  });

  it('takes the previous day of the 02:00 Paris schedule (the last complete day)', () => {
    expect(scheduled('2026-11-21T01:00:00Z')).toEqual({
      run_date: '2026-11-20',
      resolved_from: 'scheduled_time',
      instant: '2026-11-21T01:00:00.000Z',
      time_zone: PARIS,
      declared_empty: false,
    });
    // The same instant written with its offset.
    expect(scheduled('2026-11-21T02:00:00+01:00').run_date).toBe('2026-11-20');
  });

  // [scheduled time, time zone, run date]
  it.each([
    ['2026-11-21T23:30:00Z', PARIS, '2026-11-21'],
    ['2026-11-21T22:59:59Z', PARIS, '2026-11-20'],
    ['2026-11-21T23:00:00Z', PARIS, '2026-11-21'],
    ['2026-11-21T23:30:00Z', 'UTC', '2026-11-20'],
    // West of UTC the local day lags: 05:00Z is still the evening of the 20th in Los Angeles.
    ['2026-11-21T05:00:00Z', 'America/Los_Angeles', '2026-11-19'],
    ['2026-11-21T19:00:00Z', 'Asia/Kolkata', '2026-11-21'],
    ['2026-11-21T10:00:00Z', 'Pacific/Kiritimati', '2026-11-21'],
  ])('counts days in the time zone, not in UTC: %s in %s runs for %s', (time, zone, runDate) => {
    expect(scheduled(time, zone).run_date).toBe(runDate);
  });

  it.each([
    // 2026-03-29: Paris goes from 02:00 CET to 03:00 CEST at 01:00Z (02:00 local does not exist that day).
    ['2026-03-29T00:59:59Z', PARIS, '2026-03-28'],
    ['2026-03-29T01:00:00Z', PARIS, '2026-03-28'],
    ['2026-03-29T21:59:59Z', PARIS, '2026-03-28'],
    ['2026-03-29T22:00:00Z', PARIS, '2026-03-29'],
    ['2026-03-30T00:00:00Z', PARIS, '2026-03-29'],
    // 2026-10-25: 03:00 CEST becomes 02:00 CET at 01:00Z; both 02:00 local instants run for the 24th.
    ['2026-10-25T00:00:00Z', PARIS, '2026-10-24'],
    ['2026-10-25T01:00:00Z', PARIS, '2026-10-24'],
    ['2026-10-25T22:59:59Z', PARIS, '2026-10-24'],
    ['2026-10-25T23:00:00Z', PARIS, '2026-10-25'],
    ['2026-03-08T10:00:00Z', 'America/New_York', '2026-03-07'],
  ])('is not shifted by the daylight saving changes: %s in %s runs for %s', (time, zone, runDate) => {
    expect(scheduled(time, zone).run_date).toBe(runDate);
  });

  it.each([
    ['2026-12-01T01:00:00Z', '2026-11-30'],
    ['2027-01-01T01:00:00Z', '2026-12-31'],
    ['2026-12-31T23:30:00Z', '2026-12-31'],
    ['2026-03-01T01:00:00Z', '2026-02-28'],
    ['2028-03-01T01:00:00Z', '2028-02-29'],
    ['2100-03-01T01:00:00Z', '2100-02-28'],
  ])('rolls over months, years and leap days: %s in Paris runs for %s', (time, runDate) => {
    expect(scheduled(time).run_date).toBe(runDate);
  });

  it('falls back to the execution start time, then to the clock', () => {
    expect(
      runResolveRunDate({
        execution_input: {},
        execution_start_time: '2026-07-01T21:59:59.999Z',
        time_zone: PARIS,
      }),
    ).toMatchObject({ run_date: '2026-06-30', resolved_from: 'execution_start_time' });
    expect(
      runResolveRunDate(
        { execution_input: { Comment: 'Insert your JSON here' }, time_zone: PARIS },
        { now: () => new Date('2026-07-01T22:00:00Z') },
      ),
    ).toMatchObject({ run_date: '2026-07-01', resolved_from: 'clock', instant: '2026-07-01T22:00:00.000Z' });
  });

  it.each([
    [
      { execution_input: { run_date: '2026-02-30' }, time_zone: PARIS },
      /execution_input\.run_date: .*calendar/,
    ],
    [
      { execution_input: { run_date: '21/11/2026' }, time_zone: PARIS },
      /execution_input\.run_date: .*YYYY-MM-DD/,
    ],
    [{ execution_input: { run_date: 20261121 }, time_zone: PARIS }, /execution_input\.run_date: /],
    [{ execution_input: { run_date: null }, time_zone: PARIS }, /execution_input\.run_date: /],
    [
      { execution_input: { scheduled_time: 'yesterday' }, time_zone: PARIS },
      /execution_input\.scheduled_time: /,
    ],
    [
      { execution_input: { scheduled_time: '2026-11-21T01:00:00' }, time_zone: PARIS },
      /execution_input\.scheduled_time: .*offset/,
    ],
    [
      { execution_input: { scheduled_time: '2026-02-30T01:00:00Z' }, time_zone: PARIS },
      /execution_input\.scheduled_time: .*calendar/,
    ],
    [{ execution_input: {}, execution_start_time: 'now', time_zone: PARIS }, /execution_start_time: /],
    [{ execution_input: {}, time_zone: 'Europe/Pariss' }, /time_zone: .*time zone/],
    [{ execution_input: {} }, /time_zone: /],
    [{ time_zone: PARIS }, /execution_input: /],
    [{ execution_input: '2026-11-21', time_zone: PARIS }, /execution_input: /],
  ])('rejects %j naming the field', (event, message) => {
    expect(() => runResolveRunDate(event)).toThrow(message);
    expect(() => runResolveRunDate(event)).toThrow(InvalidRunDateEventError);
  });

  it('names its error so a Catch or a Retry can match it', () => {
    try {
      runResolveRunDate(null);
      throw new Error('expected a failure');
    } catch (error) {
      expect((error as Error).name).toBe('InvalidRunDateEvent');
      expect((error as Error).message).toMatch(/^Invalid resolve-run-date event null: /);
    }
  });
});

describe('calendar helpers', () => {
  it('reads the calendar date in a zone and steps back one day', () => {
    const at = new Date('2026-11-21T23:30:00Z');
    expect(calendarDateIn(at, PARIS)).toBe('2026-11-22');
    expect(calendarDateIn(at, 'UTC')).toBe('2026-11-21');
    expect(previousDayIn(at, PARIS)).toBe('2026-11-21');
    expect(previousDayIn(new Date('0999-01-01T12:00:00Z'), 'UTC')).toBe('0998-12-31');
  });
});

describe('run-date bounds', () => {
  const bounds: RunDateBounds = { earliest: '2020-01-01', timeZone: PARIS, source: 'test bounds' };
  // 2026-11-21T23:30Z is already the 22nd in Paris.
  const now = () => new Date('2026-11-21T23:30:00Z');

  it("accepts today in the schedule's zone and the earliest date, refuses the day after and the day before", () => {
    const given = (runDate: string) =>
      runResolveRunDate({ execution_input: { run_date: runDate }, time_zone: PARIS }, { bounds, now });
    expect(given('2026-11-22').run_date).toBe('2026-11-22');
    expect(given('2020-01-01').run_date).toBe('2020-01-01');
    expect(() => given('2026-11-23')).toThrow(
      "run date 2026-11-23 (the execution input's run_date) is after today, 2026-11-22 in Europe/Paris (test bounds)",
    );
    expect(() => given('2019-12-31')).toThrow(
      "run date 2019-12-31 (the execution input's run_date) is before the earliest run date 2020-01-01 (test bounds)",
    );
    expect(() => given('2999-01-01')).toThrow(expect.objectContaining({ name: 'RunDateOutOfRange' }));
  });

  it('bounds a date resolved from a scheduled time in the future too', () => {
    expect(() =>
      runResolveRunDate(
        { execution_input: { scheduled_time: '2027-01-02T01:00:00Z' }, time_zone: PARIS },
        { bounds, now },
      ),
    ).toThrow(
      /run date 2027-01-01 \(the day before scheduled_time 2027-01-02T01:00:00.000Z\) is after today/,
    );
  });

  it("gives the run-date lock's timestamps when asked, from the clock", () => {
    expect(
      runResolveRunDate(
        { execution_input: { run_date: '2026-11-20' }, time_zone: PARIS, lock_ttl_seconds: 3600 },
        { bounds, now },
      ),
    ).toEqual({
      run_date: '2026-11-20',
      resolved_from: 'run_date',
      time_zone: PARIS,
      declared_empty: false,
      lock: { now: '1795303800', expires_at: '1795307400' },
    });
  });

  it("checks every date of a backfill's input before any runs", () => {
    expect(runCheckRunDates({ run_dates: ['2026-11-20', '2026-11-21'] }, { bounds, now })).toEqual({
      run_dates: ['2026-11-20', '2026-11-21'],
    });
    expect(() => runCheckRunDates({ run_dates: ['2026-11-20', '2026-11-23'] }, { bounds, now })).toThrow(
      'run date 2026-11-23 (run_dates[1] of the backfill input) is after today',
    );
    expect(() => runCheckRunDates({ run_dates: ['2026-02-30'] }, { bounds, now })).toThrow(
      /run_dates\.0: .*calendar/,
    );
    expect(() => runCheckRunDates({ run_dates: [] }, { bounds, now })).toThrow(InvalidRunDateEventError);
  });
});

describe('handler', () => {
  const saved = { ...process.env };
  beforeEach(() => {
    Object.assign(process.env, { EARLIEST_RUN_DATE: '2020-01-01', RUN_DATE_TIME_ZONE: PARIS });
  });
  afterEach(() => {
    process.env = { ...saved };
  });

  it('resolves and returns the run date within the bounds of its environment', async () => {
    const log = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const info = jest.spyOn(console, 'info').mockImplementation(() => undefined);
    try {
      await expect(
        handler(
          { execution_input: { scheduled_time: '2026-11-21T01:00:00Z' }, time_zone: PARIS },
          { awsRequestId: 'r-1' },
        ),
      ).resolves.toMatchObject({ run_date: '2026-11-20', resolved_from: 'scheduled_time' });
      await expect(
        handler({ execution_input: { run_date: 'x' }, time_zone: PARIS }, LAMBDA_CONTEXT),
      ).rejects.toThrow(InvalidRunDateEventError);
      await expect(
        handler({ execution_input: { run_date: '2999-01-01' }, time_zone: PARIS }, LAMBDA_CONTEXT),
      ).rejects.toThrow("run date 2999-01-01 (the execution input's run_date) is after today");
      await expect(handler({ run_dates: ['2020-01-01', '2019-12-31'] }, LAMBDA_CONTEXT)).rejects.toThrow(
        'run date 2019-12-31 (run_dates[1] of the backfill input) is before the earliest run date 2020-01-01 (environment EARLIEST_RUN_DATE, RUN_DATE_TIME_ZONE)',
      );
      await expect(handler({ run_dates: ['2026-11-20'] }, LAMBDA_CONTEXT)).resolves.toEqual({
        run_dates: ['2026-11-20'],
      });
    } finally {
      log.mockRestore();
      info.mockRestore();
    }
  });
});
