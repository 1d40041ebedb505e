/**
 * Retries with capped exponential backoff and full jitter (AWS Architecture Blog, "Exponential Backoff
 * And Jitter"): the n-th retry waits a uniformly random time in [0, min(maxDelayMs, baseDelayMs * 2^(n-1))].
 * Full jitter spreads the retries of many clients so they do not hit a recovering source in waves.
 */

export interface RetryPolicy {
  /** Attempts in total, the first one included. @default 6 */
  readonly maxAttempts: number;
  /** Backoff before the first retry (before jitter). @default 250 */
  readonly baseDelayMs: number;
  /** Ceiling of any computed backoff (before jitter). @default 20000 */
  readonly maxDelayMs: number;
  /**
   * Ceiling of a server-requested delay (`Retry-After`); a longer request is honoured up to this bound so
   * a misbehaving server cannot park the extract until the Lambda timeout. @default 60000
   */
  readonly maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 6,
  baseDelayMs: 250,
  maxDelayMs: 20_000,
  maxRetryAfterMs: 60_000,
};

export type Sleep = (ms: number) => Promise<void>;
export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The wait before retry number `retry` (1 for the first retry). `random` returns a number in [0, 1).
 */
export function backoffDelay(policy: RetryPolicy, retry: number, random: () => number = Math.random): number {
  const exponential = policy.baseDelayMs * 2 ** Math.max(0, retry - 1);
  const cap = Math.min(policy.maxDelayMs, exponential);
  return Math.floor(random() * cap);
}

/**
 * A `Retry-After` header value in milliseconds: delta-seconds (`120`) or an HTTP date. Undefined when the
 * header is absent or unreadable; never negative.
 */
export function parseRetryAfter(
  value: string | null | undefined,
  now: Date = new Date(),
): number | undefined {
  if (value === null || value === undefined || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now.getTime());
}

/** What a failed attempt tells the retry loop. */
export interface AttemptFailure {
  /** Whether another attempt may succeed (a 503, a reset connection) or not (a 404, a bug). */
  readonly retryable: boolean;
  /** A delay the server asked for (`Retry-After`), which replaces the computed backoff. */
  readonly retryAfterMs?: number;
}

export interface RetryHooks {
  readonly sleep?: Sleep;
  readonly random?: () => number;
  /** Called before each wait, for logging. */
  readonly onRetry?: (info: { attempt: number; delayMs: number; error: unknown }) => void;
}

/** Thrown when the attempts ran out or an attempt failed in a way no retry can fix. */
export class RetriesExhaustedError extends Error {
  constructor(
    message: string,
    readonly attempts: number,
    readonly lastError: unknown,
    /** True when the last failure was retryable and the attempts ran out; false when it was not retryable. */
    readonly exhausted: boolean,
  ) {
    super(message, { cause: lastError });
    this.name = 'RetriesExhaustedError';
  }
}

/**
 * Runs `attempt` until it resolves, a failure is classified as not retryable, or `policy.maxAttempts` is
 * reached. `classify` maps a thrown error to an {@link AttemptFailure}. Rejects with the last error itself
 * (so callers can wrap it with their own context) after decorating it with `attempts`.
 */
export async function withRetry<T>(
  attempt: (attemptNumber: number) => Promise<T>,
  classify: (error: unknown) => AttemptFailure,
  policy: RetryPolicy = DEFAULT_RETRY_POLICY,
  hooks: RetryHooks = {},
): Promise<{ value: T; attempts: number }> {
  const sleep = hooks.sleep ?? realSleep;
  for (let attemptNumber = 1; ; attemptNumber++) {
    try {
      return { value: await attempt(attemptNumber), attempts: attemptNumber };
    } catch (error: unknown) {
      const failure = classify(error);
      if (!failure.retryable || attemptNumber >= policy.maxAttempts) {
        throw new RetriesExhaustedError(
          failure.retryable
            ? `attempts exhausted (${attemptNumber})`
            : `not retryable (attempt ${attemptNumber})`,
          attemptNumber,
          error,
          failure.retryable,
        );
      }
      const delayMs =
        failure.retryAfterMs !== undefined
          ? Math.min(failure.retryAfterMs, policy.maxRetryAfterMs)
          : backoffDelay(policy, attemptNumber, hooks.random);
      hooks.onRetry?.({ attempt: attemptNumber, delayMs, error });
      await sleep(delayMs);
    }
  }
}
