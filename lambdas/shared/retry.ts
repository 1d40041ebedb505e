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
  /** What kind of failure it is, for the final error when it is not retried, e.g. `TLS error CERT_HAS_EXPIRED`. */
  readonly kind?: string;
}

/**
 * Socket and undici codes of failures that a new connection may not meet again: resets, refusals (a
 * server restarting), timeouts, unreachable networks, and `EAI_AGAIN` (the DNS server could not answer
 * now, unlike `ENOTFOUND`: the name does not exist).
 */
const TRANSIENT_NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);
/** A connection that broke without a code: undici's `terminated` (mid-body), pg's `Connection terminated`. */
const TRANSIENT_MESSAGE =
  /^terminated$|other side closed|socket hang up|Connection terminated|connection timeout|timeout expired/i;
/** Node's TLS verification codes (OpenSSL's X509_V_ERR_* names) and its TLS/SSL errors. */
const TLS_CODE =
  /^(?:CERT_|CRL_|ERR_TLS_|ERR_SSL_|UNABLE_TO_|ERROR_IN_CERT|ERROR_IN_CRL)|^(?:DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|INVALID_CA|INVALID_PURPOSE|PATH_LENGTH_EXCEEDED|HOSTNAME_MISMATCH)$/;
const DNS_CODES = new Set(['ENOTFOUND', 'ENODATA']);
const CONFIGURATION_CODES = new Set(['ERR_INVALID_URL', 'ERR_INVALID_ARG_TYPE', 'ERR_INVALID_ARG_VALUE']);
/** undici's words for a URL it cannot fetch (`ftp:`, a malformed URL). */
const CONFIGURATION_MESSAGE = /unknown scheme|invalid url|failed to parse url|not implemented\.\.\. yet/i;

/** The error and its causes, outermost first (undici wraps the socket error in `TypeError: fetch failed`). */
function causeChain(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let current = error; current !== undefined && current !== null && chain.length < 5;) {
    chain.push(current);
    current = (current as { cause?: unknown }).cause;
  }
  return chain;
}

/**
 * The one classifier of connection-level failures, shared by the HTTP and the database extractors. Only
 * what a later attempt may not meet is retried: resets, refusals, timeouts, temporary DNS failures. TLS
 * problems (an expired, self-signed or mismatched certificate), a host name that does not resolve and a
 * malformed URL are configuration: retrying only delays the alarm, so they fail at once, named. Anything
 * unrecognised fails at once too, with its message: retrying the unknown hides bugs behind six attempts.
 */
export function classifyNetworkFailure(error: unknown): AttemptFailure {
  const chain = causeChain(error);
  const codes = chain
    .map((link) => (link as { code?: unknown }).code)
    .filter((code): code is string => typeof code === 'string');
  const tls = codes.find((code) => TLS_CODE.test(code));
  if (tls !== undefined) return { retryable: false, kind: `TLS error ${tls}` };
  const dns = codes.find((code) => DNS_CODES.has(code));
  if (dns !== undefined)
    return { retryable: false, kind: `DNS error ${dns} (the host name does not resolve)` };
  const configuration = codes.find((code) => CONFIGURATION_CODES.has(code));
  if (configuration !== undefined) return { retryable: false, kind: `configuration error ${configuration}` };
  if (codes.some((code) => TRANSIENT_NETWORK_CODES.has(code))) return { retryable: true };
  const messages = chain.map((link) =>
    typeof link === 'object' ? String((link as { message?: unknown }).message) : String(link),
  );
  if (messages.some((message) => CONFIGURATION_MESSAGE.test(message))) {
    return { retryable: false, kind: 'configuration error' };
  }
  if (messages.some((message) => TRANSIENT_MESSAGE.test(message))) return { retryable: true };
  return { retryable: false, kind: 'unrecognised error' };
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
