/**
 * Purchase sessions. The sessions of a day depend only on (seed, day, scale): their number (weekday and a
 * per-day swing), their times (a daily curve, in time order) and each session's content come from hashes
 * of those coordinates, so any request window regenerates exactly the same records, one at a time. The
 * record shapes (timestamps, later likes, artist spellings, new users buying at once) are the users'
 * `SourceShapes` (shapes.ts).
 */
import type { SessionItem, SessionRecord } from '../../../lambdas/shared/contracts';
import type { Catalog, CatalogSong } from './catalog';
import { USER_AGENTS, USER_AGENT_WEIGHTS } from './names';
import { Rng, cumulativeWeights, dayIndexKey, mix, tag, unit, zipfRank } from './random';
import { SourceShapes } from './shapes';
import { DAY_MS } from './time';
import type { UserBase } from './users';

const SESSION = tag('session');
const START = tag('session start');
const LIKED = tag('liked since');
const DAY = tag('day');
const HOUR_MS = 3_600_000;

/** Items per session: 1 to 10, most sessions buy one to three songs. */
const ITEM_COUNTS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] as const;
const ITEM_COUNT_WEIGHTS = [35, 25, 15, 10, 6, 4, 2, 1.5, 1, 0.5];
const ITEM_COUNT_CUMULATIVE = cumulativeWeights(ITEM_COUNT_WEIGHTS);
export const MEAN_ITEMS_PER_SESSION =
  ITEM_COUNT_WEIGHTS.reduce((sum, weight, i) => sum + weight * ITEM_COUNTS[i], 0) /
  ITEM_COUNT_WEIGHTS.reduce((sum, weight) => sum + weight, 0);

/** Share of the day's sessions per UTC hour (a global audience, busiest in the European evening). */
const HOUR_WEIGHTS = [2, 1.5, 1, 1, 1, 1.5, 2, 3, 4, 5, 5, 5.5, 6, 6, 6, 6, 6.5, 7, 7.5, 8, 7.5, 6, 4.5, 3];
const AGENT_CUMULATIVE = cumulativeWeights(USER_AGENT_WEIGHTS);
const LIKED_PROBABILITY = 0.3;
const DISCOUNT_PROBABILITY = 0.08;
const MAX_LIKED_AGE_MS = 2 * 365 * DAY_MS;

/** A generated session with what `_truth` needs about it. */
export interface GeneratedSession {
  /** Index of the session within its day (time order). */
  index: number;
  /** The buyer's user index (UserBase). */
  userIndex: number;
  record: SessionRecord;
  /** Items whose artist name is served in another spelling than the catalog's. */
  artistSpellings: number;
  revenueCents: number;
}

export class SessionGenerator {
  private readonly hotSongs: CatalogSong[] = [];

  constructor(
    readonly seed: number,
    readonly catalog: Catalog,
    readonly users: UserBase,
    readonly itemsPerDay: number,
  ) {}

  /** How many session slots the day has (a slot before the first sign-up yields no session). */
  slotsOfDay(day: number): number {
    return dailyVolume(day, this.itemsPerDay / MEAN_ITEMS_PER_SESSION, 1.15, mix(this.seed, DAY, day));
  }

  /** The day's sessions in time order, generated one at a time. */
  *sessionsOfDay(day: number): Generator<GeneratedSession> {
    const slots = this.slotsOfDay(day);
    const perHour = splitByWeights(slots, HOUR_WEIGHTS);
    let index = 0;
    for (let hour = 0; hour < 24; hour++) {
      const count = perHour[hour];
      for (let k = 0; k < count; k++, index++) {
        const rng = new Rng(mix(this.seed, SESSION, day, index));
        const startMs = day * DAY_MS + hour * HOUR_MS + Math.floor(((k + rng.next()) / count) * HOUR_MS);
        const session = this.session(rng, day, index, Math.floor(startMs / 1000) * 1000);
        if (session) yield session;
      }
    }
  }

