/**
 * The run date of a DailyPipeline execution. A run loads one complete calendar day, so an execution that
 * is not given `run_date` (the daily schedule's, or a manual one with no input) processes the day BEFORE
 * the one it starts on, in the schedule's time zone: the 02:00 Europe/Paris run on 2026-11-22
 * (`scheduled_time` 2026-11-22T01:00:00Z) loads 2026-11-21, the last complete day.
 *
 * Step Functions' intrinsic functions cannot do date arithmetic, hence this function.
 */
import * as z from '../shared/zod';
import { describeIssues } from '../shared/contracts';
import {
  calendarDateIn,
  checkRunDateBounds,
  RunDateSchema,
  TimeZoneSchema,
  type RunDateBounds,
} from '../shared/run-date';

export { calendarDateIn, isTimeZone } from '../shared/run-date';

/** `YYYY-MM-DD...` whose date part exists in the calendar (the ISO pattern alone accepts 2026-02-30). */
function hasCalendarDate(value: string): boolean {
  return RunDateSchema.safeParse(value.slice(0, 10)).success && !Number.isNaN(Date.parse(value));
}

const instant = (field: string) =>
  z.iso
    .datetime({
      offset: true,
      error: `${field} must be an ISO 8601 date-time with Z or an offset, e.g. 2026-11-21T01:00:00Z`,
    })
    .check(z.refine(hasCalendarDate, { message: `${field} is not a calendar date-time` }));

export const ResolveRunDateEventSchema = z.object({
  /**
   * The execution's input as given: `{"run_date": "YYYY-MM-DD"}` (manual runs, backfills, the local
   * runner), `{"scheduled_time": ISO}` (the daily schedule) or anything else (`{}`); other keys are ignored.
   */
  execution_input: z.looseObject(
    {
      run_date: z.optional(RunDateSchema),
      scheduled_time: z.optional(instant('scheduled_time')),
      /** The operator declares the source day empty: the gate's empty-day rules warn instead of failing. */
      declared_empty: z.optional(z.boolean({ error: 'declared_empty must be true or false' })),
    },
    { error: 'execution_input must be the execution input object' },
  ),
  /** `$$.Execution.StartTime`: the instant an input without a date is resolved from. */
  execution_start_time: z.optional(instant('execution_start_time')),
  /** The schedule's time zone: whose calendar "the previous day" is taken in. */
  time_zone: TimeZoneSchema,
  /**
   * How long the run-date lock of this execution may be held, in seconds: when given, the result carries
   * the lock's timestamps (Step Functions cannot compute them: no clock arithmetic in its intrinsics).
   */
  lock_ttl_seconds: z.optional(z.number().check(z.int(), z.positive())),
});
export type ResolveRunDateEvent = z.infer<typeof ResolveRunDateEventSchema>;

/** Where the run date came from. */
export type RunDateSource = 'run_date' | 'scheduled_time' | 'execution_start_time' | 'clock';

export interface ResolveRunDateResult {
  readonly run_date: string;
  readonly resolved_from: RunDateSource;
  /** The instant the previous day was taken of (absent when `run_date` was given). */
  readonly instant?: string;
  readonly time_zone: string;
  /** The execution input's `declared_empty`, false when absent (the rest of the run reads it from here). */
  readonly declared_empty: boolean;
  /** Present when the event asked for it (`lock_ttl_seconds`): epoch seconds for the run-date lock. */
  readonly lock?: RunLockTimes;
}

/**
 * Epoch seconds the run-date lock compares and stores (DynamoDB's TTL reads epoch seconds), as decimal
 * strings: the state machine passes them to DynamoDB as `N` values, which are strings.
 */
export interface RunLockTimes {
  /** Now: a lock whose `expires_at` is before it is stale and may be taken over. */
  readonly now: string;
  /** When this execution's lock becomes stale (and DynamoDB's TTL may delete it). */
  readonly expires_at: string;
}

export interface ResolveRunDateDeps {
  /**
   * The clock, used only when the event has neither a date nor an instant (a direct invocation).
   * @default () => new Date()
   */
  readonly now?: () => Date;
  /**
   * The bounds the resolved date must fall within (the handler reads them from its environment, the local
   * runner from cdk.json); a date outside them fails with `RunDateOutOfRange`.
   * @default - unbounded: only for tests of the resolution itself
   */
  readonly bounds?: RunDateBounds;
}

