/**
 * Streams the elements of a JSON array served over HTTP, one parsed element at a time, so a body of any
 * size goes through constant memory. Timeouts cover both the wait for the response headers and silences
 * while the body streams; a transfer that stops half-way fails instead of hanging.
 */
import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { classifyNetworkFailure, parseRetryAfter, type AttemptFailure } from './retry';
import { isErrorLike, messageOf } from './errors';
import {
  JsonArraySplitter,
  MalformedJsonBodyError,
  NotAnArrayBodyError,
  TruncatedJsonBodyError,
  type JsonArrayElement,
  type JsonElementLimits,
} from './json-array-elements';

export type { JsonArrayElement, JsonElementLimits } from './json-array-elements';

/** The subset of the WHATWG `fetch` the extractors use; Node's global `fetch` by default. */
export type FetchLike = (
  url: string,
  init: { signal: AbortSignal; headers: Record<string, string> },
) => Promise<Response>;

export interface HttpTimeouts {
  /** Longest wait for the response status and headers. @default 30000 */
  readonly responseTimeoutMs: number;
  /** Longest silence between two chunks of the body. @default 30000 */
  readonly idleTimeoutMs: number;
}

export const DEFAULT_HTTP_TIMEOUTS: HttpTimeouts = { responseTimeoutMs: 30_000, idleTimeoutMs: 30_000 };

/** A response whose status is not 2xx. */
export class HttpStatusError extends Error {
  constructor(
    readonly url: string,
    readonly status: number,
    readonly statusText: string,
    /** What `Retry-After` asked for, in milliseconds. */
    readonly retryAfterMs: number | undefined,
  ) {
    super(`the server answered ${status}${statusText ? ` ${statusText}` : ''}`);
    this.name = 'HttpStatusError';
  }

  /** 408, 429 and 5xx are worth retrying; other statuses mean the request itself is wrong. */
  get retryable(): boolean {
    return this.status === 408 || this.status === 429 || this.status >= 500;
  }
}

/** The response headers or the next body chunk did not come in time. */
export class HttpTimeoutError extends Error {
  constructor(
    readonly url: string,
    readonly phase: 'response' | 'body',
    readonly timeoutMs: number,
  ) {
    super(
      phase === 'response' ? `no response within ${timeoutMs} ms` : `the body stalled for ${timeoutMs} ms`,
    );
    this.name = 'HttpTimeoutError';
  }
}

/** The body is well-formed JSON but not an array: the endpoint is not what the extractor expects. */
export class NotAJsonArrayError extends Error {
  constructor(
    readonly url: string,
    cause: unknown,
  ) {
    super(`the body is not a JSON array (${messageOf(cause)})`, {
      cause,
    });
    this.name = 'NotAJsonArrayError';
  }
}

export interface StreamJsonArrayOptions {
  readonly fetch?: FetchLike;
  readonly timeouts?: HttpTimeouts;
  /** Bounds of one array element; an element beyond them is yielded as rejected. @default DEFAULT_JSON_ELEMENT_LIMITS */
  readonly limits?: Partial<JsonElementLimits>;
}

const defaultFetch: FetchLike = (url, init) => fetch(url, init);

/**
 * GETs `url` and yields the elements of its JSON array body as they are parsed; an element that breaks
 * the JSON rules or the limits is yielded with `rejected` set (see json-array-elements.ts). Rejects with
 * {@link HttpStatusError} on a non-2xx status, {@link HttpTimeoutError} on a timeout,
 * {@link NotAJsonArrayError} when the body is not an array, {@link MalformedJsonBodyError} when its
 * structure breaks beyond one element, {@link TruncatedJsonBodyError} when it ends before its `]`, and with
 * the transport's own error when the connection breaks (including half-way through the body). Stopping
 * the iteration early releases the connection.
 */
