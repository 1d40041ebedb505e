/**
 * The local Firehose stand-in (docs/listening-events.md, Delivery and Local): writes the listening events
 * into the landing zone as the delivery stream would, one gzipped JSON-lines object per 15 minutes of
 * arrival, under the arrival hour, with a deterministic name and shuffled lines. Delivering again skips
 * the objects already there (they would be the same bytes), so a run of many dates, each delivering up to
 * the end of its window, stays linear.
 */
import { constants, gzipSync } from 'node:zlib';
import { LISTENS_LANDING_PREFIXES } from '../../../lambdas/shared/landing-keys';
import type { ObjectStore } from '../../../lambdas/shared/object-store';
import { LocalObjectStore } from '../adapters/local-object-store';
import { Rng, mix, tag } from './random';
import { DAY_MS } from './time';
import type { SimulatedWorld } from './world';

// Firehose's data prefix (LISTENS_LANDING_PREFIXES.data), its `!{timestamp:...}` parts filled in by the
// arrival time; the stand-in delivers no errors (every record is a valid JSON line).
/** Object names start `<stream name>-<version>-`, as Firehose names them. */
export const LISTENS_STREAM_NAME = 'deftunes-listens';
export const LISTENS_STREAM_VERSION = 1;
/** Firehose flushes one object per buffering interval; the stand-in uses 15 minutes of arrival. */
export const ARRIVAL_INTERVAL_MS = 15 * 60_000;
/** Where delivery starts when no `from` is given: this long before the start of `until`'s day. */
const DEFAULT_LOOK_BACK_MS = 3 * DAY_MS;
const OBJECT = tag('firehose object');
const SHUFFLE = tag('firehose shuffle');

export interface DeliverListensOptions {
  /** Deliver every object whose arrival interval ends at or before this time (ISO text, Date or ms). */
  until: string | Date | number;
  /**
   * Deliver the intervals from this time on (rounded down to an interval).
   * @default 3 days before the start of `until`'s (UTC) day
   */
  from?: string | Date | number;
}

export interface DeliveryReport {
  /** The arrival intervals looked at: [from, until), ISO. */
  from: string;
  until: string;
  /** Objects written now. */
  written: number;
  /** Objects already there (delivered before). */
  skipped: number;
  /** Lines in the objects written now. */
  lines: number;
  /** Gzipped bytes written now. */
  bytes: number;
  ms: number;
}

/** The landing key of the object of arrival interval `interval` (interval start / ARRIVAL_INTERVAL_MS). */
export function listensObjectKey(seed: number, interval: number): string {
  const start = new Date(interval * ARRIVAL_INTERVAL_MS).toISOString();
  const date = start.slice(0, 10);
  const hour = start.slice(11, 13);
  const stamp = `${date}-${hour}-${start.slice(14, 16)}-${start.slice(17, 19)}`;
  const uuid = new Rng(mix(seed, OBJECT, interval)).uuid();
  return (
    `${LISTENS_LANDING_PREFIXES.data}/arrived_on=${date}/hour=${hour}/` +
    `${LISTENS_STREAM_NAME}-${LISTENS_STREAM_VERSION}-${stamp}-${uuid}.jsonl.gz`
  );
}

/** The object body of interval `interval`: its lines shuffled (deterministically), newline-terminated, gzipped. */
export function listensObjectBody(seed: number, interval: number, lines: string[]): Buffer {
  const shuffled = [...lines];
  const rng = new Rng(mix(seed, SHUFFLE, interval));
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
  }
  // The fastest level: the stand-in need not compress as Firehose does, only the same way every time.
  return gzipSync(`${shuffled.join('\n')}\n`, { level: constants.Z_BEST_SPEED });
}

/**
 * Writes every listens object whose arrival interval ends at or before `until` (and starts at or after
 * `from`) and is not in `landing` yet. Only the plays that can arrive in the missing intervals are
 * generated; an interval without arrivals has no object (a quiet hour, as with Firehose).
 */
export async function deliverListens(
  world: SimulatedWorld,
  landing: ObjectStore | string,
  options: DeliverListensOptions,
): Promise<DeliveryReport> {
  const started = Date.now();
  const store = typeof landing === 'string' ? new LocalObjectStore(landing) : landing;
  const untilMs = instantOf(options.until, 'until');
  const fromMs =
    options.from === undefined
      ? Math.floor(untilMs / DAY_MS) * DAY_MS - DEFAULT_LOOK_BACK_MS
      : instantOf(options.from, 'from');
  const first = Math.floor(fromMs / ARRIVAL_INTERVAL_MS);
  const end = Math.floor(untilMs / ARRIVAL_INTERVAL_MS); // intervals [first, end) have ended by until
  const report: DeliveryReport = {
    from: new Date(first * ARRIVAL_INTERVAL_MS).toISOString(),
    until: new Date(untilMs).toISOString(),
    written: 0,
    skipped: 0,
    lines: 0,
    bytes: 0,
    ms: 0,
  };
  const missing: number[] = [];
  for (let interval = first; interval < end; interval++) {
    if (await store.exists(listensObjectKey(world.seed, interval))) report.skipped++;
    else missing.push(interval);
  }
  if (missing.length > 0) {
    const buckets = new Map<number, string[]>(missing.map((interval) => [interval, []]));
    const arrivals = world.listens.stream.arrivingBetween(
      missing[0] * ARRIVAL_INTERVAL_MS,
      (missing[missing.length - 1] + 1) * ARRIVAL_INTERVAL_MS,
    );
    for (const { arrivalMs, line } of arrivals) {
      buckets.get(Math.floor(arrivalMs / ARRIVAL_INTERVAL_MS))?.push(line);
    }
    for (const [interval, lines] of buckets) {
      if (lines.length === 0) continue;
      const body = listensObjectBody(world.seed, interval, lines);
      await store.putObject(listensObjectKey(world.seed, interval), body, {
        contentType: 'application/x-ndjson',
        contentEncoding: 'gzip',
      });
      report.written++;
      report.lines += lines.length;
      report.bytes += body.length;
    }
  }
  report.ms = Date.now() - started;
  return report;
}

/** The arrival hour (ms) of a listens object key, from its `arrived_on` and `hour` only, as the transform reads it. */
export function arrivalHourOfKey(key: string): number {
  const match = /\/arrived_on=(\d{4}-\d{2}-\d{2})\/hour=(\d{2})\//.exec(key);
  if (!match) throw new Error(`not a listens object key: ${key}`);
  return Date.parse(`${match[1]}T${match[2]}:00:00Z`);
}

/** An instant given as ISO text, a Date or ms since the epoch. */
export function instantOf(value: string | Date | number, name: string): number {
  const ms = value instanceof Date ? value.getTime() : typeof value === 'number' ? value : Date.parse(value);
  if (!Number.isFinite(ms))
    throw new Error(`${name} must be a time (ISO 8601); got ${JSON.stringify(value)}`);
  return ms;
}
