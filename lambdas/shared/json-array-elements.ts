/**
 * Splits a JSON array body into its top-level elements, so that one poisoned element is quarantined
 * instead of failing the whole body. A general streaming parser (stream-json) stops at the first bad token;
 * here each element is bounded (nesting depth, bytes, string bytes) and checked (UTF-8, surrogate escapes,
 * literal tokens such as `NaN`). An element that breaks a rule is skipped to its end and reported with the
 * rule, its field path and the body offset; the next element starts clean.
 *
 * Two paths, one behaviour. The fast path scans an object or array element in a tight loop that tracks only
 * strings, escapes and bracket depth, then accepts it when `JSON.parse` takes it and the checks that
 * `JSON.parse` does not make hold in bulk (UTF-8 by `Buffer.isUtf8`, no surrogate escape, depth and string
 * sizes within the limits). Any other element (one that fails a check, a bare scalar, one that grows past
 * `maxRecordBytes`, one cut by the end of the body) is replayed from its first byte through
 * {@link ExactJsonArraySplitter}, the byte-by-byte checker, which gives the reason (rule, field path, body
 * offset) or the structural error exactly as if it had read every byte itself.
 *
 * What cannot be resynchronised is a structural error between or across elements (a `}` closing a `[`,
 * garbage where a `,` or `]` belongs): that throws {@link MalformedJsonBodyError} with the byte offset.
 * A body that ends before its closing `]` throws {@link TruncatedJsonBodyError} (the transfer was cut).
 */
import { Buffer, isUtf8 } from 'node:buffer';
import {
  BACKSLASH,
  LONGEST_TOKEN,
  nextTop,
  QUOTE,
  Top,
  type JsonArrayElement,
  type JsonElementLimits,
} from './json-array-syntax';
import { ExactJsonArraySplitter } from './json-exact-splitter';

export {
  DEFAULT_JSON_ELEMENT_LIMITS,
  MalformedJsonBodyError,
  NotAnArrayBodyError,
  TruncatedJsonBodyError,
  type JsonArrayElement,
  type JsonElementLimits,
} from './json-array-syntax';
export { ExactJsonArraySplitter } from './json-exact-splitter';

/** A depth, string-size or token-size limit was passed: the exact splitter names it. */
const OVER_LIMIT = 1;
/** A backslash was seen: the element is searched for a surrogate escape before it is accepted. */
const ESCAPED = 2;
/** `\uD800` to `\uDFFF` (a backslash before the `\u` only makes this conservative: the exact path decides). */
/**
 * The element's text may not stand for its parsed value on a landing line: it spans lines, or has a bare
 * token longer than LONGEST_EXACT_NUMBER (an integer of 16 or more digits may be beyond a double, so a
 * reader could see another number than the one validated).
 */
const NOT_VERBATIM = 4;
const LONGEST_EXACT_NUMBER = 15;
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;

/**
 * Feed the body with {@link push} (chunks in order) and call {@link end} at its end; both return the
 * elements completed so far. Memory stays within one element (`maxRecordBytes` plus one chunk) whatever the
 * body size.
 */
export class JsonArraySplitter extends ExactJsonArraySplitter {
  /** The current element is read by the exact splitter (a scalar, or one the fast path handed over). */
  private exact = false;
  /** The fast element's bytes in the chunks before the current one, each to its chunk's end. */
  private pieces: Uint8Array[] = [];
  private piecesBytes = 0;
  private elementOffset = 0;
  // The fast scan's state, kept across chunks.
  private scanDepth = 0;
  private scanInString = false;
  private scanEscaped = false;
  private scanStringStart = 0;
  private scanFlags = 0;
  /** Bytes of the bare token being read (a number, true, false, null). */
  private scanToken = 0;
  /** The `:` outside strings: one per key of the element's objects, duplicates included. */
  private scanPairs = 0;

  constructor(limits: Partial<JsonElementLimits> = {}) {
    super(limits);
  }

  override push(chunk: Uint8Array): JsonArrayElement[] {
    const out: JsonArrayElement[] = [];
    const n = chunk.length;
    let i = 0;
    let pieceStart = 0;
    while (i < n) {
      if (this.top !== Top.InElement) {
        const byte = chunk[i];
        const next = nextTop(this.top, byte, this.offset, this.position);
        if (next !== Top.InElement) {
          this.top = next;
          this.offset++;
          i++;
        } else if (byte === 0x7b || byte === 0x5b) {
          this.startFast();
          pieceStart = i;
        } else {
          this.exact = true;
          i = this.pushFrom(chunk, i, out, true);
        }
        continue;
      }
      if (this.exact) {
        i = this.pushFrom(chunk, i, out, true);
        continue;
      }
      const end = this.scan(chunk, i);
      if (end < 0) {
        this.offset += n - i;
        break;
      }
      this.offset += end - i;
      const last = chunk.subarray(pieceStart, end + 1);
      const element = this.accept(last);
      if (element === undefined) {
        this.replay(last, out);
      } else {
        out.push(element);
        this.offset++;
      }
      i = end + 1;
    }
    if (this.top === Top.InElement && !this.exact) {
      const piece = chunk.subarray(pieceStart);
      this.pieces.push(piece);
      this.piecesBytes += piece.length;
      // Past the limit the element is rejected anyway: the exact splitter reads on without keeping it.
      if (this.piecesBytes > this.limits.maxRecordBytes) this.replay(undefined, out);
    }
    return out;
  }

