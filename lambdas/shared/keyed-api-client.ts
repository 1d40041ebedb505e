/**
 * A client of a keyed, rate-limited JSON API (the enrichment sources): every request is paced (token
 * bucket), counted against the run's request budget, bounded by a timeout, and retried only when the
 * failure is transient (the caller's `judge` says which answers are), with capped exponential backoff
 * and full jitter, honouring `Retry-After`. URLs appear in logs and errors with the key masked.
 */
import type { Logger } from './logging';
import { maskApiKeys } from './api-key';
import { asError, messageOf } from './errors';
import type { FetchLike } from './http';
import { TokenBucket } from './pacer';
import {
  classifyNetworkFailure,
  DEFAULT_RETRY_POLICY,
  parseRetryAfter,
  RetriesExhaustedError,
  withRetry,
  type AttemptFailure,
  type RetryPolicy,
  type Sleep,
} from './retry';

/** What the API answered: the status and the parsed body (undefined when the body was not JSON). */
export interface ApiAnswer {
  readonly status: number;
  readonly body: unknown;
  readonly retryAfterMs?: number;
}

/** The caller's reading of an answer: the value, a transient failure to retry, or a final failure. */
export type AnswerVerdict<T> =
  { readonly ok: T } | { readonly retry: string; readonly retryAfterMs?: number } | { readonly fail: Error };

/** The run's request budget of an API is spent: the extract fails rather than land part of the data. */
export class RequestBudgetExceededError extends Error {
  constructor(
    readonly api: string,
    readonly budget: number,
  ) {
    super(
      `The ${api} extract would exceed its daily request budget of ${budget} requests ` +
        `(dailyRequestBudget in the enrichment settings); nothing was landed`,
    );
    this.name = 'RequestBudgetExceededError';
  }
}

/** A request that still failed after its attempts, or failed in a way no retry fixes. */
export class ApiRequestFailedError extends Error {
  constructor(
    readonly api: string,
    /** The request, key masked. */
    readonly url: string,
    readonly attempts: number,
    reason: string,
  ) {
    super(
      `The ${api} API request ${url} failed after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${reason}`,
    );
    this.name = 'ApiRequestFailedError';
  }
}

/** An answer no retry fixes: a 4xx other than 401/408/429, an unknown error code, a body of the wrong shape. */
export class ApiAnswerError extends Error {
  constructor(
    readonly api: string,
    /** The request, key masked. */
    readonly url: string,
    /** `HTTP 400`, `error 3`. */
    readonly status: string,
    detail: string,
  ) {
    super(`The ${api} API answered ${status} to ${url}: ${maskApiKeys(detail)}`);
    this.name = 'ApiAnswerError';
  }
}

class TransientAnswer extends Error {
  constructor(
    message: string,
    readonly retryAfterMs: number | undefined,
  ) {
    super(message);
  }
}

class RequestTimeout extends Error {}

export interface KeyedApiClientOptions {
  /** Names the API in logs and errors, e.g. `concerts`. */
  readonly api: string;
  readonly requestsPerSecond: number;
  /** Requests the run may send, retries included. */
  readonly budget: number;
  /** @default Node's global fetch */
  readonly fetch?: FetchLike;
  /** @default setTimeout */
  readonly sleep?: Sleep;
  /** Jitter source in [0, 1). @default Math.random */
  readonly random?: () => number;
  /** @default DEFAULT_RETRY_POLICY */
  readonly retryPolicy?: Partial<RetryPolicy>;
  /** Longest wait for a whole answer (status and body). @default 30000 */
  readonly timeoutMs?: number;
  readonly logger?: Logger;
}

export const DEFAULT_API_TIMEOUT_MS = 30_000;

export class KeyedApiClient {
  /** Requests sent so far (retries included). */
  requests = 0;
  private readonly pacer: TokenBucket;
  private readonly policy: RetryPolicy;
  private readonly fetch: FetchLike;

  constructor(private readonly options: KeyedApiClientOptions) {
    this.pacer = new TokenBucket({ ratePerSecond: options.requestsPerSecond, sleep: options.sleep });
    this.policy = { ...DEFAULT_RETRY_POLICY, ...options.retryPolicy };
    this.fetch = options.fetch ?? ((url, init) => fetch(url, init));
  }

  /** GETs `url` until `judge` accepts the answer; rejects with the judge's error or ApiRequestFailedError. */
  async get<T>(url: string, judge: (answer: ApiAnswer) => AnswerVerdict<T>): Promise<T> {
    const { api, logger } = this.options;
    const masked = maskApiKeys(url);
    try {
      const { value } = await withRetry(
        async () => {
          const verdict = judge(await this.send(url));
          if ('ok' in verdict) return verdict.ok;
          if ('retry' in verdict) throw new TransientAnswer(verdict.retry, verdict.retryAfterMs);
          throw verdict.fail;
        },
        classifyApiFailure,
        this.policy,
        {
          sleep: this.options.sleep,
          random: this.options.random,
          onRetry: ({ attempt, delayMs, error }) =>
            logger?.warn('request failed; retrying', {
              api,
              url: masked,
              attempt,
              delay_ms: delayMs,
              error: maskApiKeys(messageOf(error)),
            }),
        },
      );
      return value;
    } catch (error: unknown) {
      if (!(error instanceof RetriesExhaustedError)) throw error;
      const last = error.lastError;
      // The judge's own errors (a bad key, a refused request) and the budget already say what happened.
      if (!(last instanceof TransientAnswer || last instanceof RequestTimeout || isNetworkError(last)))
        throw last;
      const failure = classifyApiFailure(last);
      const reason = maskApiKeys(messageOf(last));
      throw new ApiRequestFailedError(
        api,
        masked,
        error.attempts,
        error.exhausted ? reason : `${reason} (${failure.kind ?? 'not retryable'})`,
      );
    }
  }

  private async send(url: string): Promise<ApiAnswer> {
    if (this.requests >= this.options.budget) {
      throw new RequestBudgetExceededError(this.options.api, this.options.budget);
    }
    await this.pacer.acquire();
    this.requests++;
    const timeoutMs = this.options.timeoutMs ?? DEFAULT_API_TIMEOUT_MS;
    const controller = new AbortController();
    const timer = setTimeout(
      () => controller.abort(new RequestTimeout(`no answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
    try {
      const response = await this.fetch(url, {
        signal: controller.signal,
        headers: { accept: 'application/json' },
      });
      const text = await response.text();
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
      return {
        status: response.status,
        body,
        retryAfterMs: parseRetryAfter(response.headers.get('retry-after')),
      };
    } catch (error: unknown) {
      if (controller.signal.aborted && controller.signal.reason instanceof RequestTimeout) {
        throw controller.signal.reason;
      }
      throw networkError(error);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Transient answers and timeouts are retried; connection failures as every extractor classifies them. */
function classifyApiFailure(error: unknown): AttemptFailure {
  if (error instanceof TransientAnswer) return { retryable: true, retryAfterMs: error.retryAfterMs };
  if (error instanceof RequestTimeout) return { retryable: true };
  if (isNetworkError(error)) return classifyNetworkFailure((error as Error).cause);
  return { retryable: false };
}

const NETWORK = Symbol('network error');

/** A transport failure, re-wrapped so its message carries no URL (undici names the URL on a bad one). */
function networkError(error: unknown): Error {
  const cause = asError(error);
  const detail = [cause.message, (cause.cause as Error | undefined)?.message].filter(Boolean).join(': ');
  return Object.assign(new Error(maskApiKeys(detail), { cause: error }), { [NETWORK]: true });
}

function isNetworkError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && NETWORK in error;
}
