/**
 * The run-lock table's local stand-in: bound to the deployed definition's DynamoDB states, same conditions,
 * and a lock left by a killed local run (dead pid) does not block the next run of its date.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { synthesizeDailyPipelineDefinition } from '../../lib/daily-pipeline-definition';
import { localPaths } from '../../lib/local/data-dir';
import { dailyPipelineBindings } from '../../lib/local/pipeline/local-bindings';
import { LocalRunLocks } from '../../lib/local/pipeline/local-run-locks';
import type { LocalServices } from '../../lib/local/pipeline/local-services';
import type { StateMachineDefinition } from '../../lib/local/pipeline/local-stepfunctions';
import { bindTaskStates, collectTaskStates } from '../../lib/local/pipeline/task-states';
import type { ServingPlan } from '../../lambdas/shared/serving-plan';
import { DAILY_PIPELINE_STATES as S } from '../../lib/constructs/daily-pipeline-states';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deftunes-run-locks-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const putItem = (runDate: string, execution: string, now: number, expiresAt: number) => ({
  TableName: 'REF_RunLocksTable',
  Item: {
    run_date: { S: runDate },
    execution_id: { S: execution },
    acquired_at: { N: String(now) },
    expires_at: { N: String(expiresAt) },
  },
  ConditionExpression: 'attribute_not_exists(run_date) OR expires_at < :now',
  ExpressionAttributeValues: { ':now': { N: String(now) } },
});
const deleteItem = (runDate: string, execution: string) => ({
  TableName: 'REF_RunLocksTable',
  Key: { run_date: { S: runDate } },
  ConditionExpression: 'execution_id = :execution',
  ExpressionAttributeValues: { ':execution': { S: execution } },
});

describe('the local run-lock table', () => {
  it("binds every DynamoDB state of the deployed definition, in the data directory's run-locks/", async () => {
    const { definition } = await synthesizeDailyPipelineDefinition('dev');
    const dynamo = collectTaskStates(definition as unknown as StateMachineDefinition).filter(
      (task) => task.service === 'dynamodb',
    );
    expect(dynamo.map((task) => task.name).sort()).toEqual([
      S.acquireRunLock,
      S.releaseRunLock,
      S.releaseRunLockAfterFailure,
    ]);
    const bindings = dailyPipelineBindings({
      services: { paths: localPaths(dir) } as unknown as LocalServices,
      glue: () => Promise.reject(new Error('unused')),
      plan: {} as ServingPlan,
      runDateBounds: { earliest: '2020-01-01', timeZone: 'UTC', source: 'test' },
    });
    // Every Task state has a binding and every binding a state: the run would start.
    expect(() => bindTaskStates(definition as unknown as StateMachineDefinition, bindings)).not.toThrow();
    await bindings.AcquireRunLock(putItem('2020-02-01', 'exec-1', 100, 200));
    expect(fs.existsSync(path.join(localPaths(dir).runLocks, 'run_date=2020-02-01.json'))).toBe(true);
  });

  it('refuses a held lock, takes an expired one, and releases only its own', async () => {
    const locks = new LocalRunLocks(dir);
    await locks.acquire(S.acquireRunLock)(putItem('2020-02-01', 'exec-1', 100, 200));
    await expect(
      locks.acquire(S.acquireRunLock)(putItem('2020-02-01', 'exec-2', 150, 250)),
    ).rejects.toMatchObject({
      name: 'DynamoDB.ConditionalCheckFailedException',
      message: expect.stringMatching(/run date 2020-02-01 is locked by exec-1 \(pid \d+\)/),
    });
    await expect(locks.release(S.releaseRunLock)(deleteItem('2020-02-01', 'exec-2'))).rejects.toMatchObject({
      name: 'DynamoDB.ConditionalCheckFailedException',
    });
    // At 201 the lock of exec-1 has expired.
    await locks.acquire(S.acquireRunLock)(putItem('2020-02-01', 'exec-2', 201, 300));
    expect(locks.read('2020-02-01')).toMatchObject({ execution_id: 'exec-2', expires_at: 300 });
    await locks.release(S.releaseRunLock)(deleteItem('2020-02-01', 'exec-2'));
    expect(locks.read('2020-02-01')).toBeUndefined();
  });

  it('treats the lock of a run whose process is gone as stale (a killed local run)', async () => {
    await new LocalRunLocks(dir).acquire(S.acquireRunLock)(putItem('2020-02-01', 'killed', 100, 10_000));
    const afterKill = new LocalRunLocks(dir, () => false);
    await afterKill.acquire(S.acquireRunLock)(putItem('2020-02-01', 'next', 101, 10_001));
    expect(afterKill.read('2020-02-01')?.execution_id).toBe('next');
  });

  it('fails naming the condition it does not understand', async () => {
    const request = { ...putItem('2020-02-01', 'e', 1, 2), ConditionExpression: 'attribute_not_exists(x)' };
    await expect(new LocalRunLocks(dir).acquire(S.acquireRunLock)(request)).rejects.toThrow(
      /understands only the condition "attribute_not_exists\(run_date\) OR expires_at < :now"/,
    );
  });
});
