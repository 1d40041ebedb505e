/**
 * The local Glue: the run's one Spark session (lib/local/spark-runner.ts) behind the small interface the
 * Glue state bindings use.
 */
import type { IcebergMaintenanceConfig } from '../../config';
import { localEnvironmentConfig } from '../run-date-bounds';
import { LocalSparkRunner, TRANSFORM_JOB_NAMES, type TransformJobName } from '../spark-runner';
import type { LocalGlue } from './local-bindings';

function transformJob(job: string): TransformJobName {
  if (!(TRANSFORM_JOB_NAMES as readonly string[]).includes(job)) {
    throw new Error(`no local Glue job ${job}; the jobs are ${TRANSFORM_JOB_NAMES.join(', ')}`);
  }
  return job as TransformJobName;
}

/**
 * `tableMaintenance`: the Iceberg maintenance after each job, as the Glue table optimizers do in AWS
 * (default: cdk.json's, of the local environment); false for none.
 */
export async function startLocalGlue(
  dataDir: string,
  tableMaintenance: IcebergMaintenanceConfig | false = localEnvironmentConfig().icebergMaintenance,
): Promise<LocalGlue & { close(): Promise<void> }> {
  const runner = await LocalSparkRunner.start({ dataDir, tableMaintenance: tableMaintenance || undefined });
  return {
    runJob: (job, args) => {
      if (!args.run_date) throw new Error(`Glue job ${job} needs --run_date`);
      return runner.runJob(transformJob(job), { ...args, run_date: args.run_date });
    },
    listDataFiles: (tables) => runner.listDataFiles(tables),
    close: () => runner.close(),
  };
}
