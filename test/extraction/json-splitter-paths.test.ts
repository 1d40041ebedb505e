/**
 * The JSON array splitter's fast path (a structural scan, then JSON.parse and bulk checks) must behave
 * exactly as the byte-by-byte splitter it falls back to: same elements, same rejection reasons with the
 * same field paths and body offsets, same body errors. Bodies are mutated at random (seeded, so a failure
 * reproduces) with the bytes that matter to JSON and UTF-8, and split at many chunk sizes.
 */
import {
  ExactJsonArraySplitter,
  JsonArraySplitter,
  type JsonArrayElement,
  type JsonElementLimits,
} from '../../lambdas/shared/json-array-elements';
import { session } from './helpers';

interface Outcome {
  readonly elements: JsonArrayElement[];
  readonly error?: string;
}

function run(splitter: ExactJsonArraySplitter, body: Buffer, size: number): Outcome {
  const elements: JsonArrayElement[] = [];
  const collect = (out: JsonArrayElement[]) => {
    for (const { raw, ...element } of out) {
      // The text a landing line may use instead of JSON.stringify must stand for the same value.
      if (raw !== undefined) {
        expect(raw).not.toMatch(/[\n\r]/);
        expect(JSON.parse(raw)).toEqual(element.value);
      }
      elements.push(element as JsonArrayElement);
    }
  };
  try {
    for (let i = 0; i < body.length; i += size) collect(splitter.push(body.subarray(i, i + size)));
    collect(splitter.end());
    return { elements };
  } catch (error: unknown) {
    return { elements, error: `${(error as Error).name}: ${(error as Error).message}` };
  }
}

/** xorshift32: deterministic, so a failing body can be rebuilt from its seed. */
function random(seed: number): () => number {
  let state = seed || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
}

const INTERESTING = [
  ...'"\\{}[],: \n\tu0123456789abcdefABCDEF-+.eENaIfinty'.split('').map((c) => Buffer.from(c)),
  Buffer.from([0x80]),
  Buffer.from([0xff]),
  Buffer.from([0xc3]),
  Buffer.from([0xc3, 0xa9]),
  Buffer.from([0xed, 0xa0, 0x80]),
  Buffer.from([0xf0, 0x9f, 0x8e]),
  Buffer.from('\\ud800'),
  Buffer.from('\\udc00'),
  Buffer.from('\\ud83d\\ude00'),
  Buffer.from('x'.repeat(40)),
  Buffer.from('1'.repeat(70)),
  Buffer.from('[[[[[['),
  Buffer.from(']]]'),
  Buffer.from('{"k":'),
  Buffer.from('NaN'),
];

function mutate(body: Buffer, next: () => number): Buffer {
  let out = body;
  const edits = 1 + Math.floor(next() * 3);
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(next() * out.length);
    const piece = INTERESTING[Math.floor(next() * INTERESTING.length)];
    const removed = next() < 0.5 ? Math.floor(next() * 3) : 0;
    out = Buffer.concat([out.subarray(0, at), piece, out.subarray(at + removed)]);
  }
  return out;
}

const LIMITS: Partial<JsonElementLimits> = { maxDepth: 5, maxStringBytes: 48, maxRecordBytes: 600 };
const SIZES = [1, 3, 7, 64, 1000];

/** A body of sessions and other elements, some of them past LIMITS (depth, string bytes, record bytes). */
function records(next: () => number): Buffer {
  const values = Array.from({ length: 3 + Math.floor(next() * 4) }, (_, k) => {
    if (k % 4 === 2) return [k, 'é', { nested: [true, null] }];
    if (k % 4 === 3) {
      const depth = 2 + Math.floor(next() * 6);
      return { deep: JSON.parse('['.repeat(depth) + '1' + ']'.repeat(depth)), long: 'x'.repeat(next() * 70) };
    }
    const base = session({ user_agent: 'ü'.repeat(k * Math.floor(next() * 10)) });
    const items = base.session_items as unknown[];
    return { ...base, session_items: Array.from({ length: 1 + Math.floor(next() * 5) }, () => items[0]) };
  });
  return Buffer.from(JSON.stringify(values, null, next() < 0.3 ? 1 : undefined));
}

