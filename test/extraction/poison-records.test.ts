/**
 * Issue 13, point 5: a poisoned record (NaN, absurd nesting, a huge string, invalid unicode) is quarantined
 * with what and where, the rest of the day lands; a body broken beyond one element and configuration,
 * TLS and DNS failures fail at once, named; only transient failures are retried.
 */
import { runExtractApi } from '../../lambdas/extract-api/extract-api';
import type { FetchLike } from '../../lambdas/shared/http';
import { JsonArraySplitter, type JsonArrayElement } from '../../lambdas/shared/json-array-elements';
import { landingDataKey, quarantineKey } from '../../lambdas/shared/landing-keys';
import { classifyNetworkFailure } from '../../lambdas/shared/retry';
import { classifyPgFailure } from '../../lambdas/shared/pg-failures';
import { failureOf, noSleep, readJsonLines, scriptedFetch, session, storePerTest } from './helpers';

const RUN_DATE = '2020-02-01';
const API = 'http://api.test/v1';
const event = { run_date: RUN_DATE, entity: 'sessions' };

const fixture = storePerTest();
const extract = (fetch: FetchLike) =>
  runExtractApi(event, { store: fixture.store, apiBaseUrl: API, fetch, sleep: noSleep });

/** A fetch answering every call with these bytes, in chunks of `size` (elements and sequences get split). */
function bytesFetch(body: Buffer, size = 7): FetchLike & { calls: string[] } {
  const calls: string[] = [];
  const fetchFn: FetchLike = async (url) => {
    calls.push(url);
    let offset = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (offset >= body.length) return controller.close();
        controller.enqueue(new Uint8Array(body.subarray(offset, offset + size)));
        offset += size;
        return undefined;
      },
    });
    return new Response(stream, { status: 200 });
  };
  return Object.assign(fetchFn, { calls });
}

/** `[good0, <poison>, good1]` as bytes, the poison given as raw bytes. */
function bodyWith(poison: Buffer, good = [session(), session()]): Buffer {
  return Buffer.concat([
    Buffer.from(`[${JSON.stringify(good[0])},`),
    poison,
    Buffer.from(`,${JSON.stringify(good[1])}]`),
  ]);
}

function split(body: Buffer, limits = {}, size = 5): JsonArrayElement[] {
  const splitter = new JsonArraySplitter(limits);
  const out: JsonArrayElement[] = [];
  for (let i = 0; i < body.length; i += size) out.push(...splitter.push(body.subarray(i, i + size)));
  out.push(...splitter.end());
  return out;
}

const item = (session().session_items as Record<string, unknown>[])[0];
const text = (value: unknown) => Buffer.from(JSON.stringify(value));

