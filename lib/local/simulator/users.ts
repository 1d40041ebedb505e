/**
 * DeFtunes users. User `index` joins at a time that grows with the index (a steady stream of sign-ups from
 * the 2015 launch, reaching the scale's count at the 2020 demo epoch), so the users of any time window are
 * an index range found by arithmetic. A user's profile is a pure function of (seed, index, as-of time):
 * they move every so often (each user has their own pace), so a later snapshot can show a new location.
 * With the real shapes (shapes.ts) a user's profile, the `/users` record, may be recorded days after the
 * sign-up (`profileSince`), or never: purchases start at the sign-up, the snapshot holds the user from the
 * profile on.
 */
import type { UserRecord } from '../../../lambdas/shared/contracts';
import { CITIES, CITIES_BY_COUNTRY, CITY_CUMULATIVE, type City } from './geo';
import { FIRST_NAMES, LAST_NAMES } from './names';
import { Rng, mix, tag } from './random';
import { SourceShapes } from './shapes';
import { DAY_MS, DEMO_EPOCH_MS, LAUNCH_MS } from './time';

const USER = tag('user');
const RESIDENCE = tag('residence');
const SINCE = tag('user since');

export class UserBase {
  /** Milliseconds between two sign-ups. */
  private readonly signupIntervalMs: number;

  constructor(
    readonly seed: number,
    usersAtEpoch: number,
    readonly shapes: SourceShapes = new SourceShapes(seed, true),
  ) {
    this.signupIntervalMs = (DEMO_EPOCH_MS - LAUNCH_MS) / usersAtEpoch;
  }

  /** When user `index` signed up (ms, whole seconds); non-decreasing in the index. */
  userSince(index: number): number {
    const jitter = new Rng(mix(this.seed, USER, index, 1)).next();
    return Math.floor((LAUNCH_MS + (index + jitter) * this.signupIntervalMs) / 1000) * 1000;
  }

  /** How many users had signed up at `timeMs` (inclusive): users 0 .. count-1. */
  countAt(timeMs: number): number {
    if (timeMs < LAUNCH_MS) return 0;
    // Every index below `whole` joined before its slot ended, which is <= timeMs; check the next two.
    let count = Math.floor((timeMs - LAUNCH_MS) / this.signupIntervalMs);
    while (this.userSince(count) <= timeMs) count++;
    return count;
  }

  /** When user `index`'s profile appears in `/users` (ms; Infinity: never): the sign-up, or later. */
  profileSince(index: number): number {
    return this.userSince(index) + this.shapes.profileDelayMs(index);
  }

  /** Whether user `index` is in the `/users` snapshot as of `asOfMs`. */
  hasProfileAt(index: number, asOfMs: number): boolean {
    return this.profileSince(index) <= asOfMs;
  }

  userId(index: number): string {
    return new Rng(mix(this.seed, USER, index)).keyedUuid(index);
  }

  /** The user's record as the API serves it, with the location where they live at `asOfMs`. */
  user(index: number, asOfMs: number): UserRecord {
    const rng = new Rng(mix(this.seed, USER, index));
    const userId = rng.keyedUuid(index);
    const since = this.userSince(index);
    const profileSince = this.profileSince(index);
    const city = this.cityAt(index, since, Math.max(asOfMs, since));
    return {
      user_id: userId,
      user_name: rng.pick(FIRST_NAMES),
      user_lastname: rng.pick(LAST_NAMES),
      user_location: [city.latitude, city.longitude, city.place, city.country, city.timezone],
      user_since: this.shapes.timestamp(Number.isFinite(profileSince) ? profileSince : since, SINCE, index),
    };
  }

  /**
   * Where the user lives at `asOfMs`: residence number r = how many moves so far, at the user's own pace
   * (one move every 0.5 to 4.5 years, first move after a random part of that). Residence 0 is drawn from
   * the audience weights; later ones stay in the home country 60% of the time.
   */
  private cityAt(index: number, sinceMs: number, asOfMs: number): ResidenceLocation {
    const pace = new Rng(mix(this.seed, RESIDENCE, index));
    const stayDays = 180 + pace.next() * 4 * 365;
    const phaseDays = pace.next() * stayDays;
    const residence = Math.floor(((asOfMs - sinceMs) / DAY_MS + phaseDays) / stayDays);
    const home = pace.pickWeighted(CITIES, CITY_CUMULATIVE);
    let city: City = home;
    const move = new Rng(mix(this.seed, RESIDENCE, index, residence));
    if (residence > 0) {
      if (move.chance(0.6)) {
        const domestic = CITIES_BY_COUNTRY.get(home.country)!;
        city = move.pickWeighted(domestic.cities, domestic.cumulative);
      } else {
        city = move.pickWeighted(CITIES, CITY_CUMULATIVE);
      }
    }
    // An address within a few kilometres of the city centre, different for each residence.
    return {
      latitude: (city.latitude + (move.next() - 0.5) * 0.1).toFixed(6),
      longitude: (city.longitude + (move.next() - 0.5) * 0.1).toFixed(6),
      place: city.name,
      country: city.country,
      timezone: city.timezone,
    };
  }
}

interface ResidenceLocation {
  latitude: string;
  longitude: string;
  place: string;
  country: string;
  timezone: string;
}
