/**
 * What the JSON array splitters share: the limits of one element, the element they yield, the errors of a
 * body broken beyond one element, and the byte-level vocabulary (blanks, structural bytes, the states
 * between elements). See json-array-elements.ts for the splitter and json-exact-splitter.ts for the
 * byte-by-byte checker behind it.
 */
import { Buffer } from 'node:buffer';

export interface JsonElementLimits {
  /** Deepest nesting of objects and arrays inside one element (the element itself is level 1). @default 32 */
  readonly maxDepth: number;
  /** Largest element, in bytes of the body. @default 1 MiB */
  readonly maxRecordBytes: number;
  /** Longest string (key or value), in bytes of the body between its quotes. @default 64 KiB */
  readonly maxStringBytes: number;
}

export const DEFAULT_JSON_ELEMENT_LIMITS: JsonElementLimits = {
  maxDepth: 32,
  maxRecordBytes: 1024 * 1024,
  maxStringBytes: 64 * 1024,
};

/** One top-level element: its parsed value, or why it was rejected and the start of its raw text. */
export type JsonArrayElement =
  | {
      readonly position: number;
      readonly value: unknown;
      readonly rejected?: undefined;
      /**
       * The element's text as received, set only when it is one line of valid JSON that any reader parses to
       * `value` (no duplicate key, no integer beyond a double's precision): a landing line can be this text
       * instead of `JSON.stringify(value)`, which costs as much as parsing it.
       */
      readonly raw?: string;
    }
  | {
      readonly position: number;
      readonly value: string;
      readonly rejected: string;
      readonly raw?: undefined;
    };

/** The body's structure is broken in a way no element boundary can be found past: not retryable. */
export class MalformedJsonBodyError extends Error {
  constructor(
    readonly offset: number,
    detail: string,
  ) {
    super(`the body is not a well-formed JSON array at byte ${offset}: ${detail}`);
    this.name = 'MalformedJsonBodyError';
  }
}

/** The body ended before the array closed: the transfer was cut short, so another attempt may succeed. */
export class TruncatedJsonBodyError extends Error {
  constructor(readonly offset: number) {
    super(`the body ended at byte ${offset} before the JSON array was closed`);
    this.name = 'TruncatedJsonBodyError';
  }
}

/** The first non-blank byte is not `[`. */
export class NotAnArrayBodyError extends Error {
  constructor(
    readonly offset: number,
    found: string,
  ) {
    super(`the body does not start with "[" (found ${found} at byte ${offset})`);
    this.name = 'NotAnArrayBodyError';
  }
}

/** A container open inside the element, for the field path of a reason. */
export interface Frame {
  readonly array: boolean;
  index: number;
  /** The current key's bytes (at most 128): decoded only when a reason names the path. */
  key: number[] | undefined;
  expectKey: boolean;
}

/** The field path of the open containers: array indexes and the keys being read. */
export function framePath(frames: readonly Frame[]): string[] {
  const path: string[] = [];
  for (const frame of frames) {
    if (frame.array) path.push(String(frame.index));
    else if (!frame.expectKey && frame.key !== undefined) path.push(Buffer.from(frame.key).toString('utf8'));
  }
  return path;
}

/** How much of a rejected element's text is kept in the quarantine record. */
export const RAW_PREFIX_BYTES = 1024;

export const QUOTE = 0x22;
export const BACKSLASH = 0x5c;
/** The longest bare token (number or literal) kept to check: both splitters must agree on it. */
export const LONGEST_TOKEN = 64;

/** Where the reader is relative to the elements (outside them, `InElement` is handled by a splitter). */
export const Top = {
  BeforeArray: 0,
  BeforeFirst: 1,
  BeforeElement: 2,
  InElement: 3,
  AfterElement: 4,
  AfterArray: 5,
} as const;
export type Top = (typeof Top)[keyof typeof Top];

export function isBlank(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

export function isStructural(byte: number): boolean {
  return byte === 0x7b || byte === 0x7d || byte === 0x5b || byte === 0x5d || byte === 0x2c || byte === 0x3a;
}

export function hexValue(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  const lower = byte | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x61 + 10 : -1;
}

/**
 * For the first byte of a multi-byte UTF-8 sequence: how many bytes follow and the bounds of the next one
 * (RFC 3629, table 3-7 of the Unicode standard: no overlong forms, no UTF-16 surrogates, nothing above
 * U+10FFFF); undefined for a byte that cannot start one.
 */
export function utf8Continuation(byte: number): [need: number, low: number, high: number] | undefined {
  if (byte >= 0xc2 && byte <= 0xdf) return [1, 0x80, 0xbf];
  if (byte === 0xe0) return [2, 0xa0, 0xbf];
  if (byte === 0xed) return [2, 0x80, 0x9f];
  if (byte >= 0xe1 && byte <= 0xef) return [2, 0x80, 0xbf];
  if (byte === 0xf0) return [3, 0x90, 0xbf];
  if (byte >= 0xf1 && byte <= 0xf3) return [3, 0x80, 0xbf];
  if (byte === 0xf4) return [3, 0x80, 0x8f];
  return undefined;
}

/**
 * The state after a byte outside any element (`top` is not `InElement`): `InElement` when the byte starts
 * element `position`. Throws for a byte no element boundary can be found past.
 */
export function nextTop(top: Top, byte: number, offset: number, position: number): Top {
  if (isBlank(byte)) return top;
  switch (top) {
    case Top.BeforeArray:
      if (byte === 0x5b) return Top.BeforeFirst;
      if (!(offset < 3 && (byte === 0xef || byte === 0xbb || byte === 0xbf))) {
        throw new NotAnArrayBodyError(offset, describeByte(byte));
      }
      return top;
    case Top.BeforeFirst:
    case Top.BeforeElement:
      if (byte === 0x5d && top === Top.BeforeFirst) return Top.AfterArray;
      if (byte === 0x5d || byte === 0x2c || byte === 0x3a || byte === 0x7d) {
        throw new MalformedJsonBodyError(offset, `expected element ${position}, found ${describeByte(byte)}`);
      }
      return Top.InElement;
    case Top.AfterElement:
      if (byte === 0x2c) return Top.BeforeElement;
      if (byte === 0x5d) return Top.AfterArray;
      throw new MalformedJsonBodyError(
        offset,
        `expected "," or "]" after element ${position - 1}, found ${describeByte(byte)}`,
      );
    case Top.AfterArray:
      throw new MalformedJsonBodyError(offset, `found ${describeByte(byte)} after the closing "]"`);
    default:
      return top;
  }
}

export function describeByte(byte: number): string {
  return byte >= 0x20 && byte < 0x7f
    ? JSON.stringify(String.fromCharCode(byte))
    : `0x${byte.toString(16).padStart(2, '0')}`;
}