describe('poisoned records are quarantined with what and where; the rest lands', () => {
  const cases: [string, Buffer, RegExp][] = [
    [
      'NaN',
      Buffer.from(
        JSON.stringify(session({ session_items: [item, { ...item, price: 0.5 }] })).replace('0.5', 'NaN'),
      ),
      /^unparsable: NaN is not a JSON number at session_items\.1\.price \(body byte \d+\)$/,
    ],
    [
      '-Infinity',
      Buffer.from(`{"user_id": -Infinity}`),
      /^unparsable: -Infinity is not a JSON number at user_id/,
    ],
    [
      'absurd nesting',
      Buffer.from(`{"user_agent": ${'['.repeat(40)}${']'.repeat(40)}}`),
      /^unparsable: nested deeper than 32 levels at user_agent(\.0)+ \(body byte \d+\)$/,
    ],
    [
      'a huge string',
      text(session({ user_agent: 'x'.repeat(70_000) })),
      /^unparsable: a string is longer than 65536 bytes at user_agent/,
    ],
    [
      'a lone surrogate escape',
      Buffer.from(JSON.stringify(session({ user_agent: 'AB' })).replace('"AB"', '"A\\ud800B"')),
      /^unparsable: invalid unicode: lone surrogate .* at user_agent/,
    ],
    [
      'a lone low surrogate escape',
      Buffer.from(JSON.stringify(session({ user_agent: 'AB' })).replace('"AB"', '"A\\udc00"')),
      /^unparsable: invalid unicode: lone surrogate \(\\udc00\) at user_agent/,
    ],
    [
      'invalid UTF-8 bytes',
      Buffer.concat([
        Buffer.from(JSON.stringify(session({ user_agent: 'A' })).split('"A"')[0] + '"A'),
        Buffer.from([0xc3, 0x28, 0xff]),
        Buffer.from('"' + JSON.stringify(session({ user_agent: 'A' })).split('"A"')[1]),
      ]),
      /^unparsable: invalid UTF-8 \(byte "\("\) at user_agent/,
    ],
    [
      'an encoded UTF-16 surrogate (CESU-8)',
      Buffer.concat([Buffer.from('{"user_agent": "'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}')]),
      /^unparsable: invalid UTF-8 .* at user_agent/,
    ],
    ['a syntax error inside the element', Buffer.from('{"user_id" 1}'), /^unparsable: .*JSON/],
  ];

  it.each(cases)('%s', async (_name, poison, reason) => {
    const good = [session(), session()];
    const fetch = bytesFetch(bodyWith(poison, good));
    const result = await extract(fetch);
    expect(fetch.calls).toHaveLength(1);
    expect(result).toMatchObject({ records: 2, rejected: 1 });
    expect(await readJsonLines(fixture.store, landingDataKey('sessions', RUN_DATE))).toEqual(good);
    const [entry] = (await readJsonLines(fixture.store, quarantineKey('sessions', RUN_DATE))) as {
      reason: string;
      record: unknown;
      position: number;
    }[];
    expect(entry.position).toBe(1);
    expect(entry.reason).toMatch(reason);
    expect(typeof entry.record).toBe('string'); // the raw text (its first KiB), never a guess at a value
  });

  it('a record over the byte limit is quarantined without being kept whole', () => {
    const big = text({ user_agent: Array.from({ length: 2000 }, () => 'y'.repeat(600)) });
    const elements = split(Buffer.concat([Buffer.from('['), big, Buffer.from(',1]')]), {}, 4096);
    expect(elements).toHaveLength(2);
    expect(elements[0].rejected).toMatch(/^unparsable: the record is larger than 1048576 bytes/);
    expect((elements[0].value as string).length).toBeLessThanOrEqual(1024);
    expect(elements[1]).toEqual({ position: 1, value: 1 });
  });

  it('limits are configurable and the clean elements parse as JSON.parse does, whatever the chunking', () => {
    const values = [{ a: [1, { b: 'é\u{1F600}"\\' }] }, 'str"ing', 12.5e-3, true, null, [], {}];
    const body = Buffer.from(` \n[ ${values.map((v) => JSON.stringify(v)).join(' ,\n')} ] \n`);
    for (const size of [1, 2, 3, 1000]) {
      expect(split(body, {}, size).map((e) => e.value)).toEqual(values);
    }
    expect(split(Buffer.from('[[[1]], [[[[2]]]]]'), { maxDepth: 3 }).map((e) => e.rejected)).toEqual([
      undefined,
      expect.stringMatching(/^unparsable: nested deeper than 3 levels at 0\.0\.0 /),
    ]);
  });
});

describe('a body broken beyond one element fails at once, naming the byte offset', () => {
  it.each([
    [
      'a bracket closing the wrong container',
      '[{"a": [1}, 2]',
      /at byte 9: "}" closes an array in element 0 at a/,
    ],
    ['garbage between elements', '[{"a": 1} x {"b": 2}]', /at byte 10: expected "," or "]" after element 0/],
    ['data after the array', '[1, 2] [3]', /at byte 7: found "\[" after the closing "\]"/],
  ])('%s', async (_name, body, message) => {
    const fetch = bytesFetch(Buffer.from(body));
    const error = await failureOf(extract(fetch));
    expect(fetch.calls).toHaveLength(1);
    expect(error.message).toMatch(/failed on attempt 1 with a non-retryable malformed body/);
    expect(error.message).toMatch(message);
  });

  it('a body that ends before its "]" is a cut transfer: retried', async () => {
    const fetch = scriptedFetch([{ chunks: ['[1, 2'] }, { chunks: ['[]'] }]);
    const result = await extract(fetch);
    expect(fetch.calls).toHaveLength(2);
    expect(result.rejected).toBe(0);
  });
});

describe('only transient failures are retried', () => {
  const withCause = (message: string, code: string) =>
    Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error(message), { code }) });

  it.each([
    [
      'an expired certificate',
      withCause('certificate has expired', 'CERT_HAS_EXPIRED'),
      /TLS error CERT_HAS_EXPIRED/,
    ],
    [
      'a self-signed certificate',
      withCause('self-signed certificate', 'DEPTH_ZERO_SELF_SIGNED_CERT'),
      /TLS error DEPTH_ZERO_SELF_SIGNED_CERT/,
    ],
    [
      'a host name mismatch',
      withCause("Hostname/IP does not match certificate's altnames", 'ERR_TLS_CERT_ALTNAME_INVALID'),
      /TLS error ERR_TLS_CERT_ALTNAME_INVALID/,
    ],
    [
      'an unknown chain',
      withCause('unable to verify the first certificate', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'),
      /TLS error UNABLE_TO_VERIFY_LEAF_SIGNATURE/,
    ],
    [
      'a host that does not resolve',
      withCause('getaddrinfo ENOTFOUND api.test', 'ENOTFOUND'),
      /DNS error ENOTFOUND/,
    ],
    [
      'a scheme fetch cannot use',
      Object.assign(new TypeError('fetch failed'), { cause: new Error('unknown scheme') }),
      /configuration error/,
    ],
    ['an unrecognised error', new Error('something else'), /unrecognised error/],
  ])('%s fails at once, naming the cause', async (_name, reject, kind) => {
    const fetch = scriptedFetch([{ reject }]);
    const error = await failureOf(extract(fetch));
    expect(fetch.calls).toHaveLength(1);
    expect(error.message).toMatch(/failed on attempt 1 with a non-retryable /);
    expect(error.message).toMatch(kind);
  });

  it.each([
    ['a temporary DNS failure', withCause('getaddrinfo EAI_AGAIN api.test', 'EAI_AGAIN')],
    ['a refused connection', withCause('connect ECONNREFUSED', 'ECONNREFUSED')],
    ['a connect timeout', withCause('Connect Timeout Error', 'UND_ERR_CONNECT_TIMEOUT')],
    ['a socket closed by the server', withCause('other side closed', 'UND_ERR_SOCKET')],
  ])('%s is retried', async (_name, reject) => {
    const fetch = scriptedFetch([{ reject }, { chunks: ['[]'] }]);
    await extract(fetch);
    expect(fetch.calls).toHaveLength(2);
  });

  it('a 400 is not retried; 408, 429 and 5xx are', async () => {
    for (const [status, calls] of [
      [400, 1],
      [403, 1],
      [408, 2],
      [429, 2],
      [502, 2],
    ]) {
      const fetch = scriptedFetch([{ status, chunks: ['{}'] }, { chunks: ['[]'] }]);
      await extract(fetch).catch(() => undefined);
      expect([status, fetch.calls.length]).toEqual([status, calls]);
    }
  });

  it('the database extractor uses the same classifier past SQLSTATEs', () => {
    const tls = Object.assign(new Error('self-signed certificate'), { code: 'SELF_SIGNED_CERT_IN_CHAIN' });
    expect(classifyPgFailure(tls)).toEqual(classifyNetworkFailure(tls));
    expect(classifyPgFailure(tls).retryable).toBe(false);
    expect(classifyPgFailure(Object.assign(new Error('x'), { code: 'ENOTFOUND' })).retryable).toBe(false);
    expect(classifyPgFailure(Object.assign(new Error('x'), { code: 'EPIPE' })).retryable).toBe(true);
    expect(classifyPgFailure(Object.assign(new Error('x'), { code: '57P01' })).retryable).toBe(true);
    expect(classifyPgFailure(Object.assign(new Error('x'), { code: '42P01' }))).toEqual({
      retryable: false,
      kind: 'database error SQLSTATE 42P01',
    });
    expect(classifyPgFailure(new Error('Connection terminated unexpectedly')).retryable).toBe(true);
  });
});
