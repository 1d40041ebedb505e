/**
 * Warehouse errors the orchestration acts on by name. Lambda reports a handler's error as its `name`
 * (`errorType`), which is what a Step Functions Retry or Catch matches: DailyPipeline retries
 * `TransientWarehouseError` on its idempotent warehouse steps (LoadServing and the two quality checks).
 * Checked by name, not `instanceof`, like the rest of lambdas/shared/errors.ts.
 */
import { isErrorLike } from './errors';

export const TRANSIENT_WAREHOUSE_ERROR = 'TransientWarehouseError';
export const WAREHOUSE_STATEMENT_TIMEOUT = 'WarehouseStatementTimeout';

/** The warehouse could not do the work now (throttled, at capacity, paused, a conflicting transaction). */
export class TransientWarehouseError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = TRANSIENT_WAREHOUSE_ERROR;
  }
}

/** A statement ran past the polling deadline; it was cancelled (or the message says why not). */
export class WarehouseStatementTimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = WAREHOUSE_STATEMENT_TIMEOUT;
  }
}

export function isTransientWarehouseError(error: unknown): boolean {
  return isErrorLike(error) && error.name === TRANSIENT_WAREHOUSE_ERROR;
}
