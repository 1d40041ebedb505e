/**
 * Error helpers that do not rely on `instanceof Error`: errors raised by Node internals (sockets, undici)
 * come from another realm under some runners (jest's sandbox), where `instanceof Error` is false.
 */

/** Whether `value` looks like an Error (has a string `message`). */
export function isErrorLike(value: unknown): value is Error {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { message?: unknown }).message === 'string'
  );
}

/** The message of an error, or the value as a string. */
export function messageOf(value: unknown): string {
  return isErrorLike(value) ? value.message : String(value);
}

/** `value` as an Error (wrapped when it is not error-like). */
export function asError(value: unknown): Error {
  return isErrorLike(value) ? value : new Error(String(value));
}
