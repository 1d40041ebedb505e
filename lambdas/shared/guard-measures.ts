/**
 * What serving-load measured of each error-severity serving test inside its transaction (its guards), as
 * the CheckServingQuality gate would measure it: the test's `fail_calc` over its failing rows, and their
 * count. The state machine hands them from LoadServing to CheckServingQuality, which then reports those
 * tests from the committed state's measures instead of running them a second time (issue 17).
 */
import * as z from './zod';

export const GuardMeasureSchema = z.object({
  /** The dbt test's name. */
  test: z.string().check(z.minLength(1)),
  /** Its `fail_calc` (default `count(*)`); null when the measure is null (no row to sum). */
  failures: z.nullable(z.number()),
  /** Rows the test returned. */
  failing_rows: z.number().check(z.int(), z.nonnegative()),
});
export type GuardMeasure = z.infer<typeof GuardMeasureSchema>;