describe('the fast path behaves as the byte-by-byte splitter', () => {
  it('on clean bodies, at every chunk size', () => {
    const next = random(7);
    for (let round = 0; round < 20; round++) {
      const body = records(next);
      for (const size of SIZES) {
        const fast = run(new JsonArraySplitter(), body, size);
        expect(fast).toEqual(run(new ExactJsonArraySplitter(), body, size));
        expect(fast.error).toBeUndefined();
        expect(fast.elements.every((element) => element.rejected === undefined)).toBe(true);
      }
    }
  });

  it('on randomly poisoned bodies: same elements, reasons, offsets and body errors', () => {
    const next = random(2026);
    let rejected = 0;
    let failed = 0;
    for (let round = 0; round < 400; round++) {
      const body = mutate(records(next), next);
      for (const size of SIZES) {
        const fast = run(new JsonArraySplitter(LIMITS), body, size);
        const exact = run(new ExactJsonArraySplitter(LIMITS), body, size);
        const context = `seed 2026 round ${round}, chunks of ${size}: ${body.toString('latin1')}`;
        expect({ context, error: fast.error }).toEqual({ context, error: exact.error });
        if (exact.error === undefined) {
          expect({ context, elements: fast.elements }).toEqual({ context, elements: exact.elements });
        } else {
          // The byte-by-byte splitter throws as soon as it reads the broken byte, losing the elements its
          // last push had completed; the fast path throws at the end of the broken element. Before the
          // error both give the same elements.
          expect({ context, elements: fast.elements.slice(0, exact.elements.length) }).toEqual({
            context,
            elements: exact.elements,
          });
          failed++;
        }
        rejected += exact.elements.filter((element) => element.rejected !== undefined).length;
      }
    }
    // The mutations reach both kinds of outcome, or this test would prove little.
    expect(rejected).toBeGreaterThan(100);
    expect(failed).toBeGreaterThan(100);
  });

  it('a string past the limit in one run of plain bytes is reported at the byte past the limit', () => {
    const body = Buffer.from(`[{"a":"${'x'.repeat(30)}"}]`);
    const offset = body.indexOf('"x') + 1 + 20; // the 21st byte of the string
    for (const size of [1, 2, 5, 9, 100]) {
      const [element] = run(new JsonArraySplitter({ maxStringBytes: 20 }), body, size).elements;
      expect(element.rejected).toBe(
        `unparsable: a string is longer than 20 bytes at a (body byte ${offset})`,
      );
    }
  });

  it('a string of exactly the limit is within it, for both splitters', () => {
    const body = Buffer.from(`[{"a":"${'x'.repeat(20)}","${'k'.repeat(20)}":1}]`);
    for (const splitter of [
      new JsonArraySplitter({ maxStringBytes: 20 }),
      new ExactJsonArraySplitter({ maxStringBytes: 20 }),
    ]) {
      expect(run(splitter, body, 3).elements).toEqual([
        { position: 0, value: { a: 'x'.repeat(20), ['k'.repeat(20)]: 1 } },
      ]);
    }
  });

  it('gives the element text for the landing line only when it is one line that stands for the value', () => {
    const texts = (body: string) =>
      new JsonArraySplitter().push(Buffer.from(body)).map((element) => element.raw);
    expect(texts('[{"a":1,"b":[2,{"c":"\\u00e9"}]}, {"a" : 1}]')).toEqual([
      '{"a":1,"b":[2,{"c":"\\u00e9"}]}',
      '{"a" : 1}',
    ]);
    // A duplicate key (JSON.parse keeps the last, another reader may keep the first), a line break, an
    // integer past a double's precision: the value is written as JSON.stringify gives it.
    expect(texts('[{"a":1,"a":2},{"a":\n1},{"a":12345678901234567890},{"a":123456789012345}]')).toEqual([
      undefined,
      undefined,
      undefined,
      '{"a":123456789012345}',
    ]);
  });
});
