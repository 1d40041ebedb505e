/**
 * The `run_date` of a pipeline event, and the one rule bounding it. A run date is an ISO date
 * (`YYYY-MM-DD`) that exists in the calendar, not after today in the schedule's time zone and not before
 * the configured earliest run date. The upper bound matters most: a future date loads nothing real and
 * moves the type-2 user dimension's watermark past every later day, which then skips `dim_users`.
 *
 * {@link runDateBoundsProblem} is the rule, a pure function of the date, the bounds and the clock; every
 * entry point (the CLI, ResolveRunDate, the Lambda handlers, the local bindings) calls it with bounds it
 * read from its configuration (cdk.json locally, {@link RUN_DATE_BOUNDS_ENV} in AWS).
 */
import * as z from './zod';
import { ISO_DATE_PATTERN } from './contracts';

export const RunDateSchema = z.string({ error: 'run_date must be a string YYYY-MM-DD' }).check(
  z.regex(ISO_DATE_PATTERN, 'run_date must be YYYY-MM-DD'),
  z.refine(
    (value: string) => {
      const date = new Date(`${value}T00:00:00Z`);
      return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(value);
    },
    { message: 'run_date is not a calendar date' },
  ),
);

/** The event of every step that works on one run date: `{run_date}`. */
export const RunDateEventSchema = z.object({ run_date: RunDateSchema });

/** The first day of the users snapshot window: the API's users from the epoch to the run date. */
export const SNAPSHOT_EPOCH = '1970-01-01';

/** Whether the runtime's ICU knows `timeZone` (an IANA name such as `Europe/Paris`, or `UTC`). */
export function isTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

/** An IANA time zone this runtime knows. */
export const TimeZoneSchema = z
  .string({ error: 'must be an IANA time zone such as Europe/Paris' })
  .check(z.refine(isTimeZone, { message: 'is not a time zone this runtime knows (IANA name expected)' }));

/** The calendar date (`YYYY-MM-DD`) of `at` in `timeZone`. */
export function calendarDateIn(at: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    calendar: 'gregory',
    numberingSystem: 'latn',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).formatToParts(at);
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('year').padStart(4, '0')}-${part('month')}-${part('day')}`;
}

/** What a run date must fall within. */
export interface RunDateBounds {
  /** The earliest run date accepted (`YYYY-MM-DD`). */
  readonly earliest: string;
  /** The schedule's IANA time zone: the latest run date accepted is today's date in it. */
  readonly timeZone: string;
  /**
   * Where the bounds were configured, named in errors, e.g. `cdk.json environment dev` or
   * `EARLIEST_RUN_DATE, RUN_DATE_TIME_ZONE`.
   */
  readonly source: string;
}

/** The error every entry point throws for a run date outside its bounds (its name is the Step Functions error). */
export class RunDateOutOfRangeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RunDateOutOfRange';
  }
}

/**
 * Why `runDate` (a calendar date) is outside `bounds` at instant `now`, or undefined when it is inside.
 * `origin` says where the date came from (`--from`, `the event's run_date`, ...).
 */
export function runDateBoundsProblem(
  runDate: string,
  bounds: RunDateBounds,
  now: Date,
  origin: string,
): string | undefined {
  const today = calendarDateIn(now, bounds.timeZone);
  if (runDate > today) {
    return (
      `run date ${runDate} (${origin}) is after today, ${today} in ${bounds.timeZone} (${bounds.source}): ` +
      'a day is loaded once it is over'
    );
  }
  if (runDate < bounds.earliest) {
    return `run date ${runDate} (${origin}) is before the earliest run date ${bounds.earliest} (${bounds.source})`;
  }
  return undefined;
}

/** Throws a {@link RunDateOutOfRangeError} when `runDate` is outside `bounds`; returns it otherwise. */
export function checkRunDateBounds(
  runDate: string,
  bounds: RunDateBounds,
  now: Date,
  origin: string,
): string {
  const problem = runDateBoundsProblem(runDate, bounds, now, origin);
  if (problem !== undefined) throw new RunDateOutOfRangeError(problem);
  return runDate;
}

/**
 * Checks an event's `run_date` against `bounds` and returns the event unchanged. A missing or malformed
 * `run_date` is left to the handler's own event schema, whose message names the problem precisely.
 */
export function checkEventRunDate<T>(event: T, bounds: RunDateBounds, now: Date = new Date()): T {
  const runDate = (event as { run_date?: unknown } | null | undefined)?.run_date;
  if (RunDateSchema.safeParse(runDate).success) {
    checkRunDateBounds(runDate as string, bounds, now, "the event's run_date");
  }
  return event;
}

/**
 * The environment variables that give a Lambda its run-date bounds; the CDK sets them from cdk.json
 * (`earliestRunDate`, `schedule.timeZone`). Spread into a handler's environment schema.
 */
export const RUN_DATE_BOUNDS_ENV = {
  EARLIEST_RUN_DATE: RunDateSchema,
  RUN_DATE_TIME_ZONE: TimeZoneSchema,
};

/** The bounds from a parsed environment holding {@link RUN_DATE_BOUNDS_ENV}. */
export function runDateBoundsFromEnv(env: {
  EARLIEST_RUN_DATE: string;
  RUN_DATE_TIME_ZONE: string;
}): RunDateBounds {
  return {
    earliest: env.EARLIEST_RUN_DATE,
    timeZone: env.RUN_DATE_TIME_ZONE,
    source: 'environment EARLIEST_RUN_DATE, RUN_DATE_TIME_ZONE',
  };
}
