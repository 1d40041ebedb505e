/** Raised by the object stores when a key has no object; `key` and `location` say where it was looked for. */
export class ObjectNotFoundError extends Error {
  constructor(
    readonly key: string,
    readonly location: string,
    cause?: unknown,
  ) {
    super(`No object at key "${key}" in ${location}`, { cause });
    this.name = 'ObjectNotFoundError';
  }
}
