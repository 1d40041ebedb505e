/** Calendar helpers: days are UTC calendar dates `YYYY-MM-DD`, counted as days since 1970-01-01. */
import { ISO_DATE_PATTERN } from '../../../lambdas/shared/contracts';

export const DAY_MS = 86_400_000;

/** Users start joining at the launch; the scale's user count is reached at the demo epoch. */
export const LAUNCH_MS = Date.UTC(2015, 0, 1);
export const DEMO_EPOCH_MS = Date.UTC(2020, 0, 1);

/** A date parameter that is missing or not a calendar date (the API answers 400 with its message). */
export class InvalidDateError extends Error {}

/** Parses a `YYYY-MM-DD` calendar date into its day number, or explains what is wrong with it. */
export function parseDay(value: string | null | undefined, name: string): number {
  if (value === null || value === undefined || value === '')
    throw new InvalidDateError(`${name} is required (YYYY-MM-DD)`);
  if (!ISO_DATE_PATTERN.test(value))
    throw new InvalidDateError(`${name} must be a date YYYY-MM-DD; got ${JSON.stringify(value)}`);
  const ms = Date.parse(`${value}T00:00:00Z`);
  if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== value) {
    throw new InvalidDateError(`${name} is not a calendar date: ${JSON.stringify(value)}`);
  }
  return ms / DAY_MS;
}

export function formatDay(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** ISO-8601 UTC timestamp with second precision, the API's form. */
export function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** The instant of an API timestamp; one without an offset is UTC (the API's zone, see shapes.ts). */
export function apiTimestampMs(text: string): number {
  return Date.parse(/(Z|[+-]\d{2}:?\d{2})$/.test(text) ? text : `${text}Z`);
}
