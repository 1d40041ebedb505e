/**
 * Option parsers shared by the CLI commands: each rejects a bad value with a message naming what was
 * expected and what was given (commander prefixes the option's name).
 */
import { InvalidArgumentError } from 'commander';
import { runDateBoundsProblem, type RunDateBounds } from '../../../lambdas/shared/run-date';
import { redactUrl } from '../redact-url';
import { localRunDateBounds } from '../run-date-bounds';
import { resolveScale } from '../simulator';

export function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) {
    throw new InvalidArgumentError(
      `must be an integer port in [0, 65535] (0 picks a free port); got "${value}"`,
    );
  }
  return port;
}

export function parseRate(value: string): number {
  const rate = Number(value);
  if (value.trim() === '' || !Number.isFinite(rate) || rate < 0 || rate > 1) {
    throw new InvalidArgumentError(`must be a number in [0, 1]; got "${value}"`);
  }
  return rate;
}

export function parseSeed(value: string): number {
  const seed = Number(value);
  if (!/^\d+$/.test(value) || seed > 0xffffffff) {
    throw new InvalidArgumentError(`must be an integer in [0, 4294967295]; got "${value}"`);
  }
  return seed;
}

/** A whole number of calendar months, 1 to 120 (the dashboard's sales window). */
export function parseMonths(value: string): number {
  const months = Number(value);
  if (!/^\d+$/.test(value) || months < 1 || months > 120) {
    throw new InvalidArgumentError(`must be a whole number of months in [1, 120]; got "${value}"`);
  }
  return months;
}

export function parseScale(value: string): string {
  try {
    resolveScale(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
  return value;
}

function isCalendarDate(value: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  const date = match
    ? new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])))
    : undefined;
  return date !== undefined && date.toISOString().slice(0, 10) === value;
}

/** A calendar date `YYYY-MM-DD` that exists (2020-02-30 is rejected). */
export function parseDate(value: string): string {
  if (!isCalendarDate(value)) {
    throw new InvalidArgumentError(`must be a calendar date YYYY-MM-DD; got "${value}"`);
  }
  return value;
}

/**
 * A parser of run dates: a calendar date (see {@link parseDate}) within the run-date bounds, the same ones
 * the deployed pipeline applies (cdk.json), so a future date is refused before anything runs.
 */
export function runDateParser(
  bounds: () => RunDateBounds = () => localRunDateBounds(),
  now: () => Date = () => new Date(),
): (value: string) => string {
  return (value) => {
    const problem = runDateBoundsProblem(parseDate(value), bounds(), now(), 'given on the command line');
    if (problem !== undefined) throw new InvalidArgumentError(problem);
    return value;
  };
}

/** {@link runDateParser} with cdk.json's bounds and the real clock (commander passes a second argument). */
export function parseRunDate(value: string): string {
  return runDateParser()(value);
}

/** A comma-separated list, each item parsed by `parse`. */
function listOf(parse: (value: string) => string): (value: string) => string[] {
  return (value) =>
    value
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item.length > 0)
      .map(parse);
}

/** A comma-separated list of run dates, each checked like `--date`. */
export const parseRunDateList = listOf(parseRunDate);

/** A comma-separated list of calendar dates (simulated days: no run-date bounds). */
export const parseDateList = listOf(parseDate);

export function parseUrl(value: string): string {
  try {
    new URL(value);
  } catch {
    throw new InvalidArgumentError(`must be a URL; got "${redactUrl(value)}"`);
  }
  return value;
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/** An instant in ISO 8601 with its offset (`2020-01-02T06:00:00Z`, `2020-01-02T08:00+02:00`), as UTC ISO text. */
export function parseIsoTime(value: string): string {
  // Date.parse rolls 2020-02-30 over to March: the calendar date is checked on its own.
  const ms = ISO_TIME.test(value) && isCalendarDate(value.slice(0, 10)) ? Date.parse(value) : NaN;
  if (!Number.isFinite(ms)) {
    throw new InvalidArgumentError(
      `must be a time in ISO 8601 with its offset, e.g. 2020-01-02T06:00:00Z; got "${value}"`,
    );
  }
  return new Date(ms).toISOString();
}

/** Every date from `from` to `to`, inclusive, in order. */
export function datesBetween(from: string, to: string): string[] {
  if (to < from) throw new InvalidArgumentError(`--to ${to} is before --from ${from}`);
  const dates: string[] = [];
  for (let day = new Date(`${from}T00:00:00Z`); ; day.setUTCDate(day.getUTCDate() + 1)) {
    const iso = day.toISOString().slice(0, 10);
    dates.push(iso);
    if (iso >= to) return dates;
  }
}
