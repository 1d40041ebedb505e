/**
 * Splits a JSON array body into its top-level elements, byte by byte, so that one poisoned element is
 * quarantined instead of failing the whole body. A general streaming parser (stream-json) stops at the
 * first bad token; here each element is bounded (nesting depth, bytes, string bytes) and checked (UTF-8,
 * surrogate escapes, literal tokens such as `NaN`) while only the structure needed to find where it ends
 * is tracked: strings, escapes and brackets. An element that breaks a rule is skipped to its end and
 * reported with the rule, its field path and the body offset; the next element starts clean.
 *
 * What cannot be resynchronised is a structural error between or across elements (a `}` closing a `[`,
 * garbage where a `,` or `]` belongs): that throws {@link MalformedJsonBodyError} with the byte offset.
 * A body that ends before its closing `]` throws {@link TruncatedJsonBodyError} (the transfer was cut).
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
  | { readonly position: number; readonly value: unknown; readonly rejected?: undefined }
  | { readonly position: number; readonly value: string; readonly rejected: string };

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

/** How much of a rejected element's text is kept in the quarantine record. */
const RAW_PREFIX_BYTES = 1024;
const LONGEST_TOKEN = 64;
const LONGEST_KEY = 128;
const JSON_LITERAL = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)$/;

const enum Top {
  BeforeArray,
  BeforeFirst,
  BeforeElement,
  InElement,
  AfterElement,
  AfterArray,
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

function isBlank(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

function isStructural(byte: number): boolean {
  return byte === 0x7b || byte === 0x7d || byte === 0x5b || byte === 0x5d || byte === 0x2c || byte === 0x3a;
}

function hexValue(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  const lower = byte | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x61 + 10 : -1;
}

/** A container open inside the element, for the field path of a reason. */
interface Frame {
  readonly array: boolean;
  index: number;
  /** The current key's bytes (at most LONGEST_KEY): decoded only when a reason names the path. */
  key: number[] | undefined;
  expectKey: boolean;
}

/**
 * Feed the body with {@link push} (chunks in order) and call {@link end} at its end; both return the
 * elements completed so far. Memory stays within one element (`maxRecordBytes`) whatever the body size.
 */
export class JsonArraySplitter {
  private readonly limits: JsonElementLimits;
  private top = Top.BeforeArray;
  private offset = 0; // body offset of the next byte
  private position = 0; // index of the current element

  // The current element.
  private parts: Uint8Array[] = [];
  private bytes = 0;
  private rawPrefix: Uint8Array[] = [];
  private rawPrefixBytes = 0;
  private rejected: string | undefined;
  private frames: Frame[] = [];
  private depth = 0;
  private scalar = false; // the element is a bare token or a string, not a container

  // Inside a string.
  private inString = false;
  private isKey = false;
  private keyBytes: number[] = [];
  private stringBytes = 0;
  private escape = 0; // 0 none, 1 after a backslash, 2..5 reading the hex digits of \u
  private codeUnit = 0;
  private highSurrogate = false;
  private utf8Need = 0;
  private utf8Low = 0x80;
  private utf8High = 0xbf;

  // Inside a bare token (number, true, false, null, or something else).
  private token = '';
  private inToken = false;

  constructor(limits: Partial<JsonElementLimits> = {}) {
    this.limits = { ...DEFAULT_JSON_ELEMENT_LIMITS, ...limits };
  }

  push(chunk: Uint8Array): JsonArrayElement[] {
    const out: JsonArrayElement[] = [];
    let elementStart = this.top === Top.InElement ? 0 : -1;
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i];
      if (this.top === Top.InElement) {
        const ended = this.elementByte(byte, i, chunk);
        if (ended === 'before') {
          // A bare token ended at this byte, which belongs to the array.
          this.keep(chunk.subarray(elementStart, i));
          out.push(this.finishElement());
          elementStart = -1;
          this.topByte(byte, i, chunk);
          if (this.inElement()) elementStart = i;
        } else if (ended === 'after') {
          this.keep(chunk.subarray(elementStart, i + 1));
          out.push(this.finishElement());
          elementStart = -1;
        } else {
          // Runs of plain string bytes are skipped in one go (the common case).
          if (this.inString && this.escape === 0 && this.utf8Need === 0 && !this.highSurrogate) {
            let j = i + 1;
            while (j < chunk.length) {
              const b = chunk[j];
              if (b === QUOTE || b === BACKSLASH || b >= 0x80) break;
              j++;
            }
            this.stringBytes += j - i - 1;
            if (this.isKey)
              for (let k = i + 1; k < j && this.keyBytes.length < LONGEST_KEY; k++)
                this.keyBytes.push(chunk[k]);
            if (this.stringBytes > this.limits.maxStringBytes)
              this.reject(`a string is longer than ${this.limits.maxStringBytes} bytes`, this.offset + i);
            this.offset += j - i - 1;
            i = j - 1;
          }
        }
      } else {
        this.topByte(byte, i, chunk);
        if (this.inElement()) elementStart = i;
      }
      this.offset++;
    }
    if (this.top === Top.InElement && elementStart >= 0) this.keep(chunk.subarray(elementStart));
    return out;
  }

  /** A method, not a comparison, so the compiler does not narrow `top` across the calls that change it. */
  private inElement(): boolean {
    return this.top === Top.InElement;
  }

  end(): JsonArrayElement[] {
    if (this.top === Top.InElement && this.inToken && this.depth === 0) {
      // `[1` : the token may be complete, the array is not.
      throw new TruncatedJsonBodyError(this.offset);
    }
    if (this.top === Top.BeforeArray) throw new NotAnArrayBodyError(this.offset, 'an empty body');
    if (this.top !== Top.AfterArray) throw new TruncatedJsonBodyError(this.offset);
    return [];
  }

  /** A byte outside any element. */
  private topByte(byte: number, _i: number, _chunk: Uint8Array): void {
    if (isBlank(byte)) return;
    switch (this.top) {
      case Top.BeforeArray:
        if (byte === 0x5b) this.top = Top.BeforeFirst;
        else if (!(this.offset < 3 && (byte === 0xef || byte === 0xbb || byte === 0xbf))) {
          throw new NotAnArrayBodyError(this.offset, describeByte(byte));
        }
        return;
      case Top.BeforeFirst:
      case Top.BeforeElement:
        if (byte === 0x5d && this.top === Top.BeforeFirst) {
          this.top = Top.AfterArray;
          return;
        }
        if (byte === 0x5d || byte === 0x2c || byte === 0x3a || byte === 0x7d) {
          throw new MalformedJsonBodyError(
            this.offset,
            `expected element ${this.position}, found ${describeByte(byte)}`,
          );
        }
        this.startElement(byte);
        return;
      case Top.AfterElement:
        if (byte === 0x2c) this.top = Top.BeforeElement;
        else if (byte === 0x5d) this.top = Top.AfterArray;
        else {
          throw new MalformedJsonBodyError(
            this.offset,
            `expected "," or "]" after element ${this.position - 1}, found ${describeByte(byte)}`,
          );
        }
        return;
      case Top.AfterArray:
        throw new MalformedJsonBodyError(this.offset, `found ${describeByte(byte)} after the closing "]"`);
      default:
        return;
    }
  }

  private startElement(byte: number): void {
    this.top = Top.InElement;
    this.parts = [];
    this.bytes = 0;
    this.rawPrefix = [];
    this.rawPrefixBytes = 0;
    this.rejected = undefined;
    this.frames = [];
    this.depth = 0;
    this.scalar = byte !== 0x7b && byte !== 0x5b;
    // The first byte is handled by elementByte from a clean state.
    this.elementByte(byte, 0, undefined);
  }

  /**
   * One byte of the current element. Returns 'after' when the element ended with this byte, 'before'
   * when it ended just before it (a bare token followed by `,`, `]` or a blank), else undefined.
   */
  private elementByte(
    byte: number,
    _i: number,
    _chunk: Uint8Array | undefined,
  ): 'before' | 'after' | undefined {
    if (this.inString) {
      this.stringByte(byte);
      if (!this.inString && this.scalar) return 'after';
      return undefined;
    }
    if (this.inToken) {
      if (isBlank(byte) || isStructural(byte) || byte === QUOTE) {
        this.endToken();
        if (this.depth === 0) return 'before';
      } else {
        if (this.token.length < LONGEST_TOKEN) this.token += String.fromCharCode(byte);
        return undefined;
      }
    }
    if (isBlank(byte)) return undefined;
    const frame = this.frames[this.frames.length - 1] as Frame | undefined;
    switch (byte) {
      case QUOTE:
        this.inString = true;
        this.isKey = frame !== undefined && !frame.array && frame.expectKey;
        // A fresh array per key only: the frame keeps the previous one (see Frame.key).
        if (this.isKey) this.keyBytes = [];
        this.stringBytes = 0;
        return undefined;
      case 0x7b:
      case 0x5b:
        this.depth++;
        if (this.depth > this.limits.maxDepth) {
          this.reject(`nested deeper than ${this.limits.maxDepth} levels`, this.offset);
        }
        // Past the limit only the count is kept: the element is rejected anyway, and frames would grow with it.
        if (this.depth <= this.limits.maxDepth + 1) {
          this.frames.push({ array: byte === 0x5b, index: 0, key: undefined, expectKey: byte === 0x7b });
        }
        return undefined;
      case 0x7d:
      case 0x5d: {
        if (this.depth === 0) {
          throw new MalformedJsonBodyError(
            this.offset,
            `unexpected ${describeByte(byte)} in element ${this.position}`,
          );
        }
        if (this.depth <= this.limits.maxDepth + 1 && frame !== undefined) {
          if (frame.array !== (byte === 0x5d)) {
            throw new MalformedJsonBodyError(
              this.offset,
              `${describeByte(byte)} closes ${frame.array ? 'an array' : 'an object'} in element ${this.position}${this.where()}`,
            );
          }
          this.frames.pop();
        }
        this.depth--;
        return this.depth === 0 ? 'after' : undefined;
      }
      case 0x2c:
        if (frame) {
          frame.index++;
          frame.expectKey = !frame.array;
        }
        return undefined;
      case 0x3a:
        if (frame && !frame.array) frame.expectKey = false;
        return undefined;
      default:
        this.inToken = true;
        this.token = String.fromCharCode(byte);
        return undefined;
    }
  }

  private endToken(): void {
    this.inToken = false;
    if (!JSON_LITERAL.test(this.token)) {
      const what = /^-?(?:NaN|Infinity)$/.test(this.token)
        ? `${this.token} is not a JSON number`
        : `${JSON.stringify(this.token)} is not a JSON value`;
      this.reject(what, this.offset - this.token.length);
    }
  }

  private stringByte(byte: number): void {
    this.stringBytes++;
    if (this.stringBytes > this.limits.maxStringBytes) {
      this.reject(`a string is longer than ${this.limits.maxStringBytes} bytes`, this.offset);
    }
    if (this.utf8Need > 0) {
      if (byte < this.utf8Low || byte > this.utf8High) {
        this.utf8Need = 0;
        this.reject(`invalid UTF-8 (byte ${describeByte(byte)})`, this.offset);
        // Fall through: the byte may be a quote or a backslash of the string itself.
      } else {
        this.utf8Need--;
        this.utf8Low = 0x80;
        this.utf8High = 0xbf;
        if (this.isKey && this.keyBytes.length < LONGEST_KEY) this.keyBytes.push(byte);
        return;
      }
    }
    if (this.escape === 1) {
      this.escape = byte === 0x75 ? 2 : 0;
      this.codeUnit = 0;
      if (byte !== 0x75) this.notSurrogate();
      return;
    }
    if (this.escape >= 2) {
      const digit = hexValue(byte);
      if (digit >= 0) {
        this.codeUnit = this.codeUnit * 16 + digit;
        if (++this.escape === 6) {
          this.escape = 0;
          this.codeUnitDone();
        }
        return;
      }
      // A broken \u escape: JSON.parse names it; the byte itself is read as usual (it may end the string).
      this.escape = 0;
    }
    if (byte === BACKSLASH) {
      this.escape = 1;
      return;
    }
    this.notSurrogate();
    if (byte === QUOTE) {
      this.inString = false;
      this.stringBytes--;
      if (this.isKey) {
        const frame = this.frames[this.frames.length - 1];
        if (frame !== undefined) frame.key = this.keyBytes;
      }
      return;
    }
    if (this.isKey && this.keyBytes.length < LONGEST_KEY) this.keyBytes.push(byte);
    if (byte < 0x80) return;
    // The first byte of a multi-byte sequence, with the bounds of the next byte (RFC 3629, table 3-7 of
    // the Unicode standard): no overlong forms, no UTF-16 surrogates, nothing above U+10FFFF.
    if (byte >= 0xc2 && byte <= 0xdf) this.expect(1, 0x80, 0xbf);
    else if (byte === 0xe0) this.expect(2, 0xa0, 0xbf);
    else if (byte === 0xed) this.expect(2, 0x80, 0x9f);
    else if (byte >= 0xe1 && byte <= 0xef) this.expect(2, 0x80, 0xbf);
    else if (byte === 0xf0) this.expect(3, 0x90, 0xbf);
    else if (byte >= 0xf1 && byte <= 0xf3) this.expect(3, 0x80, 0xbf);
    else if (byte === 0xf4) this.expect(3, 0x80, 0x8f);
    else this.reject(`invalid UTF-8 (byte ${describeByte(byte)})`, this.offset);
  }

  private expect(need: number, low: number, high: number): void {
    this.utf8Need = need;
    this.utf8Low = low;
    this.utf8High = high;
  }

  /** A \uXXXX escape was read: a high surrogate must be followed by a low one, and a low one preceded. */
  private codeUnitDone(): void {
    const unit = this.codeUnit;
    const isLow = unit >= 0xdc00 && unit <= 0xdfff;
    if (this.highSurrogate) {
      this.highSurrogate = false;
      if (!isLow) this.loneSurrogate();
      else return;
    }
    if (unit >= 0xd800 && unit <= 0xdbff) this.highSurrogate = true;
    else if (isLow) this.loneSurrogate(unit);
  }

  private notSurrogate(): void {
    if (this.highSurrogate) {
      this.highSurrogate = false;
      this.loneSurrogate();
    }
  }

  private loneSurrogate(unit?: number): void {
    const what =
      unit === undefined ? 'a high surrogate escape not followed by a low one' : `\\u${unit.toString(16)}`;
    this.reject(`invalid unicode: lone surrogate (${what})`, this.offset);
  }

  /** Marks the element rejected (the first reason wins), naming the field and the body offset. */
  private reject(what: string, offset: number): void {
    if (this.rejected !== undefined) return;
    this.rejected = `${what}${this.where()} (body byte ${offset})`;
  }

  /** ` at <path>` for the field being read, or nothing at the element's top. */
  private where(): string {
    const path = this.frames
      .map((frame) =>
        frame.array
          ? String(frame.index)
          : frame.expectKey || frame.key === undefined
            ? undefined
            : Buffer.from(frame.key).toString('utf8'),
      )
      .filter((part) => part !== undefined);
    if (this.inString && this.isKey) path.push(Buffer.from(this.keyBytes).toString('utf8'));
    return path.length === 0 ? '' : ` at ${path.join('.')}`;
  }

  private keep(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    if (this.rawPrefixBytes < RAW_PREFIX_BYTES) {
      const slice = bytes.subarray(0, RAW_PREFIX_BYTES - this.rawPrefixBytes);
      this.rawPrefix.push(slice);
      this.rawPrefixBytes += slice.length;
    }
    this.bytes += bytes.length;
    if (this.bytes > this.limits.maxRecordBytes) {
      this.reject(`the record is larger than ${this.limits.maxRecordBytes} bytes`, this.offset);
      this.parts = [];
    } else {
      this.parts.push(bytes);
    }
  }

  private finishElement(): JsonArrayElement {
    const position = this.position++;
    this.top = Top.AfterElement;
    this.inToken = false;
    this.inString = false;
    const rejected = this.rejected;
    const parts = this.parts;
    this.parts = [];
    if (rejected === undefined) {
      const text = Buffer.concat(parts).toString('utf8');
      try {
        return { position, value: JSON.parse(text) as unknown };
      } catch (error: unknown) {
        return {
          position,
          value: text.slice(0, RAW_PREFIX_BYTES),
          rejected: `unparsable: ${(error as Error).message}`,
        };
      }
    }
    return {
      position,
      value: Buffer.concat(this.rawPrefix).toString('utf8'),
      rejected: `unparsable: ${rejected}`,
    };
  }
}

function describeByte(byte: number): string {
  return byte >= 0x20 && byte < 0x7f
    ? JSON.stringify(String.fromCharCode(byte))
    : `0x${byte.toString(16).padStart(2, '0')}`;
}
