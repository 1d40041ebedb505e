/** Test helpers for the extraction tests: records, fake HTTP responses, reading landed objects. */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { FetchLike } from '../../lambdas/shared/http';
import { LocalObjectStore } from '../../lib/local/adapters/local-object-store';
import type { ObjectStore } from '../../lambdas/shared/object-store';

export function session(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    user_id: randomUUID(),
    session_id: randomUUID(),
    session_items: [
      {
        song_id: 'TRAAAAW128F429D538',
        song_name: 'Something',
        artist_id: 'ARD7TVE1187B99BFB1',
        artist_name: 'Someone',
        price: 0.89,
        currency: 'USD',
        liked: true,
        liked_since: '2020-01-15T10:00:00.000',
      },
    ],
    user_agent: 'Mozilla/5.0',
    session_start_time: '2020-02-01T12:34:56.000',
    ...overrides,
  };
}

export function user(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    user_id: randomUUID(),
    user_name: 'Ada',
    user_lastname: 'Lovelace',
    user_location: ['51.5', '-0.12', 'London', 'GB', 'Europe/London'],
    user_since: '2019-05-01T08:00:00.000',
    ...overrides,
  };
}

export interface FakeResponse {
  readonly status?: number;
  readonly headers?: Record<string, string>;
  /** Body chunks, sent in order. */
  readonly chunks?: string[];
  /** When set, the body errors with this after the chunks (a connection reset mid-body). */
  readonly failAfterChunks?: Error;
  /** When set, fetch itself rejects with this (no response at all). */
  readonly reject?: Error;
  /** When true, the body stops sending after the chunks without ending (a stalled transfer). */
  readonly stall?: boolean;
  /** When true, fetch never answers (until aborted). */
  readonly hang?: boolean;
}

/** Splits a JSON text into `size`-character chunks, as a network would. */
export function chunked(text: string, size = 97): string[] {
  const chunks: string[] = [];
  for (let i = 0; i < text.length; i += size) chunks.push(text.slice(i, i + size));
  return chunks;
}

/**
 * A fetch that answers each call with the next scripted response (the last one repeats) and records the
 * URLs it was called with.
 */
export function scriptedFetch(responses: FakeResponse[]): FetchLike & { calls: string[] } {
  const calls: string[] = [];
  const fetchFn = async (url: string, init: { signal: AbortSignal }): Promise<Response> => {
    const script = responses[Math.min(calls.length, responses.length - 1)];
    calls.push(url);
    if (script.reject) throw script.reject;
    if (script.hang) {
      return new Promise<Response>((_resolve, reject) => {
        init.signal.addEventListener('abort', () => reject(init.signal.reason), { once: true });
      });
    }
    const encoder = new TextEncoder();
    const chunks = [...(script.chunks ?? [])];
    const body = new ReadableStream<Uint8Array>({
      // Like undici: aborting the request errors the body.
      start(controller) {
        init.signal.addEventListener('abort', () => controller.error(init.signal.reason), { once: true });
      },
      pull(controller) {
        const next = chunks.shift();
        if (next !== undefined) {
          controller.enqueue(encoder.encode(next));
        } else if (script.failAfterChunks) {
          controller.error(script.failAfterChunks);
        } else if (script.stall) {
          return new Promise<void>((resolve) => {
            init.signal.addEventListener('abort', () => resolve());
          });
        } else {
          controller.close();
        }
        return undefined;
      },
    });
    return new Response(body, { status: script.status ?? 200, headers: script.headers });
  };
  return Object.assign(fetchFn, { calls });
}

export function connectionReset(): Error {
  return Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
}

/** The JSON lines of a gzipped object. */
export async function readJsonLines(store: ObjectStore, key: string): Promise<unknown[]> {
  const text = gunzipSync(await store.getObject(key)).toString('utf8');
  return text === ''
    ? []
    : text
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line) as unknown);
}

export function tempDir(prefix = 'deftunes-extract-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Every file under `dir`, relative, including hidden ones (to catch left-over temporary files). */
export function allFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (current: string, prefix: string): void => {
    for (const name of readdirSync(current)) {
      const full = path.join(current, name);
      if (statSync(full).isDirectory()) walk(full, `${prefix}${name}/`);
      else out.push(`${prefix}${name}`);
    }
  };
  walk(dir, '');
  return out.sort();
}

export const noSleep = async (): Promise<void> => undefined;

/** The error `promise` rejects with; fails the test when it resolves. */
export async function failureOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error: unknown) {
    return error as Error;
  }
  throw new Error('expected a rejection, but the promise resolved');
}

/** A fresh local landing store per test of the calling file (registers its own beforeEach/afterEach). */
export function storePerTest(): { readonly store: LocalObjectStore; readonly dir: string } {
  const current = {} as { store: LocalObjectStore; dir: string; cleanup: () => void };
  beforeEach(() => {
    const temp = tempDir();
    Object.assign(current, temp, { store: new LocalObjectStore(temp.dir) });
  });
  afterEach(() => current.cleanup());
  return current;
}
