/**
 * How the Postgres extracts (extract-songs, extract-artist-stats) judge a failed attempt: by SQLSTATE when
 * the database answered, else as every extractor judges a socket, TLS or DNS failure. Its own module so
 * extract-artist-stats does not import extract-songs, whose cursor (pg-cursor) it never uses.
 */
import { classifyNetworkFailure, type AttemptFailure } from './retry';

/** SQLSTATEs a new connection or transaction may not meet again (class 08, connection exceptions, too). */
const TRANSIENT_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300', '40001', '40P01', '55P03']);

/** SQLSTATE classes first; socket, TLS and DNS failures as every extractor classifies them. */
export function classifyPgFailure(error: unknown): AttemptFailure {
  const code = (error as { code?: unknown } | undefined)?.code;
  // Five characters with a digit: `EPIPE` is a socket code, not a SQLSTATE.
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && /\d/.test(code)) {
    return code.startsWith('08') || TRANSIENT_SQLSTATES.has(code)
      ? { retryable: true }
      : { retryable: false, kind: `database error SQLSTATE ${code}` };
  }
  return classifyNetworkFailure(error);
}

/** The SQLSTATE or socket error code of a failure. */
export function pgStatusOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code !== 'string') return undefined;
  return /^[0-9A-Z]{5}$/.test(code) ? `SQLSTATE ${code}` : code;
}
