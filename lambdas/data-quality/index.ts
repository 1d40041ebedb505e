/**
 * Lambda `data-quality`: event `{run_date, stage: "transform" | "serving", declared_empty?: boolean,
 * serving_load?: {guard_measures?: [{test, failures, failing_rows}]}}` (this run's LoadServing result), result
 * `{run_date, stage, status: "passed" | "warned" | "failed", failed: [rule...], warned: [rule...], results_key}`.
 * The state machine's quality gates (`TransformQualityGate`, `ServingQualityGate`) fail the run when
 * `status` is `failed`. The handler only wires AWS adapters from the environment; the work is
 * {@link runDataQuality}, which the local runner calls with local adapters (lib/local/local-data-quality.ts).
 *
 * Environment:
 * - LANDING_BUCKET: extraction manifests.
 * - RESULTS_BUCKET: where `dq-results/run_date=D/<stage>.json` goes (the serving-side bucket).
 * - JOB_RESULTS_BUCKET, JOB_RESULTS_PREFIX (`_job_results`): the transform jobs' counts (the Glue jobs'
 *   `--job_results_path` is `s3://JOB_RESULTS_BUCKET/JOB_RESULTS_PREFIX`).
 * - REDSHIFT_WORKGROUP, REDSHIFT_DATABASE, optionally REDSHIFT_SECRET_ARN (else IAM temporary credentials).
 * - SERVING_PLAN_PATH: the redshift serving plan bundled with the function (default `serving-plan.json`
 *   beside the handler).
 * - EARLIEST_RUN_DATE, RUN_DATE_TIME_ZONE: the run-date bounds.
 * - optionally QUARANTINE_WARN_PERCENT (1), QUARANTINE_ERROR_PERCENT (5), TEST_CONCURRENCY (4);
 *   POWERTOOLS_* as Powertools reads them.
 */
import * as path from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import * as z from '../shared/zod';
import { bucketVar, intVar, redshiftDataApiEnv } from '../shared/config';
import { runDateHandler } from '../shared/handler';
import { JOB_RESULTS_PREFIX } from '../shared/platform-names';
import { redshiftDataWarehouseFromEnv } from '../shared/redshift-data-warehouse';
import { S3ObjectStore } from '../shared/s3-object-store';
import { RUN_DATE_BOUNDS_ENV } from '../shared/run-date';
import { loadServingPlan } from '../shared/serving-plan';
import { transformCountsFromJobResults } from './quarantine-rate';
import { runDataQuality, type DataQualityDeps, type DataQualityResult } from './run-data-quality';

const percentVar = (defaultValue: number) =>
  z.pipe(
    z.optional(z.string()),
    z.transform((value: string | undefined, context) => {
      if (value === undefined || value.trim() === '') return defaultValue;
      const parsed = Number(value);
      if (!Number.isFinite(parsed) || parsed < 0 || parsed > 100) {
        context.issues.push({ code: 'custom', message: 'must be a percentage in [0, 100]', input: value });
        return z.NEVER;
      }
      return parsed;
    }),
  );

export const DataQualityEnvSchema = z.object({
  LANDING_BUCKET: bucketVar,
  RESULTS_BUCKET: bucketVar,
  JOB_RESULTS_BUCKET: bucketVar,
  JOB_RESULTS_PREFIX: z._default(z.string(), JOB_RESULTS_PREFIX),
  ...redshiftDataApiEnv(),
  SERVING_PLAN_PATH: z._default(z.string().check(z.minLength(1)), path.join(__dirname, 'serving-plan.json')),
  QUARANTINE_WARN_PERCENT: percentVar(1),
  QUARANTINE_ERROR_PERCENT: percentVar(5),
  TEST_CONCURRENCY: intVar(4, 1, 32),
  ...RUN_DATE_BOUNDS_ENV,
});

/** Built on the first invocation, once per container (importing this module reads no environment). */
export const handler = runDateHandler({
  service: 'data-quality',
  envSchema: DataQualityEnvSchema,
  deps: (env, { logger, metrics }): DataQualityDeps => {
    const plan = loadServingPlan(env.SERVING_PLAN_PATH);
    if (plan.target !== 'redshift') {
      throw new Error(
        `${env.SERVING_PLAN_PATH} is the ${plan.target} plan; data-quality on AWS runs the redshift plan`,
      );
    }
    const s3 = new S3Client({});
    return {
      plan,
      warehouse: redshiftDataWarehouseFromEnv(env),
      landingStore: new S3ObjectStore({ client: s3, bucket: env.LANDING_BUCKET }),
      resultsStore: new S3ObjectStore({ client: s3, bucket: env.RESULTS_BUCKET }),
      transformCounts: transformCountsFromJobResults(
        new S3ObjectStore({ client: s3, bucket: env.JOB_RESULTS_BUCKET }),
        env.JOB_RESULTS_PREFIX,
      ),
      thresholds: {
        quarantine: {
          warnAbovePercent: env.QUARANTINE_WARN_PERCENT,
          errorAbovePercent: env.QUARANTINE_ERROR_PERCENT,
        },
      },
      concurrency: env.TEST_CONCURRENCY,
      logger,
      metrics,
    };
  },
  run: (event, deps): Promise<DataQualityResult> => runDataQuality(event, deps),
});
