/**
 * The local Glue: the run's one Spark session (lib/local/spark-runner.ts) behind the small interface the
 * Glue state bindings use.
 */
import { LocalSparkRunner, TRANSFORM_JOB_NAMES, type TransformJobName } from '../spark-runner';
import type { LocalGlue } from './local-bindings';

function transformJob(job: string): TransformJobName {
  if (!(TRANSFORM_JOB_NAMES as readonly string[]).includes(job)) {
    throw new Error(`no local Glue job ${job}; the jobs are ${TRANSFORM_JOB_NAMES.join(', ')}`);
  }
  return job as TransformJobName;
}

export async function startLocalGlue(dataDir: string): Promise<LocalGlue & { close(): Promise<void> }> {
  const runner = await LocalSparkRunner.start({ dataDir });
  return {
    runJob: (job, args) => {
      if (!args.run_date) throw new Error(`Glue job ${job} needs --run_date`);
      return runner.runJob(transformJob(job), { ...args, run_date: args.run_date });
    },
    listDataFiles: (table) => runner.listDataFiles(table),
    close: () => runner.close(),
  };
}
