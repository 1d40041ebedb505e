/**
 * Lambda `resolve-run-date`, two jobs on run dates:
 * - DailyPipeline's first state (`ResolveRunDate`): event `{execution_input, execution_start_time,
 *   time_zone, lock_ttl_seconds?}`, result `{run_date, resolved_from, instant?, time_zone, lock?}`. The run
 *   date is `execution_input.run_date` when given, else the day before the scheduled time (or the
 *   execution's start) in the schedule's time zone; see {@link runResolveRunDate}, which the local runner
 *   calls directly.
 * - The Backfill's first state (`CheckRunDates`): event `{run_dates: [...]}`, result the same dates, once
 *   each is checked ({@link runCheckRunDates}).
 * Either way a date outside the bounds fails with `RunDateOutOfRange`.
 *
 * Environment: EARLIEST_RUN_DATE, RUN_DATE_TIME_ZONE (the run-date bounds); POWERTOOLS_* as Powertools
 * reads them. It calls no AWS API.
 */
import * as z from '../shared/zod';
import { readEnv } from '../shared/config';
import { pipelineHandler } from '../shared/handler';
import { RUN_DATE_BOUNDS_ENV, runDateBoundsFromEnv } from '../shared/run-date';
import { runCheckRunDates, runResolveRunDate, type ResolveRunDateResult } from './resolve-run-date';

export const ResolveRunDateEnvSchema = z.object(RUN_DATE_BOUNDS_ENV);

export const handler = pipelineHandler({
  service: 'resolve-run-date',
  metrics: false,
  init: ({ logger }) => ({
    logger,
    bounds: runDateBoundsFromEnv(readEnv(ResolveRunDateEnvSchema, 'resolve-run-date')),
  }),
  handle: async (event, { logger, bounds }): Promise<ResolveRunDateResult | { run_dates: string[] }> => {
    if (event !== null && typeof event === 'object' && 'run_dates' in event) {
      const checked = runCheckRunDates(event, { bounds });
      logger.info('run dates checked', { run_dates: checked.run_dates.length });
      return checked;
    }
    const result = runResolveRunDate(event, { bounds });
    logger.info('run date resolved', { ...result });
    return result;
  },
});
