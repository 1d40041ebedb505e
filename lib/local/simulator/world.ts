/**
 * The simulated DeFtunes world for one (seed, scale): the catalog, the users, the sessions, and the
 * records the API serves for a date window (bad records included), plus the ground truth of a day.
 */
import type { SessionRecord, UserRecord } from '../../../lambdas/shared/contracts';
import { Catalog } from './catalog';
import {
  type CorruptedRecord,
  type RecordFaultKind,
  type Served,
  isUserCorrupted,
  serveSession,
  serveUser,
} from './corruption';
import { EnrichmentWorld, type ConcertsTruth } from './enrichment';
import type { ArtistStatsExpectation } from './artist-stats';
import { ListenStream } from './listens';
import { ListensWorld } from './listens-truth';
import { resolveScale, type ScaleSizes } from './scale';
import { SessionGenerator } from './sessions';
import { MAX_PROFILE_DELAY_DAYS, SourceShapes } from './shapes';
import { mix, tag, unit } from './random';
import { DAY_MS, formatDay, parseDay } from './time';
import { UserBase } from './users';

export const DEFAULT_SEED = 42;
const LATE_TAG = tag('late arrival');

export interface WorldOptions {
  /** @default 42 */
  seed?: number;
  /** A scale name or factor (see scale.ts). @default 'tiny' */
  scale?: string | number;
  /** Fraction of records served malformed, in [0, 1]. @default 0 */
  badRecordRate?: number;
  /**
   * Fraction of sessions that reach the API late, in [0, 1]: missing from any `/sessions` answer whose
   * window ends on the session's own day, present once the window ends later. @default 0
   */
  lateArrivalRate?: number;
  /**
   * Days (YYYY-MM-DD) whose sessions the API never serves, as an upstream outage answering `200 []` would:
   * what the data-quality gate's empty-day rule must catch. @default none
   */
  emptyDays?: readonly string[];
  /**
   * Serve the tidy record shapes (offset `Z`, whole seconds, time order, one artist spelling, profiles
   * from the sign-up on) instead of the real API's (see shapes.ts). @default false
   */
  tidyShapes?: boolean;
  /** Multiplies the concerts per day (tests reach windows over 1,000 events at `tiny`). @default 1 */
  concertDensity?: number;
}

/** Ground truth of one day, as `GET /_truth?date=` returns it. */
export interface DayTruth {
  date: string;
  seed: number;
  scale: ScaleSizes;
  bad_record_rate: number;
  sessions: {
    /** Distinct sessions generated for the day (each counted once, whatever was served). */
    generated: number;
    /** Records in the body of `/sessions` for this day (duplicates counted twice). */
    served: number;
    /** Sessions that arrive late: absent from an answer whose window ends on this day (see lateArrivalRate). */
    late: number;
    /** Sessions with no fault at all: what must reach the serving layer. */
    clean: number;
    /** Sessions that pass the contract (clean + those only the quality gate can catch). */
    extract_valid: number;
    items: number;
    clean_items: number;
    extract_valid_items: number;
    /** Items whose artist name is served in another spelling than the catalog's (the serving name). */
    artist_spellings: number;
    /** USD, over all generated sessions, as they really were (before corruption). */
    revenue: number;
    clean_revenue: number;
  };
  users: {
    /** Users whose profile (user_since) is <= the end of the day: the size of the day's snapshot. */
    snapshot_size: number;
    /** Records in the body of `/users?start_date=<launch or earlier>&end_date=<date>`. */
    served: number;
    clean: number;
    extract_valid: number;
  };
  /**
   * Buyers of the day's sessions who are not in the day's `/users` snapshot, each once: the serving
   * layer's inferred users, completed on `profile_on` (the first snapshot holding them; null: never).
   */
  inferred_buyers: { user_id: string; profile_on: string | null }[];
  corrupted: CorruptedRecord[];
  corrupted_by_kind: Partial<Record<`${'sessions' | 'users'}.${RecordFaultKind}`, number>>;
}

