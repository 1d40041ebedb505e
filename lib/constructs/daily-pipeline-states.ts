/**
 * DailyPipeline's contract with the outside: its state names, the errors each kind of state retries, and
 * the run-lock conditions (the local runner's lock files implement the same ones).
 */
import { RUN_LOCK_ATTRIBUTES } from './run-lock-table';

/**
 * State names of DailyPipeline. The local runner binds Task states by these names, and operators read them
 * in the console: they are a contract (docs/design.md, Orchestration).
 */
export const DAILY_PIPELINE_STATES = {
  resolveRunDate: 'ResolveRunDate',
  resolveRunDateFailed: 'ResolveRunDateFailed',
  acquireRunLock: 'AcquireRunLock',
  runAlreadyInProgress: 'RunAlreadyInProgress',
  extractAndTransform: 'ExtractAndTransform',
  extractSongs: 'ExtractSongs',
  transformSongs: 'TransformSongs',
  extractApi: 'ExtractApi',
  extractUsers: 'ExtractUsers',
  extractSessions: 'ExtractSessions',
  transformApi: 'TransformApi',
  extractEnrichment: 'ExtractEnrichment',
  extractConcerts: 'ExtractConcerts',
  extractArtistStats: 'ExtractArtistStats',
  transformEnrichment: 'TransformEnrichment',
  transformListens: 'TransformListens',
  checkTransformQuality: 'CheckTransformQuality',
  transformQualityGate: 'TransformQualityGate',
  transformQualityFailed: 'TransformQualityFailed',
  loadServing: 'LoadServing',
  checkServingQuality: 'CheckServingQuality',
  servingQualityGate: 'ServingQualityGate',
  servingQualityFailed: 'ServingQualityFailed',
  releaseRunLock: 'ReleaseRunLock',
  notifySuccess: 'NotifySuccess',
  pipelineSucceeded: 'PipelineSucceeded',
  notifyFailure: 'NotifyFailure',
  runLockHeld: 'RunLockHeld',
  releaseRunLockAfterFailure: 'ReleaseRunLockAfterFailure',
  pipelineFailed: 'PipelineFailed',
} as const;

const S = DAILY_PIPELINE_STATES;
/**
 * DailyPipeline's Task states, the ones that do work (Lambda, Glue, SNS, DynamoDB): the local runner binds
 * each to a handler by name, and a `Record<DailyPipelineTaskState, ...>` of bindings misses none.
 */
export const DAILY_PIPELINE_TASK_STATES = [
  S.resolveRunDate,
  S.acquireRunLock,
  S.extractSongs,
  S.transformSongs,
  S.extractUsers,
  S.extractSessions,
  S.transformApi,
  S.extractConcerts,
  S.extractArtistStats,
  S.transformEnrichment,
  S.transformListens,
  S.checkTransformQuality,
  S.loadServing,
  S.checkServingQuality,
  S.releaseRunLock,
  S.notifySuccess,
  S.notifyFailure,
  S.releaseRunLockAfterFailure,
] as const;
export type DailyPipelineTaskState = (typeof DAILY_PIPELINE_TASK_STATES)[number];

/** Errors of the Lambda service itself (not of the handler): safe to retry, the handlers are idempotent. */
export const LAMBDA_TRANSIENT_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'Lambda.ClientExecutionTimeoutException',
];
/** Errors of the Glue API when starting a run (the run itself failing is not retried: it is alerted). */
export const GLUE_TRANSIENT_ERRORS = [
  'Glue.ConcurrentRunsExceededException',
  'Glue.ThrottlingException',
  'Glue.InternalServiceException',
  'Glue.OperationTimeoutException',
  'Glue.ResourceNumberLimitExceededException',
];
/**
 * Errors the warehouse functions throw when Redshift could not do the work now (throttled, at capacity,
 * paused, a serializable isolation conflict): lambdas/shared/warehouse-errors.ts.
 */
export const WAREHOUSE_TRANSIENT_ERRORS = ['TransientWarehouseError'];
/** Attempts of a warehouse step while the warehouse stays busy: the first and the retries. */
export const WAREHOUSE_ATTEMPTS = 4;
/** Errors of DynamoDB that a later attempt may not meet (throttling, a server error). */
export const DYNAMODB_TRANSIENT_ERRORS = [
  'DynamoDB.ProvisionedThroughputExceededException',
  'DynamoDB.RequestLimitExceeded',
  'DynamoDB.ThrottlingException',
  'DynamoDB.InternalServerError',
];
/** The error of a conditional write whose condition does not hold: the run date's lock is someone else's. */
export const CONDITIONAL_CHECK_FAILED = 'DynamoDB.ConditionalCheckFailedException';
/** Take the lock when nobody holds it, or when its holder's lock is stale (expired). */
export const ACQUIRE_RUN_LOCK_CONDITION = `attribute_not_exists(${RUN_LOCK_ATTRIBUTES.runDate}) OR ${RUN_LOCK_ATTRIBUTES.expiresAt} < :now`;
/** Delete the lock only if this execution holds it. */
export const RELEASE_RUN_LOCK_CONDITION = `${RUN_LOCK_ATTRIBUTES.executionId} = :execution`;
export const SNS_TRANSIENT_ERRORS = [
  'SNS.InternalErrorException',
  'SNS.ThrottledException',
  'SNS.KMSThrottlingException',
];
