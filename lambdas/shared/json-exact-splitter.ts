/**
 * The byte-by-byte JSON array splitter: every byte of every element goes through a state machine that checks
 * it (strings, escapes, UTF-8, surrogates, bare tokens, nesting, sizes) and tracks the field path, so a rule
 * broken is reported with its field path and body offset. {@link JsonArraySplitter} (json-array-elements.ts)
 * runs a fast scan first and hands an element here only when the scan could not accept it; alone, this class
 * is the reference the fast path is tested against.
 */
import { Buffer } from 'node:buffer';
import {
  BACKSLASH,
  DEFAULT_JSON_ELEMENT_LIMITS,
  describeByte,
  hexValue,
  isBlank,
  isStructural,
  LONGEST_TOKEN,
  MalformedJsonBodyError,
  nextTop,
  NotAnArrayBodyError,
  QUOTE,
  RAW_PREFIX_BYTES,
  Top,
  TruncatedJsonBodyError,
  utf8Continuation,
  framePath,
  type Frame,
  type JsonArrayElement,
  type JsonElementLimits,
} from './json-array-syntax';

const LONGEST_KEY = 128;
const JSON_LITERAL = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)$/;

/**
 * Feed the body with {@link push} (chunks in order) and call {@link end} at its end; both return the
 * elements completed so far. Memory stays within one element (`maxRecordBytes`) whatever the body size.
 */
export class ExactJsonArraySplitter {
  protected readonly limits: JsonElementLimits;
  protected top: Top = Top.BeforeArray;
  protected offset = 0; // body offset of the next byte
  protected position = 0; // index of the current element

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
    this.pushFrom(chunk, 0, out, false);
    return out;
  }

  /**
   * Reads `chunk` from index `from` (at body offset `this.offset`), adding the elements it completes to
   * `out`. With `oneElement`, returns the index after the byte that completed an element; else, or when
   * the chunk ends first, `chunk.length`. A chunk is kept from where the element starts in it to its end.
   */
  protected pushFrom(chunk: Uint8Array, from: number, out: JsonArrayElement[], oneElement: boolean): number {
    let elementStart = this.top === Top.InElement ? from : -1;
    for (let i = from; i < chunk.length; i++) {
      const byte = chunk[i];
      if (this.top === Top.InElement) {
        const ended = this.elementByte(byte);
        if (ended === 'before') {
          // A bare token ended at this byte, which belongs to the array.
          this.keep(chunk.subarray(elementStart, i));
          out.push(this.finishElement());
          elementStart = -1;
          this.topByte(byte);
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
            const before = this.stringBytes;
            this.stringBytes += j - i - 1;
            if (this.isKey)
              for (let k = i + 1; k < j && this.keyBytes.length < LONGEST_KEY; k++)
                this.keyBytes.push(chunk[k]);
            if (this.stringBytes > this.limits.maxStringBytes) {
              // The offset of the byte past the limit, as stringByte reports it.
              const past = this.offset + Math.max(1, this.limits.maxStringBytes - before + 1);
              this.reject(`a string is longer than ${this.limits.maxStringBytes} bytes`, past);
            }
            this.offset += j - i - 1;
            i = j - 1;
          }
        }
        if (oneElement && !this.inElement()) {
          this.offset++;
          return i + 1;
        }
      } else {
        this.topByte(byte);
        if (this.inElement()) elementStart = i;
      }
      this.offset++;
    }
    if (this.top === Top.InElement && elementStart >= 0) this.keep(chunk.subarray(elementStart));
    return chunk.length;
  }

  /** A method, not a comparison, so the compiler does not narrow `top` across the calls that change it. */
  protected inElement(): boolean {
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
  private topByte(byte: number): void {
    this.top = nextTop(this.top, byte, this.offset, this.position);
    if (this.top === Top.InElement) this.startElement(byte);
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
    this.elementByte(byte);
  }

  /**
   * One byte of the current element. Returns 'after' when the element ended with this byte, 'before'
   * when it ended just before it (a bare token followed by `,`, `]` or a blank), else undefined.
   */
  private elementByte(byte: number): 'before' | 'after' | undefined {
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
    // The closing quote is not the string's (a string of exactly the limit is within it).
    if (this.stringBytes > this.limits.maxStringBytes && (byte !== QUOTE || this.escape === 1)) {
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
    const next = utf8Continuation(byte);
    if (next === undefined) this.reject(`invalid UTF-8 (byte ${describeByte(byte)})`, this.offset);
    else [this.utf8Need, this.utf8Low, this.utf8High] = next;
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
    const path = framePath(this.frames);
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