export class SimulatedWorld {
  readonly seed: number;
  readonly scale: ScaleSizes;
  readonly badRecordRate: number;
  readonly lateArrivalRate: number;
  /** Day numbers (days since the epoch) served without sessions (see WorldOptions.emptyDays). */
  readonly emptyDays: ReadonlySet<number>;
  readonly catalog: Catalog;
  readonly users: UserBase;
  readonly sessions: SessionGenerator;
  /** The record shapes served: the real API's, or tidy ones. */
  readonly shapes: SourceShapes;
  /** The concerts and artist-statistics sources (docs/artist-enrichment.md). */
  readonly enrichment: EnrichmentWorld;
  /** The listening events and their truth (docs/listening-events.md; delivered by firehose.ts). */
  readonly listens: ListensWorld;

  constructor(options: WorldOptions = {}) {
    this.seed = options.seed ?? DEFAULT_SEED;
    if (!Number.isInteger(this.seed) || this.seed < 0 || this.seed > 0xffffffff) {
      throw new Error(`seed must be an integer in [0, 4294967295]; got ${options.seed}`);
    }
    this.scale = resolveScale(options.scale);
    this.badRecordRate = options.badRecordRate ?? 0;
    checkRate('bad record rate', this.badRecordRate);
    this.lateArrivalRate = options.lateArrivalRate ?? 0;
    checkRate('late arrival rate', this.lateArrivalRate);
    this.emptyDays = new Set((options.emptyDays ?? []).map((date) => parseDay(date, 'empty day')));
    this.catalog = new Catalog(this.seed, this.scale.songs);
    this.shapes = new SourceShapes(this.seed, options.tidyShapes ?? false);
    this.users = new UserBase(this.seed, this.scale.usersAtEpoch, this.shapes);
    this.sessions = new SessionGenerator(this.seed, this.catalog, this.users, this.scale.itemsPerDay);
    this.enrichment = new EnrichmentWorld(this.seed, this.catalog, this.scale, options.concertDensity);
    this.listens = new ListensWorld(
      new ListenStream(this.seed, this.catalog, this.users, this.scale.playsPerDay, this.badRecordRate),
      () => this.artistStatsTruth(),
    );
  }

  /**
   * Whether a session of `day` arrives late. Deterministic in (seed, day, index), like every fault here,
   * so "after its day was extracted" needs no clock: it is "asked for in a window ending on a later day".
   */
  isLate(day: number, index: number): boolean {
    return this.lateArrivalRate > 0 && unit(mix(this.seed, LATE_TAG, day, index)) < this.lateArrivalRate;
  }

  /**
   * What `/sessions` serves for days [startDay, endDay], one session at a time (in time order only with
   * tidy shapes); late sessions of endDay are not there yet.
   */
  *servedSessions(startDay: number, endDay: number): Generator<Served<SessionRecord>> {
    for (const day of this.shapes.days(startDay, endDay)) {
      if (this.emptyDays.has(day)) continue;
      const sessions = this.shapes.served(this.sessions.sessionsOfDay(day), day);
      for (const session of sessions) {
        if (day === endDay && this.isLate(day, session.index)) continue;
        yield serveSession(this.seed, day, session.index, session.record, this.badRecordRate, this.catalog);
      }
    }
  }

  /**
   * What `/users` serves: users whose profile (`user_since`) falls in [startDay, endDay], their profile as
   * of endDay's end (in sign-up order only with tidy shapes).
   */
  *servedUsers(startDay: number, endDay: number): Generator<Served<UserRecord>> {
    const asOfMs = (endDay + 1) * DAY_MS - 1;
    const fromMs = startDay * DAY_MS;
    // A profile comes at most MAX_PROFILE_DELAY_DAYS after the sign-up.
    const first = this.users.countAt(fromMs - 1 - (this.shapes.tidy ? 0 : MAX_PROFILE_DELAY_DAYS * DAY_MS));
    const last = this.users.countAt(asOfMs);
    const indexes = (function* (users: UserBase) {
      for (let index = first; index < last; index++) {
        const since = users.profileSince(index);
        if (since >= fromMs && since <= asOfMs) yield index;
      }
    })(this.users);
    for (const index of this.shapes.served(indexes, endDay)) {
      yield serveUser(this.seed, endDay, index, this.users.user(index, asOfMs), this.badRecordRate);
    }
  }

  /** The first day whose `/users` snapshot holds user `index`, or null when none ever will. */
  profileDay(index: number): number | null {
    const since = this.users.profileSince(index);
    return Number.isFinite(since) ? Math.floor(since / DAY_MS) : null;
  }

