/**
 * Runs the synthesized DailyPipeline definition under aws-local-stepfunctions with recording stand-ins for
 * the tasks (the real resolve-run-date function): the run-date resolution, the happy path, and the paths
 * through NotifyFailure.
 */
import { StateMachine, ExecutionError } from '../../lib/local/pipeline/local-stepfunctions';
import type { RunOptions, StateMachineDefinition } from '../../lib/local/pipeline/local-stepfunctions';
import { synthesizeDailyPipelineDefinition } from '../../lib/daily-pipeline-definition';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { previousDayIn } from '../../lambdas/resolve-run-date/resolve-run-date';
import {
  GUARD_MEASURES,
  messageOf,
  runLocks,
  standIns,
  type Calls,
  type Handler,
} from './daily-pipeline-stand-ins';
import { DAILY_PIPELINE_STATES as S } from '../../lib/constructs/daily-pipeline-states';

type LocalHandlers = NonNullable<NonNullable<RunOptions['overrides']>['taskResourceLocalHandlers']>;

afterAll(() => fs.rmSync(runLocks.directory, { recursive: true, force: true }));

describe('DailyPipeline behaviour (aws-local-stepfunctions)', () => {
  let machine: InstanceType<typeof StateMachine>;
  beforeAll(async () => {
    const { definition } = await synthesizeDailyPipelineDefinition('dev');
    machine = new StateMachine(definition as unknown as StateMachineDefinition, {
      validationOptions: { checkArn: false, checkPaths: true },
    });
  });

  type Input = Parameters<InstanceType<typeof StateMachine>['run']>[0];
  const run = async (
    input: Input,
    handlers: Record<string, Handler>,
    retryIntervals: Record<string, number> = {},
    executionName = 'test',
  ) =>
    machine.run(input, {
      overrides: {
        taskResourceLocalHandlers: handlers as LocalHandlers,
        retryIntervalOverrides: retryIntervals,
      },
      context: {
        Execution: {
          Id: `arn:aws:states:eu-west-1:111111111111:execution:DailyPipeline:${executionName}`,
          Input: input,
        },
      },
    }).result;

  it('runs every step once for the given date and notifies success', async () => {
    const calls: Calls = [];
    const output = (await run({ run_date: '2026-11-19' }, standIns(calls))) as Record<string, unknown>;
    expect(calls.map((call) => call.state).sort()).toEqual(
      [
        S.resolveRunDate,
        S.checkServingQuality,
        S.checkTransformQuality,
        S.extractSessions,
        S.extractSongs,
        S.extractUsers,
        S.extractConcerts,
        S.extractArtistStats,
        S.loadServing,
        S.notifySuccess,
        S.transformApi,
        S.transformSongs,
        S.transformEnrichment,
        S.transformListens,
      ].sort(),
    );
    const byState = Object.fromEntries(calls.map((call) => [call.state, call.input]));
    expect(byState.ExtractUsers).toEqual({ run_date: '2026-11-19', entity: 'users' });
    expect(byState.ExtractSessions).toEqual({ run_date: '2026-11-19', entity: 'sessions' });
    expect(byState.CheckTransformQuality).toEqual({
      run_date: '2026-11-19',
      stage: 'transform',
      declared_empty: false,
    });
    expect(byState.CheckServingQuality).toEqual({
      run_date: '2026-11-19',
      stage: 'serving',
      serving_load: { models: 9, guard_measures: GUARD_MEASURES },
    });
    expect(byState.TransformApi).toMatchObject({ Arguments: { '--run_date': '2026-11-19' } });
    expect(byState.ExtractConcerts).toEqual({ run_date: '2026-11-19' });
    expect(byState.ExtractArtistStats).toEqual({ run_date: '2026-11-19' });
    expect(byState.TransformEnrichment).toMatchObject({ Arguments: { '--run_date': '2026-11-19' } });
    // The lateness window is the job's own default argument, not the state's.
    expect(byState.TransformListens).toMatchObject({ Arguments: { '--run_date': '2026-11-19' } });
    expect(Object.keys(byState.TransformListens.Arguments as object)).toEqual(['--run_date']);
    // The enrichment's transform starts only once both of its extractions are done.
    const order = calls.map((call) => call.state);
    expect(order.indexOf(S.transformEnrichment)).toBeGreaterThan(
      Math.max(order.indexOf(S.extractConcerts), order.indexOf(S.extractArtistStats)),
    );
    const message = messageOf(byState.NotifySuccess);
    expect(message).toMatchObject({
      outcome: 'succeeded',
      run_date: '2026-11-19',
      serving_quality: 'warned',
    });
    expect(output).toMatchObject({
      run_date: '2026-11-19',
      servingQuality: { result: { status: 'warned' } },
    });
  });

  it('passes a declared-empty day on to the transform gate only', async () => {
    const calls: Calls = [];
    await run({ run_date: '2026-11-19', declared_empty: true }, standIns(calls));
    const byState = Object.fromEntries(calls.map((call) => [call.state, call.input]));
    expect(byState.CheckTransformQuality).toEqual({
      run_date: '2026-11-19',
      stage: 'transform',
      declared_empty: true,
    });
    expect(byState.CheckServingQuality).toEqual({
      run_date: '2026-11-19',
      stage: 'serving',
      serving_load: { models: 9, guard_measures: GUARD_MEASURES },
    });
  });

  it("runs the previous day in the schedule's time zone when started by the schedule", async () => {
    const scheduled: Calls = [];
    const output = await run({ scheduled_time: '2026-11-21T01:00:00Z' }, standIns(scheduled));
    const resolve = scheduled.find((call) => call.state === S.resolveRunDate)?.input;
    expect(resolve).toEqual({
      execution_input: { scheduled_time: '2026-11-21T01:00:00Z' },
      execution_start_time: expect.any(String),
      time_zone: 'Europe/Paris',
      lock_ttl_seconds: expect.any(Number),
    });
    expect(scheduled.find((call) => call.state === S.extractSongs)?.input).toEqual({
      run_date: '2026-11-20',
    });
    expect(scheduled.find((call) => call.state === S.extractUsers)?.input).toEqual({
      run_date: '2026-11-20',
      entity: 'users',
    });
    // Just after midnight in Paris (still the previous day in UTC): the day that just ended.
    const lateNight: Calls = [];
    await run({ scheduled_time: '2026-11-21T23:30:00Z' }, standIns(lateNight));
    expect(lateNight.find((call) => call.state === S.extractSongs)?.input).toEqual({
      run_date: '2026-11-21',
    });
    expect(output).toMatchObject({ run_date: '2026-11-20' });
    expect(output).not.toHaveProperty('scheduled_time');
  });

  it('runs the previous day of the execution start without input, and a given date as is', async () => {
    // aws-local-stepfunctions sets $$.Execution.StartTime itself (to now), whatever the context says.
    const manual: Calls = [];
    const before = previousDayIn(new Date(), 'Europe/Paris');
    await run({}, standIns(manual));
    const after = previousDayIn(new Date(), 'Europe/Paris');
    const resolved = manual.find((call) => call.state === S.extractSongs)?.input.run_date;
    expect([before, after]).toContain(resolved);

    const given: Calls = [];
    await run({ run_date: '2026-11-21', scheduled_time: '2026-11-25T01:00:00Z' }, standIns(given));
    expect(given.find((call) => call.state === S.extractSongs)?.input).toEqual({ run_date: '2026-11-21' });
  });

  it('alerts and fails, running nothing, when the run date cannot be resolved', async () => {
    const inputs: Input[] = [{ run_date: '2026-02-30' }, { scheduled_time: 'yesterday' }];
    for (const input of inputs) {
      const calls: Calls = [];
      await expect(run(input, standIns(calls))).rejects.toThrow(ExecutionError);
      expect(calls.map((call) => call.state)).toEqual([S.resolveRunDate, S.notifyFailure]);
      const alert = messageOf(calls.find((call) => call.state === S.notifyFailure)?.input);
      expect(alert).toMatchObject({
        outcome: 'failed',
        run_date: 'unresolved',
        error: 'InvalidRunDateEvent',
      });
      expect(String(alert.cause)).toMatch(/execution_input\.(run_date|scheduled_time)/);
    }
  });

  it('alerts and fails, running nothing, when the run date is after today or before the earliest', async () => {
    for (const runDate of ['2999-01-01', '2019-12-31']) {
      const calls: Calls = [];
      await expect(run({ run_date: runDate }, standIns(calls))).rejects.toThrow(ExecutionError);
      expect(calls.map((call) => call.state)).toEqual([S.resolveRunDate, S.notifyFailure]);
      const alert = messageOf(calls.find((call) => call.state === S.notifyFailure)?.input);
      expect(alert).toMatchObject({ outcome: 'failed', error: 'RunDateOutOfRange' });
      expect(String(alert.cause)).toContain(`run date ${runDate} (the execution input's run_date)`);
    }
  });

  it('stops at a failed transform gate: no serving load, an alert, a failed execution', async () => {
    const calls: Calls = [];
    const handlers = standIns(calls, {
      CheckTransformQuality: async (input) => {
        calls.push({
          state: S.checkTransformQuality,
          input: (input as { Payload: Record<string, unknown> }).Payload,
        });
        return { Payload: { status: 'failed', failed_rules: ['not_null_sessions_session_id'] } };
      },
    });
    await expect(run({ run_date: '2026-11-19' }, handlers)).rejects.toThrow(ExecutionError);
    const states = calls.map((call) => call.state);
    expect(states).not.toContain(S.loadServing);
    expect(states).toContain(S.notifyFailure);
    const alert = messageOf(calls.find((call) => call.state === S.notifyFailure)?.input);
    expect(alert).toMatchObject({ outcome: 'failed', run_date: '2026-11-19', error: 'QualityGateFailed' });
    expect(String(alert.cause)).toContain('not_null_sessions_session_id');
  });

  it('runs the load again after a TransientWarehouseError, and alerts when the warehouse stays busy', async () => {
    const transient = () =>
      Object.assign(new Error('Redshift Data API ExecuteStatement: ThrottlingException: Rate exceeded'), {
        name: 'TransientWarehouseError',
      });
    const calls: Calls = [];
    let loads = 0;
    const handlers = standIns(calls, {
      LoadServing: async (input) => {
        calls.push({ state: S.loadServing, input: (input as { Payload: Record<string, unknown> }).Payload });
        loads += 1;
        if (loads === 1) throw transient();
        // A result without guard_measures (an older serving-load): the gate still runs, measuring every test.
        return { Payload: { models: 9 } };
      },
    });
    await run({ run_date: '2026-11-19' }, handlers, { LoadServing: 0 });
    expect(calls.filter((call) => call.state === S.loadServing)).toHaveLength(2);
    expect(calls.map((call) => call.state)).toContain(S.notifySuccess);
    expect(calls.find((call) => call.state === S.checkServingQuality)?.input).toEqual({
      run_date: '2026-11-19',
      stage: 'serving',
      serving_load: { models: 9 },
    });

    const busy: Calls = [];
    const alwaysBusy = standIns(busy, {
      CheckServingQuality: async () => {
        busy.push({ state: S.checkServingQuality, input: {} });
        throw transient();
      },
    });
    await expect(run({ run_date: '2026-11-19' }, alwaysBusy, { CheckServingQuality: 0 })).rejects.toThrow(
      ExecutionError,
    );
    // The first attempt and MaxAttempts (3) retries, then the alert.
    expect(busy.filter((call) => call.state === S.checkServingQuality)).toHaveLength(4);
    const alert = messageOf(busy.find((call) => call.state === S.notifyFailure)?.input);
    expect(alert).toMatchObject({ outcome: 'failed', error: 'TransientWarehouseError' });
  });

  it('routes a failing branch task through NotifyFailure with its error', async () => {
    const calls: Calls = [];
    const handlers = standIns(calls, {
      ExtractSessions: async () => {
        throw Object.assign(new Error('API returned 500 after 6 attempts'), { name: 'ExtractionError' });
      },
    });
    await expect(run({ run_date: '2026-11-19' }, handlers)).rejects.toThrow(ExecutionError);
    const states = calls.map((call) => call.state);
    expect(states).not.toContain(S.checkTransformQuality);
    const alert = messageOf(calls.find((call) => call.state === S.notifyFailure)?.input);
    expect(alert).toMatchObject({ outcome: 'failed', error: 'ExtractionError' });
    expect(String(alert.cause)).toContain('API returned 500');
  });

  it('fails the run when the listening events job fails: no gate, no load, an alert naming the Glue error', async () => {
    const calls: Calls = [];
    const handlers = standIns(calls, {
      TransformListens: async () => {
        throw Object.assign(new Error('Job run failed: lateness window unreadable'), {
          name: 'States.TaskFailed',
        });
      },
    });
    await expect(run({ run_date: '2026-11-19' }, handlers)).rejects.toThrow(ExecutionError);
    const states = calls.map((call) => call.state);
    // A failed job run is alerted, not retried (only starting it is).
    expect(states).not.toContain(S.checkTransformQuality);
    expect(states).not.toContain(S.loadServing);
    const alert = messageOf(calls.find((call) => call.state === S.notifyFailure)?.input);
    expect(alert).toMatchObject({ outcome: 'failed', run_date: '2026-11-19', error: 'States.TaskFailed' });
    expect(String(alert.cause)).toContain('lateness window unreadable');
    expect(runLocks.read('2026-11-19')).toBeUndefined();
  });

  it('fails the run at a bad enrichment key: no enrichment transform, no gate, no load, an alert naming it', async () => {
    const calls: Calls = [];
    const handlers = standIns(calls, {
      ExtractConcerts: async (input) => {
        calls.push({
          state: S.extractConcerts,
          input: (input as { Payload: Record<string, unknown> }).Payload,
        });
        throw Object.assign(
          new Error('concerts API: HTTP 401 Invalid ApiKey (GET .../events.json?apikey=***)'),
          {
            name: 'InvalidApiKeyError',
          },
        );
      },
    });
    await expect(run({ run_date: '2026-11-19' }, handlers, {}, 'bad-key')).rejects.toThrow(ExecutionError);
    const states = calls.map((call) => call.state);
    // A handler's own error is not a Lambda service error: it is not retried.
    expect(states.filter((state) => state === S.extractConcerts)).toHaveLength(1);
    for (const state of [S.transformEnrichment, S.checkTransformQuality, S.loadServing]) {
      expect(states).not.toContain(state);
    }
    const alert = messageOf(calls.find((call) => call.state === S.notifyFailure)?.input);
    expect(alert).toMatchObject({ outcome: 'failed', run_date: '2026-11-19', error: 'InvalidApiKeyError' });
    expect(String(alert.cause)).toContain('HTTP 401 Invalid ApiKey');
    expect(runLocks.read('2026-11-19')).toBeUndefined();
  });

  describe('one execution per run date (the run-lock table)', () => {
    const lockOf = (runDate: string) => runLocks.read(runDate);

    it('fails a second execution of a date while the first holds its lock, touching nothing; the first then releases it', async () => {
      let enterExtract!: () => void;
      const entered = new Promise<void>((resolve) => (enterExtract = resolve));
      let finishExtract!: () => void;
      const extractMayFinish = new Promise<void>((resolve) => (finishExtract = resolve));
      const first: Calls = [];
      const firstRun = run(
        { run_date: '2026-11-10' },
        standIns(first, {
          ExtractSongs: async () => {
            enterExtract();
            await extractMayFinish;
            return { Payload: { records: 3 } };
          },
        }),
        {},
        'first',
      );
      await entered;
      expect(lockOf('2026-11-10')).toMatchObject({
        execution_id: expect.stringMatching(/:first$/),
        pid: process.pid,
      });

      const second: Calls = [];
      await expect(run({ run_date: '2026-11-10' }, standIns(second), {}, 'second')).rejects.toThrow(
        ExecutionError,
      );
      expect(second.map((call) => call.state)).toEqual([S.resolveRunDate, S.notifyFailure]);
      const alert = messageOf(second.find((call) => call.state === S.notifyFailure)?.input);
      expect(alert).toMatchObject({
        outcome: 'failed',
        run_date: '2026-11-10',
        error: 'RunAlreadyInProgress',
      });
      expect(String(alert.cause)).toMatch(/run date 2026-11-10 is being run by another execution.*:first/);
      // The refused execution left the holder's lock alone.
      expect(lockOf('2026-11-10')?.execution_id).toMatch(/:first$/);

      finishExtract();
      await firstRun;
      expect(first.map((call) => call.state)).toContain(S.notifySuccess);
      expect(lockOf('2026-11-10')).toBeUndefined();
    });

    it('releases the lock when the run fails, after a failed task and after a failed gate', async () => {
      const failing = standIns([], {
        ExtractSessions: async () => {
          throw Object.assign(new Error('API returned 500'), { name: 'ExtractionError' });
        },
      });
      await expect(run({ run_date: '2026-11-11' }, failing, {}, 'failed-task')).rejects.toThrow(
        ExecutionError,
      );
      expect(lockOf('2026-11-11')).toBeUndefined();

      const gateFails = standIns([], {
        CheckServingQuality: async () => ({ Payload: { status: 'failed' } }),
      });
      await expect(run({ run_date: '2026-11-11' }, gateFails, {}, 'failed-gate')).rejects.toThrow(
        ExecutionError,
      );
      expect(lockOf('2026-11-11')).toBeUndefined();

      // Nothing is left to block the next execution of the date.
      const calls: Calls = [];
      await run({ run_date: '2026-11-11' }, standIns(calls), {}, 'retry');
      expect(calls.map((call) => call.state)).toContain(S.notifySuccess);
    });

    it('takes over a lock that expired (its execution was stopped from outside and released nothing)', async () => {
      fs.writeFileSync(
        path.join(runLocks.directory, 'run_date=2026-11-12.json'),
        JSON.stringify({
          run_date: '2026-11-12',
          execution_id: 'arn:aws:states:eu-west-1:111111111111:execution:DailyPipeline:aborted',
          acquired_at: 1,
          expires_at: 2,
          pid: process.pid,
        }),
      );
      const calls: Calls = [];
      await run({ run_date: '2026-11-12' }, standIns(calls), {}, 'after-abort');
      expect(calls.map((call) => call.state)).toContain(S.notifySuccess);
      expect(lockOf('2026-11-12')).toBeUndefined();
    });
  });
});
