/**
 * Lambda `serving-load`: event `{run_date}`, result `{run_date, target, models: [{name, materialization,
 * rows, replayed_from}], statements}`. It executes the redshift serving plan (dbt_modeling/plan/redshift.json,
 * bundled beside the handler) through the Redshift Data API; the work is {@link runServingLoad}, which the
 * local runner calls with a DuckDB warehouse and the duckdb plan.
 *
 * Environment:
 * - REDSHIFT_WORKGROUP, REDSHIFT_DATABASE, optionally REDSHIFT_SECRET_ARN (else IAM temporary credentials).
 * - SERVING_PLAN_PATH: the plan file (default `serving-plan.json` beside the handler).
 * - EARLIEST_RUN_DATE, RUN_DATE_TIME_ZONE: the run-date bounds.
 * - POWERTOOLS_* as Powertools reads them.
 */
import * as path from 'node:path';
import { RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import * as z from '../shared/zod';
import { readEnv, redshiftDataApiEnv } from '../shared/config';
import { createLogger, type Logger } from '../shared/logging';
import { RedshiftDataWarehouse } from '../shared/redshift-data-warehouse';
import { loadServingPlan } from '../shared/serving-plan';
import {
  checkEventRunDate,
  RUN_DATE_BOUNDS_ENV,
  runDateBoundsFromEnv,
  type RunDateBounds,
} from '../shared/run-date';
import { runServingLoad, type ServingLoadDeps, type ServingLoadResult } from './load';

export { runServingLoad, planStatements, ServingLoadEventSchema } from './load';
export type {
  LoadLogger,
  ModelLoadResult,
  ServingLoadDeps,
  ServingLoadEvent,
  ServingLoadResult,
} from './load';

export const ServingLoadEnvSchema = z.object({
  ...redshiftDataApiEnv(),
  SERVING_PLAN_PATH: z._default(z.string().check(z.minLength(1)), path.join(__dirname, 'serving-plan.json')),
  ...RUN_DATE_BOUNDS_ENV,
});

interface Runtime {
  readonly deps: ServingLoadDeps;
  readonly logger: Logger;
  readonly bounds: RunDateBounds;
}

let runtime: Runtime | undefined;

/** Built once per container, on the first invocation (importing this module reads no environment). */
function getRuntime(): Runtime {
  if (runtime === undefined) {
    const env = readEnv(ServingLoadEnvSchema, 'serving-load');
    const plan = loadServingPlan(env.SERVING_PLAN_PATH);
    if (plan.target !== 'redshift') {
      throw new Error(
        `${env.SERVING_PLAN_PATH} is the ${plan.target} plan; serving-load on AWS runs the redshift plan`,
      );
    }
    const logger = createLogger({ serviceName: 'serving-load' });
    const built: Runtime = {
      logger,
      bounds: runDateBoundsFromEnv(env),
      deps: {
        plan,
        logger,
        warehouse: new RedshiftDataWarehouse({
          client: new RedshiftDataClient({}),
          workgroupName: env.REDSHIFT_WORKGROUP,
          database: env.REDSHIFT_DATABASE,
          secretArn: env.REDSHIFT_SECRET_ARN,
        }),
      },
    };
    runtime = built;
    return built;
  }
  return runtime;
}

export async function handler(
  event: unknown,
  context?: { awsRequestId?: string },
): Promise<ServingLoadResult> {
  const { deps, logger, bounds } = getRuntime();
  if (context?.awsRequestId) logger.appendKeys({ request_id: context.awsRequestId });
  return runServingLoad(checkEventRunDate(event, bounds), deps);
}
