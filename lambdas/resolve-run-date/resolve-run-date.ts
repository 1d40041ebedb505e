/**
 * The run date of a DailyPipeline execution. A run loads one complete calendar day, so an execution that
 * is not given `run_date` (the daily schedule's, or a manual one with no input) processes the day BEFORE
 * the one it starts on, in the schedule's time zone: the 02:00 Europe/Paris run on 2026-11-22
 * (`scheduled_time` 2026-11-22T01:00:00Z) loads 2026-11-21, the last complete day.
 *
 * Step Functions' intrinsic functions cannot do date arithmetic, hence this function.
 */
import { z } from 'zod';
import { describeIssues } from '../shared/contracts';
import { RunDateSchema } from '../shared/run-date';

/** Whether the runtime's ICU knows `timeZone` (an IANA name such as `Europe/Paris`, or `UTC`). */
export function isTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

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
    .refine(hasCalendarDate, { message: `${field} is not a calendar date-time` });

export const ResolveRunDateEventSchema = z.object({
  /**
   * The execution's input as given: `{"run_date": "YYYY-MM-DD"}` (manual runs, backfills, the local
   * runner), `{"scheduled_time": ISO}` (the daily schedule) or anything else (`{}`); other keys are ignored.
   */
  execution_input: z.looseObject(
    {
      run_date: RunDateSchema.optional(),
      scheduled_time: instant('scheduled_time').optional(),
    },
    { error: 'execution_input must be the execution input object' },
  ),
  /** `$$.Execution.StartTime`: the instant an input without a date is resolved from. */
  execution_start_time: instant('execution_start_time').optional(),
  /** The schedule's time zone: whose calendar "the previous day" is taken in. */
  time_zone: z
    .string({ error: 'time_zone must be an IANA time zone such as Europe/Paris' })
    .refine(isTimeZone, { message: 'time_zone is not a time zone this runtime knows (IANA name expected)' }),
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
}

export interface ResolveRunDateDeps {
  /**
   * The clock, used only when the event has neither a date nor an instant (a direct invocation).
   * @default () => new Date()
   */
  readonly now?: () => Date;
}

export class InvalidRunDateEventError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidRunDateEvent';
  }
}

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
  if (input.run_date !== undefined) {
    return { run_date: input.run_date, resolved_from: 'run_date', time_zone: timeZone };
  }
  const [source, at]: [RunDateSource, Date] =
    input.scheduled_time !== undefined
      ? ['scheduled_time', new Date(input.scheduled_time)]
      : startTime !== undefined
        ? ['execution_start_time', new Date(startTime)]
        : ['clock', (deps.now ?? (() => new Date()))()];
  return {
    run_date: previousDayIn(at, timeZone),
    resolved_from: source,
    instant: at.toISOString(),
    time_zone: timeZone,
  };
}
