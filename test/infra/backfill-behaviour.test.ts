/** Runs the synthesized Backfill definition under aws-local-stepfunctions with a recording DailyPipeline. */
import { synthesizePipelineDefinition } from '../../lib/daily-pipeline-definition';
import { ExecutionError, StateMachine } from '../../lib/local/pipeline/local-stepfunctions';
import type { RunOptions, StateMachineDefinition } from '../../lib/local/pipeline/local-stepfunctions';
import { runCheckRunDates } from '../../lambdas/resolve-run-date/resolve-run-date';

type LocalHandlers = NonNullable<NonNullable<RunOptions['overrides']>['taskResourceLocalHandlers']>;
type Input = Parameters<InstanceType<typeof StateMachine>['run']>[0];

describe('Backfill behaviour (aws-local-stepfunctions)', () => {
  let machine: InstanceType<typeof StateMachine>;
  beforeAll(async () => {
    const { definition } = await synthesizePipelineDefinition('Backfill', 'dev');
    machine = new StateMachine(definition as unknown as StateMachineDefinition, {
      validationOptions: { checkArn: false, checkPaths: true },
    });
  });

  const run = (input: Input, failOn?: string) => {
    const started: string[] = [];
    const handlers = {
      // The real check, as the deployed function runs it (bounds from cdk.json's dev environment).
      CheckRunDates: async (request: { Payload: unknown }) => ({
        Payload: runCheckRunDates(request.Payload, {
          bounds: { earliest: '2020-01-01', timeZone: 'Europe/Paris', source: 'test' },
        }),
      }),
      RunDailyPipeline: async (request: { Input: { run_date: string } }) => {
        // One run at a time: a second start while one is running would show up as an overlap.
        started.push(request.Input.run_date);
        await new Promise((resolve) => setTimeout(resolve, 5));
        if (request.Input.run_date === failOn) {
          throw Object.assign(new Error(`DailyPipeline failed for ${failOn}`), { name: 'States.TaskFailed' });
        }
        return {
          Status: 'SUCCEEDED',
          ExecutionArn: `arn:aws:states:::execution:DailyPipeline:${request.Input.run_date}`,
        };
      },
    };
    const execution = machine.run(input, {
      overrides: {
        taskResourceLocalHandlers: handlers as unknown as LocalHandlers,
        retryIntervalOverrides: {},
      },
      context: {
        Execution: { Id: 'arn:aws:states:eu-west-1:111111111111:execution:Backfill:test', Input: input },
      },
    });
    return { started, result: execution.result };
  };

  it('runs DailyPipeline for each date, in the given order', async () => {
    const dates = ['2026-11-01', '2026-11-02', '2026-11-03', '2026-11-04'];
    const { started, result } = run({ run_dates: dates });
    const output = (await result) as { runs: { Status: string }[] };
    expect(started).toEqual(dates);
    expect(output.runs.map((runResult) => runResult.Status)).toEqual([
      'SUCCEEDED',
      'SUCCEEDED',
      'SUCCEEDED',
      'SUCCEEDED',
    ]);
  });

  it('fails the backfill at the first failed date', async () => {
    const { started, result } = run(
      { run_dates: ['2026-11-01', '2026-11-02', '2026-11-03', '2026-11-04'] },
      '2026-11-02',
    );
    await expect(result).rejects.toThrow(ExecutionError);
    // In AWS a failed iteration fails the Map and no later item starts. aws-local-stepfunctions queues every
    // item in p-limit and does not cancel the queue on a failure, so later dates still run locally: only the
    // order and the failed backfill can be asserted here.
    expect(started).toEqual(['2026-11-01', '2026-11-02', '2026-11-03', '2026-11-04']);
  });

  it('refuses the whole backfill, running no date, when one date is after today or before the earliest', async () => {
    for (const outlier of ['2999-01-01', '2019-12-31']) {
      const { started, result } = run({ run_dates: ['2026-11-01', outlier, '2026-11-03'] });
      await expect(result).rejects.toThrow(
        new RegExp(`run date ${outlier} \\(run_dates\\[1\\] of the backfill input\\) is (after|before)`),
      );
      expect(started).toEqual([]);
    }
  });

  it('rejects an input without dates', async () => {
    await expect(run({ start: '2026-11-01' }).result).rejects.toThrow(
      /InvalidBackfillInput|expected \{"run_dates"/,
    );
    await expect(run({ run_dates: [] }).result).rejects.toThrow(ExecutionError);
  });
});