  override end(): JsonArrayElement[] {
    // The exact splitter says whether the cut element was already broken (a malformed body) or only cut.
    if (this.top === Top.InElement && !this.exact) this.replay(undefined, []);
    return super.end();
  }

  private startFast(): void {
    this.top = Top.InElement;
    this.exact = false;
    this.pieces = [];
    this.piecesBytes = 0;
    this.elementOffset = this.offset;
    this.scanDepth = 0;
    this.scanInString = false;
    this.scanEscaped = false;
    this.scanFlags = 0;
    this.scanToken = 0;
    this.scanPairs = 0;
  }

  /**
   * Scans the fast element from `chunk[from]` (at body offset `this.offset`): the index of the byte that
   * closes it, or -1 when the chunk ends first. Locals only, and a string's bytes skipped in an inner loop
   * that looks for nothing but its end: this is where the body's bytes go by.
   */
  private scan(chunk: Uint8Array, from: number): number {
    const base = this.offset - from; // the body offset of chunk[0]
    const maxDepth = this.limits.maxDepth;
    const maxString = this.limits.maxStringBytes;
    const n = chunk.length;
    let depth = this.scanDepth;
    let inString = this.scanInString;
    let stringStart = this.scanStringStart;
    let flags = this.scanFlags;
    let token = this.scanToken;
    let pairs = this.scanPairs;
    let end = -1;
    let i = from;
    if (this.scanEscaped) i++; // the escaped byte was the first of this chunk
    let escaped = false;
    while (i < n) {
      if (inString) {
        let byte = 0;
        while (i < n) {
          byte = chunk[i];
          if (byte === QUOTE || byte === BACKSLASH) break;
          i++;
        }
        if (i >= n) break;
        if (byte === QUOTE) {
          inString = false;
          if (base + i - stringStart - 1 > maxString) flags |= OVER_LIMIT;
          i++;
        } else {
          flags |= ESCAPED;
          if (i + 1 < n) i += 2;
          else {
            escaped = true;
            i++;
          }
        }
        continue;
      }
      const byte = chunk[i];
      if (byte === QUOTE) {
        inString = true;
        stringStart = base + i;
        token = 0;
      } else if (byte === 0x7b || byte === 0x5b) {
        if (++depth > maxDepth) flags |= OVER_LIMIT;
        token = 0;
      } else if (byte === 0x7d || byte === 0x5d) {
        token = 0;
        if (--depth === 0) {
          end = i;
          break;
        }
      } else if (byte === 0x3a) {
        token = 0;
        pairs++;
      } else if (byte === 0x2c || byte === 0x20 || byte === 0x09) {
        token = 0;
      } else if (byte === 0x0a || byte === 0x0d) {
        token = 0;
        flags |= NOT_VERBATIM;
      } else if (++token > LONGEST_EXACT_NUMBER) {
        flags |= NOT_VERBATIM;
        // The exact splitter checks a bare token by its first LONGEST_TOKEN bytes: it decides this one.
        if (token > LONGEST_TOKEN) flags |= OVER_LIMIT;
      }
      i++;
    }
    this.scanDepth = depth;
    this.scanInString = inString;
    this.scanEscaped = escaped;
    this.scanStringStart = stringStart;
    this.scanFlags = flags;
    this.scanToken = token;
    this.scanPairs = pairs;
    return end;
  }

  /** The fast element ending with `last`, parsed, or undefined when the exact splitter must read it. */
  private accept(last: Uint8Array): JsonArrayElement | undefined {
    const flags = this.scanFlags;
    if (flags & OVER_LIMIT || this.piecesBytes + last.length > this.limits.maxRecordBytes) return undefined;
    const bytes =
      this.pieces.length === 0
        ? Buffer.from(last.buffer, last.byteOffset, last.length)
        : Buffer.concat([...this.pieces, last]);
    if (!isUtf8(bytes)) return undefined;
    const text = bytes.toString('utf8');
    if (flags & ESCAPED && SURROGATE_ESCAPE.test(text)) return undefined;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return undefined;
    }
    this.pieces = [];
    this.piecesBytes = 0;
    this.top = Top.AfterElement;
    // The text is the record (see JsonArrayElement.raw) when it is one line, has no long number, and no key
    // was lost to a duplicate (JSON.parse keeps the last; a reader of the text might keep the first).
    const verbatim = (flags & NOT_VERBATIM) === 0 && keyCount(value) === this.scanPairs;
    return verbatim ? { position: this.position++, value, raw: text } : { position: this.position++, value };
  }

  /**
   * Hands the fast element to the exact splitter from its first byte: the pieces kept, then `last` (which
   * ends where the element does) if given. The exact splitter sees the same bytes at the same offsets and
   * chunk ends as if it had read them itself; it finishes the element in `last`, or reads on from the next
   * chunk.
   */
  private replay(last: Uint8Array | undefined, out: JsonArrayElement[]): void {
    const pieces = last === undefined ? this.pieces : [...this.pieces, last];
    this.pieces = [];
    this.piecesBytes = 0;
    this.exact = true;
    this.top = Top.BeforeElement;
    this.offset = this.elementOffset;
    for (const piece of pieces) this.pushFrom(piece, 0, out, false);
  }
}

/** The keys of every object in a parsed JSON value. */
function keyCount(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0;
  let count = 0;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) count += keyCount(value[i]);
    return count;
  }
  for (const key in value) count += 1 + keyCount((value as Record<string, unknown>)[key]);
  return count;
}
