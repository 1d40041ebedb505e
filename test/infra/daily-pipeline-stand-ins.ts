/**
 * Recording stand-ins for DailyPipeline's tasks (the real resolve-run-date function, the local run-lock
 * binding), shared by the behaviour tests of the definition.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runResolveRunDate } from '../../lambdas/resolve-run-date/resolve-run-date';
import { LocalRunLocks } from '../../lib/local/pipeline/local-run-locks';

export type Handler = (input: unknown) => Promise<unknown>;
export type Calls = { state: string; input: Record<string, unknown> }[];

/** The run-lock table: the local binding the runner uses (a file per run date), on a scratch directory. */
export const runLocks = new LocalRunLocks(fs.mkdtempSync(path.join(os.tmpdir(), 'deftunes-run-locks-')));

/** cdk.json's dev bounds, as the deployed function reads them from its environment. */
export const BOUNDS = { earliest: '2020-01-01', timeZone: 'Europe/Paris', source: 'test' };

export function standIns(calls: Calls, overrides: Record<string, Handler> = {}): Record<string, Handler> {
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
    calls.push({ state: 'ResolveRunDate', input: payload });
    return { Payload: runResolveRunDate(payload, { bounds: BOUNDS }) };
  };
  return {
    ResolveRunDate: resolveRunDate,
    AcquireRunLock: runLocks.acquire('AcquireRunLock') as Handler,
    ReleaseRunLock: runLocks.release('ReleaseRunLock') as Handler,
    ReleaseRunLockAfterFailure: runLocks.release('ReleaseRunLockAfterFailure') as Handler,
    ExtractSongs: lambda('ExtractSongs', { records: 3 }),
    ExtractUsers: lambda('ExtractUsers', { records: 2 }),
    ExtractSessions: lambda('ExtractSessions', { records: 5 }),
    TransformSongs: other('TransformSongs', { Id: 'jr_1', JobRunState: 'SUCCEEDED', ExecutionTime: 60 }),
    TransformApi: other('TransformApi', { Id: 'jr_2', JobRunState: 'SUCCEEDED', ExecutionTime: 70 }),
    ExtractConcerts: lambda('ExtractConcerts', { records: 7 }),
    ExtractArtistStats: lambda('ExtractArtistStats', { records: 4 }),
    TransformEnrichment: other('TransformEnrichment', {
      Id: 'jr_3',
      JobRunState: 'SUCCEEDED',
      ExecutionTime: 50,
    }),
    TransformListens: other('TransformListens', { Id: 'jr_4', JobRunState: 'SUCCEEDED', ExecutionTime: 40 }),
    CheckTransformQuality: lambda('CheckTransformQuality', { status: 'passed' }),
    LoadServing: lambda('LoadServing', { models: 9 }),
    CheckServingQuality: lambda('CheckServingQuality', { status: 'warned' }),
    NotifySuccess: other('NotifySuccess', { MessageId: 'm1' }),
    NotifyFailure: other('NotifyFailure', { MessageId: 'm2' }),
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
