import { DAILY_PIPELINE_STATES, DAILY_PIPELINE_TASK_STATES } from '../../lib/constructs/daily-pipeline';
import {
  definitionFromTemplateValue,
  synthesizeDailyPipelineDefinition,
  type StateMachineDefinitionDocument,
  type SynthesizedDefinition,
} from '../../lib/daily-pipeline-definition';
import type { StateMachineDefinition } from '../../lib/local/pipeline/local-stepfunctions';
import { collectTaskStates } from '../../lib/local/pipeline/task-states';

type State = Record<string, unknown> & {
  Type: string;
  Next?: string;
  Default?: string;
  End?: boolean;
  Choices?: { Next: string }[];
  Catch?: { ErrorEquals: string[]; Next: string }[];
  Retry?: { ErrorEquals: string[]; BackoffRate?: number; IntervalSeconds?: number; MaxAttempts?: number }[];
  Branches?: StateMachineDefinitionDocument[];
  ItemProcessor?: StateMachineDefinitionDocument;
  TimeoutSeconds?: number;
};

/** Names of the states a state can go to next (inside its own States map). */
function successors(state: State): string[] {
  return [
    ...(state.Next ? [state.Next] : []),
    ...(state.Default ? [state.Default] : []),
    ...(state.Choices ?? []).map((choice) => choice.Next),
    ...(state.Catch ?? []).map((catcher) => catcher.Next),
  ];
}

/** Walks a States map from StartAt; returns the reachable names. Fails on a transition to an unknown state. */
function reachable(machine: StateMachineDefinitionDocument): Set<string> {
  const seen = new Set<string>();
  const queue = [machine.StartAt];
  while (queue.length > 0) {
    const name = queue.shift() as string;
    if (seen.has(name)) continue;
    const state = machine.States[name] as State | undefined;
    if (!state) throw new Error(`transition to unknown state ${name}`);
    seen.add(name);
    queue.push(...successors(state));
  }
  return seen;
}

interface FoundTask {
  name: string;
  state: State;
  /** Catch of the enclosing Parallel or Map state, when the task sits in a branch. */
  enclosingCatch?: State['Catch'];
}

function tasksOf(machine: StateMachineDefinitionDocument, enclosingCatch?: State['Catch']): FoundTask[] {
  return Object.entries(machine.States as Record<string, State>).flatMap(([name, state]) => [
    ...(state.Type === 'Task' ? [{ name, state, enclosingCatch }] : []),
    ...(state.Branches ?? []).flatMap((branch) => tasksOf(branch, state.Catch ?? enclosingCatch)),
    ...(state.ItemProcessor ? tasksOf(state.ItemProcessor, state.Catch ?? enclosingCatch) : []),
  ]);
}

function allStateNames(machine: StateMachineDefinitionDocument): string[] {
  return Object.entries(machine.States as Record<string, State>).flatMap(([name, state]) => [
    name,
    ...(state.Branches ?? []).flatMap(allStateNames),
  ]);
}

