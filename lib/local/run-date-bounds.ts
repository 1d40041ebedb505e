/**
 * The run-date bounds of the local commands: the same cdk.json values the deployed functions receive as
 * EARLIEST_RUN_DATE and RUN_DATE_TIME_ZONE (the environment's `earliestRunDate` and `schedule.timeZone`),
 * so a date the deployed pipeline would refuse is refused locally too.
 */
import {
  ENVIRONMENTS_CONTEXT_KEY,
  parseEnvironments,
  readCdkJsonContext,
  type NamedEnvironmentConfig,
} from '../config';
import type { RunDateBounds } from '../../lambdas/shared/run-date';

/** The local runner synthesizes this environment's DailyPipeline; its bounds apply locally. */
export const LOCAL_ENVIRONMENT = 'dev';

/** `environment` of cdk.json, validated as the synthesis validates it. */
export function localEnvironmentConfig(environment = LOCAL_ENVIRONMENT): NamedEnvironmentConfig {
  const config = parseEnvironments(readCdkJsonContext()[ENVIRONMENTS_CONTEXT_KEY]).find(
    (candidate) => candidate.name === environment,
  );
  if (!config) throw new Error(`no environment ${environment} in cdk.json`);
  return config;
}

/** The bounds of `environment` in cdk.json. */
export function localRunDateBounds(environment = LOCAL_ENVIRONMENT): RunDateBounds {
  const config = localEnvironmentConfig(environment);
  return {
    earliest: config.earliestRunDate,
    timeZone: config.schedule.timeZone,
    source: `cdk.json environment ${environment}: earliestRunDate, schedule.timeZone`,
  };
}
