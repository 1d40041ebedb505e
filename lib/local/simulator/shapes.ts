/**
 * The shapes of the real DeFtunes API's records, which the simulator serves by default (`tidy: false`):
 *
 * - timestamps without a UTC offset and with microseconds, `2020-02-07T18:05:25.824461`. They are UTC
 *   wall-clock times (the API's `start_date`/`end_date` windows are UTC days and the sessions of a UTC day
 *   fall in it), which is how the extractor's contract and the Glue jobs read a time without an offset;
 * - `liked_since` after the session, up to years later (a like renewed since: valid data, not an error);
 * - answers in no time order (days of a window newest first, records shuffled in blocks);
 * - one artist id under several name spellings across sessions (the catalog keeps the canonical one);
 * - users whose profile (`user_since`) is recorded days after their first purchases, and some who never get
 *   one: a buyer absent from the `/users` snapshot for days, or for good.
 *
 * `tidy: true` restores the shapes the simulator served before (offset `Z`, whole seconds, time order, one
 * spelling, profiles from the sign-up on) for tests that need them. Every decision is a hash of (seed, what
 * it is about), drawn apart from the record's own random stream, so the tidy records are unchanged and a
 * real-shaped record differs from its tidy twin only in these shapes.
 */
import { Rng, mix, tag, unit } from './random';
import { DAY_MS, isoSeconds } from './time';

const MICROS = tag('microseconds');
const PROFILE = tag('profile delay');
const SPELLING = tag('artist spelling');
const LIKED_LATER = tag('liked later');
const ORDER = tag('served order');
const FRESH = tag('fresh buyer');

/** Share of users who never get a profile in `/users` (their purchases stay with an inferred buyer). */
export const NO_PROFILE_SHARE = 0.03;
/** Share of users whose profile is recorded 1 to 6 days after they signed up (and may have bought). */
export const LATE_PROFILE_SHARE = 0.3;
export const MAX_PROFILE_DELAY_DAYS = 6;
/** Share of sessions bought by a user who signed up within the last week (new users buy at once). */
export const FRESH_BUYER_SHARE = 0.06;
const FRESH_DAYS = 7;
/** Share of liked items whose `liked_since` lies 1 to 4 years after the session. */
export const LIKED_LATER_SHARE = 0.2;
/** Share of session items whose artist name is served in another spelling than the catalog's. */
export const ARTIST_SPELLING_SHARE = 0.25;
/** Records are shuffled within blocks of this many (memory stays one block, never a whole answer). */
const ORDER_BLOCK = 64;

export class SourceShapes {
  constructor(
    readonly seed: number,
    /** Serve the tidy shapes instead of the real ones. */
    readonly tidy: boolean,
  ) {}

  /** A timestamp as the API serves it; `parts` identify the value (its microseconds are a hash of them). */
  timestamp(ms: number, ...parts: number[]): string {
    if (this.tidy) return isoSeconds(ms);
    const micros = Math.floor(unit(mix(this.seed, MICROS, ...parts)) * 1_000_000);
    return `${isoSeconds(ms).slice(0, 19)}.${String(micros).padStart(6, '0')}`;
  }

  /** How long after signing up user `index` gets a profile in `/users`: 0, some days, or never. */
  profileDelayMs(index: number): number {
    if (this.tidy) return 0;
    const draw = unit(mix(this.seed, PROFILE, index));
    if (draw < NO_PROFILE_SHARE) return Number.POSITIVE_INFINITY;
    if (draw >= NO_PROFILE_SHARE + LATE_PROFILE_SHARE) return 0;
    const days = 1 + unit(mix(this.seed, PROFILE, index, 1)) * (MAX_PROFILE_DELAY_DAYS - 1);
    return Math.floor((days * DAY_MS) / 1000) * 1000;
  }

  /**
   * The buyer of session `index` of `day` when it is a user who signed up within the last week (among
   * `recent` .. `existing - 1`), else undefined (the session's own draw picks the buyer).
   */
  freshBuyer(day: number, index: number, recent: number, existing: number): number | undefined {
    if (this.tidy || existing <= recent || unit(mix(this.seed, FRESH, day, index)) >= FRESH_BUYER_SHARE)
      return undefined;
    return recent + Math.floor(unit(mix(this.seed, FRESH, day, index, 1)) * (existing - recent));
  }

  /** The first sign-up time that counts as recent for a session at `startMs`. */
  static freshSince(startMs: number): number {
    return startMs - FRESH_DAYS * DAY_MS;
  }

  /** `liked_since` of a liked item: as drawn (before the session), or 1 to 4 years after the session. */
  likedSinceMs(drawnMs: number, startMs: number, day: number, index: number, item: number): number {
    if (this.tidy || unit(mix(this.seed, LIKED_LATER, day, index, item)) >= LIKED_LATER_SHARE) return drawnMs;
    const years = 1 + 3 * unit(mix(this.seed, LIKED_LATER, day, index, item, 1));
    return startMs + Math.floor((years * 365 * DAY_MS) / 1000) * 1000;
  }

  /** The artist name item `item` of session `index` of `day` is served with (the catalog's, or a variant). */
  artistSpelling(name: string, day: number, index: number, item: number): string {
    if (this.tidy || name === '') return name;
    const draw = unit(mix(this.seed, SPELLING, day, index, item));
    if (draw >= ARTIST_SPELLING_SHARE) return name;
    return spellingVariant(name, Math.floor((draw / ARTIST_SPELLING_SHARE) * 4));
  }

  /** The days of a `/sessions` window in the order they are served: newest first unless tidy. */
  days(startDay: number, endDay: number): number[] {
    const days: number[] = [];
    for (let day = startDay; day <= endDay; day++) days.push(day);
    return this.tidy ? days : days.reverse();
  }

  /** `items` in the order served: as given when tidy, else shuffled within blocks (seeded by `parts`). */
  *served<T>(items: Iterable<T>, ...parts: number[]): Generator<T> {
    if (this.tidy) return yield* items;
    let block: T[] = [];
    let blockNumber = 0;
    for (const item of items) {
      block.push(item);
      if (block.length === ORDER_BLOCK) {
        yield* shuffled(block, mix(this.seed, ORDER, ...parts, blockNumber++));
        block = [];
      }
    }
    yield* shuffled(block, mix(this.seed, ORDER, ...parts, blockNumber));
  }
}

/** One of four spellings real catalogs hold for the same artist; the variant differs from `name`. */
export function spellingVariant(name: string, variant: number): string {
  switch (variant) {
    case 0:
      return name.toUpperCase() === name ? name.toLowerCase() : name.toUpperCase();
    case 1:
      return name.toLowerCase() === name ? name.toUpperCase() : name.toLowerCase();
    case 2:
      // "The Blue Foxes" is filed as "Blue Foxes, The"; "Ann Lee" as "Lee, Ann".
      if (name.startsWith('The ')) return `${name.slice(4)}, The`;
      return name.includes(' ')
        ? `${name.slice(name.lastIndexOf(' ') + 1)}, ${name.slice(0, name.lastIndexOf(' '))}`
        : `${name} `;
    default:
      return name.includes(' ') ? name.replace(' ', '  ') : ` ${name}`;
  }
}

function shuffled<T>(block: T[], seed: number): T[] {
  const rng = new Rng(seed);
  for (let i = block.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [block[i], block[j]] = [block[j], block[i]];
  }
  return block;
}