describe('DailyPipeline definition', () => {
  let synthesized: SynthesizedDefinition;
  let definition: StateMachineDefinitionDocument;
  beforeAll(async () => {
    synthesized = await synthesizeDailyPipelineDefinition('dev');
    definition = synthesized.definition;
  });

  it('is a complete ASL document with every fixed state name', () => {
    expect(definition.StartAt).toBe('ResolveRunDate');
    expect(typeof definition.TimeoutSeconds).toBe('number');
    expect(new Set(allStateNames(definition))).toEqual(new Set(Object.values(DAILY_PIPELINE_STATES)));
  });

  it('has exactly the Task states of DAILY_PIPELINE_TASK_STATES, the ones the local runner binds', () => {
    const tasks = collectTaskStates(definition as unknown as StateMachineDefinition).map((task) => task.name);
    expect(tasks.sort()).toEqual([...DAILY_PIPELINE_TASK_STATES].sort());
  });

  it('draws the docs/design.md graph', () => {
    const states = definition.States as Record<string, State>;
    expect(states.ResolveRunDate.Type).toBe('Task');
    expect(states.ResolveRunDate.Next).toBe('AcquireRunLock');
    expect(states.ResolveRunDateFailed.Next).toBe('NotifyFailure');
    expect(states.AcquireRunLock.Next).toBe('ExtractAndTransform');
    expect(states.RunAlreadyInProgress.Next).toBe('NotifyFailure');
    const parallel = states.ExtractAndTransform;
    expect(parallel.Type).toBe('Parallel');
    expect(parallel.Branches?.map((branch) => branch.StartAt)).toEqual([
      'ExtractSongs',
      'ExtractApi',
      'ExtractEnrichment',
      'TransformListens',
    ]);
    const [songs, api, enrichment, listens] = parallel.Branches as StateMachineDefinitionDocument[];
    expect((songs.States.ExtractSongs as State).Next).toBe('TransformSongs');
    const extractApi = api.States.ExtractApi as State;
    expect(extractApi.Type).toBe('Parallel');
    expect(extractApi.Branches?.map((branch) => branch.StartAt)).toEqual(['ExtractUsers', 'ExtractSessions']);
    expect(extractApi.Next).toBe('TransformApi');
    // The artist enrichment (docs/artist-enrichment.md): both APIs side by side, then their transform.
    const extractEnrichment = enrichment.States.ExtractEnrichment as State;
    expect(extractEnrichment.Type).toBe('Parallel');
    expect(extractEnrichment.Branches?.map((branch) => branch.StartAt)).toEqual([
      'ExtractConcerts',
      'ExtractArtistStats',
    ]);
    expect(extractEnrichment.Next).toBe('TransformEnrichment');
    expect((enrichment.States.TransformEnrichment as State).End).toBe(true);
    // The listening events (docs/listening-events.md): Firehose has landed them, only their transform runs.
    expect(Object.keys(listens.States)).toEqual(['TransformListens']);
    expect((listens.States.TransformListens as State).End).toBe(true);
    expect(parallel.Next).toBe('CheckTransformQuality');
    expect(states.CheckTransformQuality.Next).toBe('TransformQualityGate');
    expect(states.TransformQualityGate.Default).toBe('LoadServing');
    expect(states.LoadServing.Next).toBe('CheckServingQuality');
    expect(states.CheckServingQuality.Next).toBe('ServingQualityGate');
    expect(states.ServingQualityGate.Default).toBe('ReleaseRunLock');
    expect(states.ReleaseRunLock.Next).toBe('NotifySuccess');
    expect(states.NotifySuccess.Next).toBe('PipelineSucceeded');
    // After the alert, the lock is released only by an execution that took it.
    expect(states.NotifyFailure.Next).toBe('RunLockHeld');
    expect(states.RunLockHeld.Choices).toEqual([
      { Variable: '$.runLock', IsPresent: true, Next: 'ReleaseRunLockAfterFailure' },
    ]);
    expect(states.RunLockHeld.Default).toBe('PipelineFailed');
    expect(states.ReleaseRunLockAfterFailure.Next).toBe('PipelineFailed');
    expect(states.PipelineFailed.Type).toBe('Fail');
    // A gate fails on status "failed" (or no status at all) through its *Failed Pass state to NotifyFailure.
    expect(states.TransformQualityGate.Choices?.map((choice) => choice.Next)).toEqual([
      'TransformQualityFailed',
    ]);
    expect(JSON.stringify(states.TransformQualityGate.Choices)).toContain('"StringEquals":"failed"');
    expect(states.TransformQualityFailed.Next).toBe('NotifyFailure');
    expect(states.ServingQualityFailed.Next).toBe('NotifyFailure');
  });

  it('reaches every state, in every branch', () => {
    const check = (machine: StateMachineDefinitionDocument) => {
      expect([...reachable(machine)].sort()).toEqual(Object.keys(machine.States).sort());
      for (const state of Object.values(machine.States as Record<string, State>)) {
        for (const branch of state.Branches ?? []) check(branch);
      }
    };
    check(definition);
  });

  it('gives every Task a timeout, a retry with backoff on transient errors, and a way to NotifyFailure', () => {
    const tasks = tasksOf(definition);
    expect(tasks.map((task) => task.name).sort()).toEqual(
      [
        'ResolveRunDate',
        'AcquireRunLock',
        'ReleaseRunLock',
        'ReleaseRunLockAfterFailure',
        'CheckServingQuality',
        'CheckTransformQuality',
        'ExtractSessions',
        'ExtractSongs',
        'ExtractUsers',
        'ExtractConcerts',
        'ExtractArtistStats',
        'LoadServing',
        'NotifyFailure',
        'NotifySuccess',
        'TransformApi',
        'TransformSongs',
        'TransformEnrichment',
        'TransformListens',
      ].sort(),
    );
    for (const { name, state, enclosingCatch } of tasks) {
      expect({ name, timeout: state.TimeoutSeconds }).toEqual({ name, timeout: expect.any(Number) });
      expect(state.Retry?.length).toBeGreaterThan(0);
      for (const retry of state.Retry ?? []) {
        expect(retry.ErrorEquals).not.toContain('States.ALL');
        expect(retry.BackoffRate).toBeGreaterThanOrEqual(2);
        expect(retry.MaxAttempts).toBeGreaterThan(1);
      }
      // Tasks in a branch cannot leave it: the enclosing Parallel catches for them.
      const catchers = state.Catch ?? enclosingCatch ?? [];
      // ResolveRunDate's failure first names the run date `unresolved` (NotifyFailure reads `$.run_date`);
      // a held lock is RunAlreadyInProgress; a lock that is no longer ours at the end is no failure.
      const expected: Record<string, [string[], string][]> = {
        NotifyFailure: [[['States.ALL'], 'RunLockHeld']],
        ResolveRunDate: [[['States.ALL'], 'ResolveRunDateFailed']],
        AcquireRunLock: [
          [['DynamoDB.ConditionalCheckFailedException'], 'RunAlreadyInProgress'],
          [['States.ALL'], 'NotifyFailure'],
        ],
        ReleaseRunLock: [
          [['DynamoDB.ConditionalCheckFailedException'], 'NotifySuccess'],
          [['States.ALL'], 'NotifyFailure'],
        ],
        ReleaseRunLockAfterFailure: [[['States.ALL'], 'PipelineFailed']],
      };
      expect({ name, catches: catchers.map((c) => [c.ErrorEquals, c.Next]) }).toEqual({
        name,
        catches: expected[name] ?? [[['States.ALL'], 'NotifyFailure']],
      });
    }
  });

  it('retries the Lambda and Glue service errors the lead listed', () => {
    const byName = Object.fromEntries(tasksOf(definition).map((task) => [task.name, task.state]));
    expect(byName.ExtractUsers.Retry?.[0].ErrorEquals).toEqual(
      expect.arrayContaining([
        'Lambda.ServiceException',
        'Lambda.TooManyRequestsException',
        'Lambda.SdkClientException',
      ]),
    );
    expect(byName.TransformApi.Retry?.[0].ErrorEquals).toContain('Glue.ConcurrentRunsExceededException');
    expect(byName.TransformApi.Resource).toBe('arn:aws:states:::glue:startJobRun.sync');
    expect(byName.ExtractUsers.Resource).toBe('arn:aws:states:::lambda:invoke');
    expect(byName.ExtractUsers.Parameters).toEqual({
      FunctionName: expect.stringMatching(/^OUTPUT_PublishOutputFnGetAttFunctionsExtractApiFunction/),
      Payload: { 'run_date.$': '$.run_date', entity: 'users' },
    });
    // The serving gate gets the measures the load took of its guarded tests, not to run them again.
    expect(byName.CheckServingQuality.Parameters).toMatchObject({
      Payload: {
        'run_date.$': '$.run_date',
        stage: 'serving',
        'serving_load.$': '$.servingLoad.result',
      },
    });
    expect(byName.LoadServing.ResultPath).toBe('$.servingLoad');
    expect(byName.TransformSongs.Parameters).toMatchObject({ Arguments: { '--run_date.$': '$.run_date' } });
  });

  it('runs the enrichment branch with the conventions of the others', () => {
    const byName = Object.fromEntries(tasksOf(definition).map((task) => [task.name, task.state]));
    for (const [name, fn] of [
      ['ExtractConcerts', 'ExtractConcerts'],
      ['ExtractArtistStats', 'ExtractArtistStats'],
    ]) {
      expect(byName[name]).toMatchObject({
        Resource: 'arn:aws:states:::lambda:invoke',
        Parameters: {
          FunctionName: expect.stringMatching(
            new RegExp(`^OUTPUT_PublishOutputFnGetAttEnrichmentFunctions${fn}Function`),
          ),
          Payload: { 'run_date.$': '$.run_date' },
        },
        ResultSelector: { 'result.$': '$.Payload' },
        ResultPath: `$.extract${fn.replace('Extract', '')}`,
        TimeoutSeconds: byName.ExtractUsers.TimeoutSeconds,
        Retry: byName.ExtractUsers.Retry,
      });
    }
    expect(byName.TransformEnrichment).toMatchObject({
      Resource: 'arn:aws:states:::glue:startJobRun.sync',
      Parameters: { Arguments: { '--run_date.$': '$.run_date' } },
      ResultPath: '$.transformEnrichment',
      TimeoutSeconds: byName.TransformApi.TimeoutSeconds,
      Retry: byName.TransformApi.Retry,
    });
    const jobOf = (name: string) => (byName[name].Parameters as Record<string, unknown>).JobName;
    expect(
      new Set(['TransformApi', 'TransformSongs', 'TransformEnrichment', 'TransformListens'].map(jobOf)).size,
    ).toBe(4);
    // The branch's Parallel keeps the input as it was: the transform quality gate reads the run date.
    const [, , enrichment] = (definition.States.ExtractAndTransform as State)
      .Branches as StateMachineDefinitionDocument[];
    expect(enrichment.States.ExtractEnrichment).toMatchObject({ ResultPath: null });
  });

  it('retries TransientWarehouseError on the idempotent warehouse steps only, with backoff and jitter', () => {
    const byName = Object.fromEntries(tasksOf(definition).map((task) => [task.name, task.state]));
    const retriesWarehouse = (name: string) =>
      (byName[name].Retry ?? []).filter((retry) => retry.ErrorEquals.includes('TransientWarehouseError'));
    for (const name of ['LoadServing', 'CheckTransformQuality', 'CheckServingQuality']) {
      const [retry, ...others] = retriesWarehouse(name);
      expect(others).toEqual([]);
      expect(retry).toMatchObject({
        ErrorEquals: ['TransientWarehouseError'],
        IntervalSeconds: 30,
        BackoffRate: 2,
        MaxAttempts: 3,
        MaxDelaySeconds: 300,
        JitterStrategy: 'FULL',
      });
    }
    for (const name of [
      'ResolveRunDate',
      'ExtractSongs',
      'ExtractUsers',
      'ExtractSessions',
      'ExtractConcerts',
      'ExtractArtistStats',
      'TransformApi',
      'TransformEnrichment',
      'TransformListens',
    ]) {
      expect(retriesWarehouse(name)).toEqual([]);
    }
  });

  it('lets a run last as long as its longest path with every warehouse retry', () => {
    const byName = Object.fromEntries(tasksOf(definition).map((task) => [task.name, task.state]));
    const timeout = (name: string) => byName[name].TimeoutSeconds ?? 0;
    const attempts = (name: string) =>
      1 +
      (byName[name].Retry?.find((retry) => retry.ErrorEquals.includes('TransientWarehouseError'))
        ?.MaxAttempts ?? 0);
    const longestBranch = Math.max(
      timeout('ExtractSongs') + timeout('TransformSongs'),
      Math.max(timeout('ExtractUsers'), timeout('ExtractSessions')) + timeout('TransformApi'),
      Math.max(timeout('ExtractConcerts'), timeout('ExtractArtistStats')) + timeout('TransformEnrichment'),
      timeout('TransformListens'),
    );
    const warehouseSteps = ['LoadServing', 'CheckTransformQuality', 'CheckServingQuality'].reduce(
      (sum, name) => sum + attempts(name) * timeout(name),
      0,
    );
    expect(attempts('LoadServing')).toBe(4);
    expect(definition.TimeoutSeconds).toBeGreaterThanOrEqual(
      timeout('ResolveRunDate') + longestBranch + warehouseSteps,
    );
  });

  it("resolves the run date with the whole input, the start time and the schedule's time zone", () => {
    const byName = Object.fromEntries(tasksOf(definition).map((task) => [task.name, task.state]));
    expect(byName.ResolveRunDate.Resource).toBe('arn:aws:states:::lambda:invoke');
    expect(byName.ResolveRunDate.Parameters).toEqual({
      FunctionName: expect.stringMatching(/^OUTPUT_PublishOutputFnGetAttFunctionsResolveRunDateFunction/),
      Payload: {
        'execution_input.$': '$',
        'execution_start_time.$': '$$.Execution.StartTime',
        time_zone: 'Europe/Paris',
        lock_ttl_seconds: (definition.TimeoutSeconds ?? 0) + 3600,
      },
    });
    // Its result replaces the input: the rest of the run sees {run_date, lock} only.
    expect(byName.ResolveRunDate).toMatchObject({
      ResultSelector: { 'run_date.$': '$.Payload.run_date', 'lock.$': '$.Payload.lock' },
    });
    expect(byName.ResolveRunDate).not.toHaveProperty('ResultPath');
  });

  it('locks the run date with one conditional write, expiring an hour after the state machine times out', () => {
    const byName = Object.fromEntries(tasksOf(definition).map((task) => [task.name, task.state]));
    expect(byName.AcquireRunLock).toMatchObject({
      Resource: 'arn:aws:states:::dynamodb:putItem',
      Parameters: {
        Item: {
          run_date: { 'S.$': '$.run_date' },
          execution_id: { 'S.$': '$$.Execution.Id' },
          acquired_at: { 'N.$': '$.lock.now' },
          expires_at: { 'N.$': '$.lock.expires_at' },
        },
        ConditionExpression: 'attribute_not_exists(run_date) OR expires_at < :now',
        ExpressionAttributeValues: { ':now': { 'N.$': '$.lock.now' } },
      },
      ResultSelector: { acquired: true },
      ResultPath: '$.runLock',
    });
    for (const name of ['ReleaseRunLock', 'ReleaseRunLockAfterFailure']) {
      expect(byName[name]).toMatchObject({
        Resource: 'arn:aws:states:::dynamodb:deleteItem',
        Parameters: {
          Key: { run_date: { 'S.$': '$.run_date' } },
          ConditionExpression: 'execution_id = :execution',
          ExpressionAttributeValues: { ':execution': { 'S.$': '$$.Execution.Id' } },
        },
        ResultPath: null,
      });
      const tableOf = (state: string) => (byName[state].Parameters as Record<string, unknown>).TableName;
      expect(tableOf(name)).toBe(tableOf('AcquireRunLock'));
    }
    // A quality gate's failure keeps the marker, so the lock is released after the alert.
    const states = definition.States as Record<string, State & { Parameters?: Record<string, unknown> }>;
    expect(states.TransformQualityFailed.Parameters).toMatchObject({ 'runLock.$': '$.runLock' });
    expect(states.ServingQualityFailed.Parameters).toMatchObject({ 'runLock.$': '$.runLock' });
  });

  it('replaces every reference by a placeholder it records', () => {
    const text = JSON.stringify(definition);
    for (const placeholder of Object.keys(synthesized.placeholders)) expect(text).toContain(placeholder);
    expect(Object.keys(synthesized.placeholders).length).toBeGreaterThanOrEqual(5);
  });

  it('parses a plain string definition and rejects anything else', () => {
    expect(
      definitionFromTemplateValue('{"StartAt":"A","States":{"A":{"Type":"Succeed"}}}').definition.StartAt,
    ).toBe('A');
    expect(() => definitionFromTemplateValue({ Ref: 'X' })).toThrow(/neither a string nor an Fn::Join/);
  });
});
