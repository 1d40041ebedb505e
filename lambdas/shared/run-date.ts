/** The `run_date` of a pipeline event: an ISO date (`YYYY-MM-DD`) that exists in the calendar. */
import { z } from 'zod';
import { ISO_DATE_PATTERN } from './contracts';

export const RunDateSchema = z
  .string({ error: 'run_date must be a string YYYY-MM-DD' })
  .regex(ISO_DATE_PATTERN, 'run_date must be YYYY-MM-DD')
  .refine(
    (value) => {
      const date = new Date(`${value}T00:00:00Z`);
      return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(value);
    },
    {
      message: 'run_date is not a calendar date',
    },
  );

/** The first day of the users snapshot window: the API's users from the epoch to the run date. */
export const SNAPSHOT_EPOCH = '1970-01-01';
