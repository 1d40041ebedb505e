/**
 * Lambda `resolve-run-date`, DailyPipeline's first state (`ResolveRunDate`): event
 * `{execution_input, execution_start_time, time_zone}`, result `{run_date, resolved_from, instant?,
 * time_zone}`. The run date is `execution_input.run_date` when given, else the day before the scheduled
 * time (or the execution's start) in the schedule's time zone; see {@link runResolveRunDate}, which the
 * local runner calls directly.
 *
 * It reads no environment beyond POWERTOOLS_* and calls no AWS API.
 */
import { createLogger, type Logger } from '../shared/logging';
import { runResolveRunDate, type ResolveRunDateResult } from './resolve-run-date';

export {
  calendarDateIn,
  InvalidRunDateEventError,
  isTimeZone,
  previousDayIn,
  ResolveRunDateEventSchema,
  runResolveRunDate,
} from './resolve-run-date';
export type {
  ResolveRunDateDeps,
  ResolveRunDateEvent,
  ResolveRunDateResult,
  RunDateSource,
} from './resolve-run-date';

let logger: Logger | undefined;

export async function handler(
  event: unknown,
  context?: { awsRequestId?: string },
): Promise<ResolveRunDateResult> {
  logger ??= createLogger({ serviceName: 'resolve-run-date' });
  if (context?.awsRequestId) logger.appendKeys({ request_id: context.awsRequestId });
  const result = runResolveRunDate(event);
  logger.info('run date resolved', { ...result });
  return result;
}