  /** Every concert an extraction for `runDate` must land (see EnrichmentWorld.concertsTruth). */
  concertsTruth(runDate: string, countries: readonly string[], horizonDays: number): ConcertsTruth {
    return this.enrichment.concertsTruth(runDate, countries, horizonDays);
  }

  /** What looking up each catalog artist's statistics must land. */
  artistStatsTruth(): ArtistStatsExpectation[] {
    return this.enrichment.artistStatsTruth();
  }

  truth(day: number): DayTruth {
    const truth: DayTruth = {
      date: formatDay(day),
      seed: this.seed,
      scale: this.scale,
      bad_record_rate: this.badRecordRate,
      sessions: {
        generated: 0,
        late: 0,
        served: 0,
        clean: 0,
        extract_valid: 0,
        items: 0,
        clean_items: 0,
        extract_valid_items: 0,
        revenue: 0,
        clean_revenue: 0,
        artist_spellings: 0,
      },
      users: { snapshot_size: 0, served: 0, clean: 0, extract_valid: 0 },
      inferred_buyers: [],
      corrupted: [],
      corrupted_by_kind: {},
    };
    let revenueCents = 0;
    let cleanRevenueCents = 0;
    const s = truth.sessions;
    const endOfDayMs = (day + 1) * DAY_MS - 1;
    const inferred = new Set<number>();
    for (const session of this.sessions.sessionsOfDay(day)) {
      if (!this.users.hasProfileAt(session.userIndex, endOfDayMs) && !inferred.has(session.userIndex)) {
        inferred.add(session.userIndex);
        const profileDay = this.profileDay(session.userIndex);
        truth.inferred_buyers.push({
          user_id: session.record.user_id,
          profile_on: profileDay === null ? null : formatDay(profileDay),
        });
      }
      s.artist_spellings += session.artistSpellings;
      const served = serveSession(
        this.seed,
        day,
        session.index,
        session.record,
        this.badRecordRate,
        this.catalog,
      );
      const items = session.record.session_items.length;
      s.generated++;
      if (this.isLate(day, session.index)) s.late++;
      s.served += served.records.length;
      s.items += items;
      revenueCents += session.revenueCents;
      const fault = served.corruption;
      // A duplicated session is a clean session served twice: the extractor keeps one copy.
      if (!fault || fault.kind === 'duplicate_session') {
        s.clean++;
        s.clean_items += items;
        cleanRevenueCents += session.revenueCents;
      }
      if (!fault || fault.kind === 'duplicate_session' || fault.caught_by === 'quality') {
        s.extract_valid++;
        s.extract_valid_items += items;
      }
      if (fault) this.record(truth, fault);
    }
    s.revenue = revenueCents / 100;
    s.clean_revenue = cleanRevenueCents / 100;
    const u = truth.users;
    const asOfMs = (day + 1) * DAY_MS - 1;
    const signedUp = this.users.countAt(asOfMs);
    for (let index = 0; index < signedUp; index++) {
      if (!this.users.hasProfileAt(index, asOfMs)) continue;
      u.snapshot_size++;
      // Most users are served as they are: count them without building their profile.
      if (!isUserCorrupted(this.seed, day, index, this.badRecordRate)) {
        u.served++;
        u.clean++;
        u.extract_valid++;
        continue;
      }
      const served = serveUser(this.seed, day, index, this.users.user(index, asOfMs), this.badRecordRate);
      u.served += served.records.length;
      const fault = served.corruption;
      if (!fault || fault.kind === 'duplicate_user') u.clean++;
      if (!fault || fault.kind === 'duplicate_user' || fault.caught_by === 'quality') u.extract_valid++;
      if (fault) this.record(truth, fault);
    }
    return truth;
  }

  private record(truth: DayTruth, fault: CorruptedRecord): void {
    truth.corrupted.push(fault);
    const key = `${fault.entity}.${fault.kind}` as const;
    truth.corrupted_by_kind[key] = (truth.corrupted_by_kind[key] ?? 0) + 1;
  }
}

export function checkRate(name: string, rate: number): void {
  if (typeof rate !== 'number' || !Number.isFinite(rate) || rate < 0 || rate > 1) {
    throw new Error(`${name} must be a number in [0, 1]; got ${rate}`);
  }
}
