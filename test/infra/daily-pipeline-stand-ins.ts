/**
 * Recording stand-ins for DailyPipeline's tasks (the real resolve-run-date function, the local run-lock
 * binding), shared by the behaviour tests of the definition.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runResolveRunDate } from '../../lambdas/resolve-run-date/resolve-run-date';
import { LocalRunLocks } from '../../lib/local/pipeline/local-run-locks';
import {
  DAILY_PIPELINE_STATES as S,
  type DailyPipelineTaskState,
} from '../../lib/constructs/daily-pipeline-states';

export type Handler = (input: unknown) => Promise<unknown>;
export type Calls = { state: string; input: Record<string, unknown> }[];

/** The run-lock table: the local binding the runner uses (a file per run date), on a scratch directory. */
export const runLocks = new LocalRunLocks(fs.mkdtempSync(path.join(os.tmpdir(), 'deftunes-run-locks-')));

/** cdk.json's dev bounds, as the deployed function reads them from its environment. */
export const BOUNDS = { earliest: '2020-01-01', timeZone: 'Europe/Paris', source: 'test' };

/** What the LoadServing stand-in measured of its guarded tests (CheckServingQuality gets them). */
export const GUARD_MEASURES = [{ test: 'unique_dim_users_user_key', failures: 0, failing_rows: 0 }];

export function standIns(
  calls: Calls,
  overrides: Partial<Record<DailyPipelineTaskState, Handler>> = {},
): Record<DailyPipelineTaskState, Handler> {
  const lambda =
    (state: string, result: unknown): Handler =>
    async (input) => {
      calls.push({ state, input: (input as { Payload: Record<string, unknown> }).Payload });
      return { Payload: result };
    };
  const other =
    (state: string, result: unknown): Handler =>
    async (input) => {
      calls.push({ state, input: input as Record<string, unknown> });
      return result;
    };
  // The real function: it is pure, and what the state machine hands it is what is under test.
  const resolveRunDate: Handler = async (input) => {
    const payload = (input as { Payload: Record<string, unknown> }).Payload;
    calls.push({ state: S.resolveRunDate, input: payload });
    return { Payload: runResolveRunDate(payload, { bounds: BOUNDS }) };
  };
  return {
    [S.resolveRunDate]: resolveRunDate,
    [S.acquireRunLock]: runLocks.acquire(S.acquireRunLock) as Handler,
    [S.releaseRunLock]: runLocks.release(S.releaseRunLock) as Handler,
    [S.releaseRunLockAfterFailure]: runLocks.release(S.releaseRunLockAfterFailure) as Handler,
    [S.extractSongs]: lambda(S.extractSongs, { records: 3 }),
    [S.extractUsers]: lambda(S.extractUsers, { records: 2 }),
    [S.extractSessions]: lambda(S.extractSessions, { records: 5 }),
    [S.transformSongs]: other(S.transformSongs, { Id: 'jr_1', JobRunState: 'SUCCEEDED', ExecutionTime: 60 }),
    [S.transformApi]: other(S.transformApi, { Id: 'jr_2', JobRunState: 'SUCCEEDED', ExecutionTime: 70 }),
    [S.extractConcerts]: lambda(S.extractConcerts, { records: 7 }),
    [S.extractArtistStats]: lambda(S.extractArtistStats, { records: 4 }),
    [S.transformEnrichment]: other(S.transformEnrichment, {
      Id: 'jr_3',
      JobRunState: 'SUCCEEDED',
      ExecutionTime: 50,
    }),
    [S.transformListens]: other(S.transformListens, {
      Id: 'jr_4',
      JobRunState: 'SUCCEEDED',
      ExecutionTime: 40,
    }),
    [S.checkTransformQuality]: lambda(S.checkTransformQuality, { status: 'passed' }),
    [S.loadServing]: lambda(S.loadServing, { models: 9, guard_measures: GUARD_MEASURES }),
    [S.checkServingQuality]: lambda(S.checkServingQuality, { status: 'warned' }),
    [S.notifySuccess]: other(S.notifySuccess, { MessageId: 'm1' }),
    [S.notifyFailure]: other(S.notifyFailure, { MessageId: 'm2' }),
    ...overrides,
  };
}

/** The SNS message of a publish call (an object: Step Functions serializes it to JSON for SNS). */
export function messageOf(input: Record<string, unknown> | undefined): Record<string, unknown> {
  const message = input?.Message;
  if (typeof message === 'string') return JSON.parse(message) as Record<string, unknown>;
  if (message && typeof message === 'object') return message as Record<string, unknown>;
  throw new Error(`no SNS message in ${JSON.stringify(input)}`);
}
