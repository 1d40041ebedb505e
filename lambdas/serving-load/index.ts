/**
 * Lambda `serving-load`: event `{run_date}`, result `{run_date, target, models: [{name, materialization,
 * rows (null for a view), replayed_from}], statements, guard_measures: [{test, failures, failing_rows}]}`.
 * It executes the redshift serving plan (dbt_modeling/plan/redshift.json, bundled beside the handler)
 * through the Redshift Data API; the work is {@link runServingLoad}, which the local runner calls with a
 * DuckDB warehouse and the duckdb plan.
 *
 * Environment:
 * - REDSHIFT_WORKGROUP, REDSHIFT_DATABASE, optionally REDSHIFT_SECRET_ARN (else IAM temporary credentials).
 * - SERVING_PLAN_PATH: the plan file (default `serving-plan.json` beside the handler).
 * - EARLIEST_RUN_DATE, RUN_DATE_TIME_ZONE: the run-date bounds.
 * - POWERTOOLS_* as Powertools reads them.
 */
import * as path from 'node:path';
import * as z from '../shared/zod';
import { redshiftDataApiEnv } from '../shared/config';
import { runDateHandler } from '../shared/handler';
import { redshiftDataWarehouseFromEnv } from '../shared/redshift-data-warehouse';
import { loadServingPlan } from '../shared/serving-plan';
import { RUN_DATE_BOUNDS_ENV } from '../shared/run-date';
import { runServingLoad, type ServingLoadDeps, type ServingLoadResult } from './load';

export const ServingLoadEnvSchema = z.object({
  ...redshiftDataApiEnv(),
  SERVING_PLAN_PATH: z._default(z.string().check(z.minLength(1)), path.join(__dirname, 'serving-plan.json')),
  ...RUN_DATE_BOUNDS_ENV,
});

/** Built on the first invocation, once per container (importing this module reads no environment). */
export const handler = runDateHandler({
  service: 'serving-load',
  metrics: false,
  envSchema: ServingLoadEnvSchema,
  deps: (env, { logger }): ServingLoadDeps => {
    const plan = loadServingPlan(env.SERVING_PLAN_PATH);
    if (plan.target !== 'redshift') {
      throw new Error(
        `${env.SERVING_PLAN_PATH} is the ${plan.target} plan; serving-load on AWS runs the redshift plan`,
      );
    }
    return { plan, logger, warehouse: redshiftDataWarehouseFromEnv(env) };
  },
  run: (event, deps): Promise<ServingLoadResult> => runServingLoad(event, deps),
});