export async function* streamJsonArray(
  url: string,
  options: StreamJsonArrayOptions = {},
): AsyncGenerator<JsonArrayElement, void, undefined> {
  const fetchFn = options.fetch ?? defaultFetch;
  const timeouts = options.timeouts ?? DEFAULT_HTTP_TIMEOUTS;
  const controller = new AbortController();
  let timeoutError: HttpTimeoutError | undefined;
  // The body timer counts silence only while this generator waits for the next element: when the consumer
  // is busy (a slow upload holding back the stream), a firing timer re-arms instead of aborting.
  let waitingForBody = false;
  const arm = (phase: 'response' | 'body', ms: number): NodeJS.Timeout => {
    const timer: NodeJS.Timeout = setTimeout(() => {
      if (phase === 'body' && !waitingForBody) {
        timer.refresh();
        return;
      }
      timeoutError = new HttpTimeoutError(url, phase, ms);
      controller.abort(timeoutError);
    }, ms);
    return timer;
  };

  let timer = arm('response', timeouts.responseTimeoutMs);
  try {
    let response: Response;
    try {
      response = await fetchFn(url, { signal: controller.signal, headers: { accept: 'application/json' } });
    } catch (error: unknown) {
      throw timeoutError ?? transportError(error);
    }
    clearTimeout(timer);
    if (!response.ok) {
      await response.body?.cancel().catch(() => undefined);
      throw new HttpStatusError(
        url,
        response.status,
        response.statusText,
        parseRetryAfter(response.headers.get('retry-after')),
      );
    }
    if (!response.body) throw new NotAJsonArrayError(url, new Error('empty body'));

    timer = arm('body', timeouts.idleTimeoutMs);
    const bodyTimer = timer;
    const splitter = new JsonArraySplitter(options.limits);
    const body = Readable.fromWeb(response.body as unknown as NodeReadableStream<Uint8Array>);
    const chunks = body[Symbol.asyncIterator]() as AsyncIterator<Uint8Array>;
    try {
      for (;;) {
        waitingForBody = true;
        bodyTimer.refresh();
        const next = await chunks.next();
        waitingForBody = false;
        for (const element of next.done ? splitter.end() : splitter.push(next.value)) yield element;
        if (next.done) break;
      }
    } catch (error: unknown) {
      if (timeoutError) throw timeoutError;
      if (error instanceof NotAnArrayBodyError) throw new NotAJsonArrayError(url, error);
      if (error instanceof MalformedJsonBodyError || error instanceof TruncatedJsonBodyError) throw error;
      throw transportError(error);
    } finally {
      await chunks.return?.().catch(() => undefined);
    }
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
}

/**
 * Undici reports a refused or reset connection as `TypeError: fetch failed` / `terminated` with the
 * socket error as its cause: bring the cause into the message so the final error says what happened.
 * (Messages leave the URL out: the extract's error and logs name it once.)
 */
function transportError(error: unknown): Error {
  if (!isErrorLike(error)) return new Error(String(error));
  const cause = isErrorLike(error.cause) ? error.cause : undefined;
  const detail =
    cause && cause.message !== error.message ? `${error.message} (${cause.message})` : error.message;
  const code = (error as { code?: unknown }).code ?? (cause as { code?: unknown } | undefined)?.code;
  return Object.assign(new Error(detail, { cause: error }), code === undefined ? {} : { code });
}

/**
 * Whether a failure while reading the source is worth another attempt: 408/429/5xx, timeouts, a body cut
 * short and the transient connection failures of {@link classifyNetworkFailure} are; other statuses, a
 * body that is not an array or is broken beyond one element, TLS, DNS and URL problems are not.
 */
export function classifyHttpFailure(error: unknown): AttemptFailure {
  if (error instanceof HttpStatusError) {
    return error.retryable
      ? { retryable: true, retryAfterMs: error.retryAfterMs }
      : { retryable: false, kind: 'client error' };
  }
  if (error instanceof HttpTimeoutError || error instanceof TruncatedJsonBodyError)
    return { retryable: true };
  if (error instanceof NotAJsonArrayError || error instanceof MalformedJsonBodyError) {
    return { retryable: false, kind: 'malformed body' };
  }
  return classifyNetworkFailure(error);
}

/** The HTTP status of a failure, when it has one. */
export function httpStatusOf(error: unknown): string | undefined {
  return error instanceof HttpStatusError ? String(error.status) : undefined;
}