export class InvalidRunDateEventError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidRunDateEvent';
  }
}

/** The day before the calendar date of `at` in `timeZone`. Calendar arithmetic: DST cannot shift it. */
export function previousDayIn(at: Date, timeZone: string): string {
  const [year, month, day] = calendarDateIn(at, timeZone).split('-').map(Number);
  const previous = new Date(0);
  previous.setUTCFullYear(year, month - 1, day - 1);
  return previous.toISOString().slice(0, 10);
}

/**
 * `execution_input.run_date` as given; else the day before `execution_input.scheduled_time`, else before
 * `execution_start_time`, else before the clock's now, each in `time_zone`.
 */
export function runResolveRunDate(event: unknown, deps: ResolveRunDateDeps = {}): ResolveRunDateResult {
  const parsed = ResolveRunDateEventSchema.safeParse(event);
  if (!parsed.success) {
    throw new InvalidRunDateEventError(
      `Invalid resolve-run-date event ${JSON.stringify(event)}: ${describeIssues(parsed.error)}`,
    );
  }
  const { execution_input: input, execution_start_time: startTime, time_zone: timeZone } = parsed.data;
  const now = (deps.now ?? (() => new Date()))();
  const resolved = resolve(input, startTime, timeZone, now);
  if (deps.bounds) {
    const origin =
      resolved.resolved_from === 'run_date'
        ? "the execution input's run_date"
        : `the day before ${resolved.resolved_from} ${resolved.instant}`;
    checkRunDateBounds(resolved.run_date, deps.bounds, now, origin);
  }
  const ttl = parsed.data.lock_ttl_seconds;
  if (ttl === undefined) return resolved;
  const nowSeconds = Math.floor(now.getTime() / 1000);
  return { ...resolved, lock: { now: String(nowSeconds), expires_at: String(nowSeconds + ttl) } };
}

function resolve(
  input: ResolveRunDateEvent['execution_input'],
  startTime: string | undefined,
  timeZone: string,
  now: Date,
): ResolveRunDateResult {
  const declaredEmpty = input.declared_empty ?? false;
  if (input.run_date !== undefined) {
    return {
      run_date: input.run_date,
      resolved_from: 'run_date',
      time_zone: timeZone,
      declared_empty: declaredEmpty,
    };
  }
  const [source, at]: [RunDateSource, Date] =
    input.scheduled_time !== undefined
      ? ['scheduled_time', new Date(input.scheduled_time)]
      : startTime !== undefined
        ? ['execution_start_time', new Date(startTime)]
        : ['clock', now];
  return {
    run_date: previousDayIn(at, timeZone),
    resolved_from: source,
    instant: at.toISOString(),
    time_zone: timeZone,
    declared_empty: declaredEmpty,
  };
}

export const CheckRunDatesEventSchema = z.object({
  /** The Backfill's input dates, each run by one DailyPipeline execution. */
  run_dates: z.array(RunDateSchema).check(z.minLength(1, 'run_dates must hold at least one date')),
});

/**
 * The Backfill's first state: every date of `run_dates` is a calendar date within `bounds`, checked before
 * any of them runs (DailyPipeline checks its own date again, but a backfill that fails on its tenth date
 * after loading nine is harder to resume than one refused at once). Returns `{run_dates}` as given.
 */
export function runCheckRunDates(
  event: unknown,
  deps: { readonly bounds: RunDateBounds; readonly now?: () => Date },
): { run_dates: string[] } {
  const parsed = CheckRunDatesEventSchema.safeParse(event);
  if (!parsed.success) {
    throw new InvalidRunDateEventError(
      `Invalid backfill input ${JSON.stringify(event)}: ${describeIssues(parsed.error)}`,
    );
  }
  const now = (deps.now ?? (() => new Date()))();
  parsed.data.run_dates.forEach((runDate, index) =>
    checkRunDateBounds(runDate, deps.bounds, now, `run_dates[${index}] of the backfill input`),
  );
  return parsed.data;
}