  private session(rng: Rng, day: number, index: number, startMs: number): GeneratedSession | undefined {
    const existingUsers = this.users.countAt(startMs);
    if (existingUsers === 0) return undefined;
    const shapes = this.users.shapes;
    // Long-standing users buy a little more often than new ones; with the real shapes, users who just
    // signed up buy too (before their profile may be recorded).
    const drawn = Math.min(existingUsers - 1, Math.floor(existingUsers * Math.pow(rng.next(), 1.3)));
    const recent = this.users.countAt(SourceShapes.freshSince(startMs));
    const userIndex = shapes.freshBuyer(day, index, recent, existingUsers) ?? drawn;
    const userSinceMs = this.users.userSince(userIndex);
    const sessionId = rng.keyedUuid(dayIndexKey(day, index));
    const itemCount = rng.pickWeighted(ITEM_COUNTS, ITEM_COUNT_CUMULATIVE);
    const items: SessionItem[] = [];
    let revenueCents = 0;
    let artistSpellings = 0;
    for (let i = 0; i < itemCount; i++) {
      const song = this.song(zipfRank(rng.next(), this.catalog.size));
      const price = rng.chance(DISCOUNT_PROBABILITY) ? 0.33 : song.price;
      const liked = rng.chance(LIKED_PROBABILITY);
      const likedFrom = Math.max(userSinceMs, startMs - MAX_LIKED_AGE_MS);
      const likedSince = liked
        ? shapes.timestamp(
            shapes.likedSinceMs(likedFrom + rng.next() * (startMs - likedFrom), startMs, day, index, i),
            LIKED,
            day,
            index,
            i,
          )
        : null;
      revenueCents += Math.round(price * 100);
      const artistName = shapes.artistSpelling(song.artist_name ?? '', day, index, i);
      if (artistName !== (song.artist_name ?? '')) artistSpellings++;
      items.push({
        song_id: song.track_id,
        song_name: song.title ?? '',
        artist_id: song.artist_id,
        artist_name: artistName,
        price,
        currency: 'USD',
        liked,
        liked_since: likedSince,
      });
    }
    return {
      index,
      userIndex,
      revenueCents,
      artistSpellings,
      record: {
        user_id: this.users.userId(userIndex),
        session_id: sessionId,
        session_items: items,
        user_agent: rng.pickWeighted(USER_AGENTS, AGENT_CUMULATIVE),
        session_start_time: shapes.timestamp(startMs, START, day, index),
      },
    };
  }

  /** Catalog songs, the most popular few thousand cached (Zipf: they are most of the draws). */
  private song(rank: number): CatalogSong {
    if (rank >= 4096) return this.catalog.song(rank);
    return (this.hotSongs[rank] ??= this.catalog.song(rank));
  }
}

/**
 * A day's volume around `base`: times `weekendFactor` on Saturdays and Sundays, times a swing in
 * [0.93, 1.07) drawn from `swingHash` (a hash of the seed and the day), so days differ but stay near `base`.
 */
export function dailyVolume(day: number, base: number, weekendFactor: number, swingHash: number): number {
  const weekday = new Date(day * DAY_MS).getUTCDay();
  const factor = weekday === 0 || weekday === 6 ? weekendFactor : 1;
  return Math.round(base * factor * (0.93 + 0.14 * unit(swingHash)));
}

/** Splits `total` into integer parts proportional to `weights` (largest remainder, ties to the earlier). */
export function splitByWeights(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  const exact = weights.map((weight) => (total * weight) / sum);
  const parts = exact.map(Math.floor);
  let remaining = total - parts.reduce((a, b) => a + b, 0);
  const order = exact.map((value, i) => ({ i, fraction: value - Math.floor(value) }));
  order.sort((a, b) => b.fraction - a.fraction || a.i - b.i);
  for (const { i } of order) {
    if (remaining-- <= 0) break;
    parts[i]++;
  }
  return parts;
}
