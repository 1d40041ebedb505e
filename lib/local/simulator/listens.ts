/**
 * Listening events (docs/listening-events.md): the plays of a day and when each copy of each reaches
 * Firehose. Like the rest of the simulator, everything is a pure function of (seed, day, play index): the
 * number of plays (weekday and a per-day swing), their times (a daily curve by UTC hour, busiest in the
 * evening), their faults and arrival times, and their content. Timings are cheap (one small generator per
 * play), content is built only for the plays a delivery or a truth needs, so delivering an hour of
 * arrivals never builds the days whose plays cannot arrive in it.
 */
import type { Catalog } from './catalog';
import {
  badLine,
  badLineKind,
  playEventId,
  playLine,
  type BadLineKind,
  type PlayFields,
} from './listen-lines';
import { Rng, cumulativeWeights, mix, tag, zipfRank } from './random';
import { dailyVolume, splitByWeights } from './sessions';
import { DAY_MS } from './time';
import type { UserBase } from './users';

export const HOUR_MS = 3_600_000;
const TIMING = tag('listen timing');
const CONTENT = tag('listen content');
const PLAYS_OF_DAY = tag('listens of day');

/** Share of the day's plays per UTC hour: a global audience, busiest in the (European) evening. */
const HOUR_WEIGHTS = [
  3, 2, 1.5, 1, 1, 1.5, 2.5, 4, 5, 5, 5, 5.5, 6, 6, 6, 6, 6.5, 7.5, 8.5, 9.5, 10, 9, 7, 5,
];
export const DEVICES = ['ios', 'android', 'web', 'desktop', 'speaker'] as const;
const DEVICE_CUMULATIVE = cumulativeWeights([34, 30, 16, 12, 8]);
/** Device clock offsets seen in `listened_at` (minutes); most devices send UTC (`Z`). */
const OFFSETS = [-300, 60, 120, 330, 540] as const;
const LOCAL_OFFSET_SHARE = 0.15;
/** Plays of a track the catalog does not know yet (genre `unknown`, the track coverage rule). */
export const UNKNOWN_TRACK_SHARE = 0.005;
/** Plays played to the end; the others stop somewhere in the track. */
const FULL_PLAY_SHARE = 0.6;

/** What Firehose does to a play (docs/listening-events.md, Delivery), apart from bad lines. */
export const LISTEN_FAULT_RATES = {
  /** Delivered twice, the copy up to an hour after the first. */
  duplicate: 0.01,
  /** Recorded offline: 1 to 10 hours after `listened_at` (within a lateness window of >= 10 h). */
  late: 0.03,
  /** 13 to 40 hours after the end of its day: beyond any lateness window of <= 12 h. */
  after_window: 0.003,
  /** A device clock ahead: `listened_at` 1 to 4 hours after the arrival. */
  clock_skew: 0.001,
} as const;
export type ListenFault = keyof typeof LISTEN_FAULT_RATES | 'bad_line';
const FAULTS = Object.keys(LISTEN_FAULT_RATES) as (keyof typeof LISTEN_FAULT_RATES)[];
const FAULT_THRESHOLDS = cumulativeWeights(Object.values(LISTEN_FAULT_RATES));

/**
 * How far a play's arrival can be from its day: arrivals of day D come from plays of D - DAYS_BEFORE to
 * D + DAYS_AFTER. The latest, an after-window play, arrives before its day's start + 64 h (< 3 days); the
 * earliest, a skewed play, at most 4 h before its `listened_at` (so at worst the day before).
 */
export const ARRIVAL_DAYS_BEFORE = 2;
export const ARRIVAL_DAYS_AFTER = 1;

/** When a play happened and when its copies arrive: what delivery and truth need before any content. */
export interface PlayTiming {
  day: number;
  /** Index of the play within its day (time order). */
  index: number;
  listenedAtMs: number;
  fault: ListenFault | null;
  /** When each copy reaches Firehose (ms): one, or two for a duplicate (the second not earlier). */
  arrivals: number[];
}

/** A play with its content. */
export interface Play extends PlayTiming, PlayFields {
  /** The line as delivered (the same for both copies of a duplicate). */
  line: string;
  /** The catalog index of the track, or null for a track the catalog does not know. */
  songIndex: number | null;
  /** How the line is broken, for a bad line. */
  badKind: BadLineKind | null;
}

/** The catalog facts the truth needs about a track. */
export interface TrackFacts {
  track_id: string;
  artist_id: string;
  /** Seconds. */
  duration: number | null;
  artist_hotttnesss: number | null;
}

export class ListenStream {
  private readonly tracks = new Map<number, TrackFacts>();
  private readonly userIds = new Map<number, string>();

  constructor(
    readonly seed: number,
    readonly catalog: Catalog,
    readonly users: UserBase,
    readonly playsPerDay: number,
    readonly badRecordRate: number,
  ) {}

  /** How many play slots the day has (a slot before the first sign-up yields no play). */
  slotsOfDay(day: number): number {
    return dailyVolume(day, this.playsPerDay, 1.1, mix(this.seed, PLAYS_OF_DAY, day));
  }

  /** The day's plays, timings only, in time order. */
  *timings(day: number): Generator<PlayTiming> {
    const perHour = splitByWeights(this.slotsOfDay(day), HOUR_WEIGHTS);
    let index = 0;
    for (let hour = 0; hour < 24; hour++) {
      const count = perHour[hour];
      const hourStart = day * DAY_MS + hour * HOUR_MS;
      if (this.users.countAt(hourStart) === 0) {
        index += count;
        continue;
      }
      for (let k = 0; k < count; k++, index++) yield this.timing(day, index, hourStart, k / count, 1 / count);
    }
  }

  /** The day's plays with their content, in time order. */
  *plays(day: number): Generator<Play> {
    const counts = new Map<number, number>();
    for (const timing of this.timings(day)) yield this.play(timing, counts);
  }

  /**
   * The lines that arrive in [fromMs, toMs), with their arrival times, in a fixed order (day, play, copy):
   * only the plays of the days that can arrive then are looked at, and only those arriving get content.
   */
  *arrivingBetween(fromMs: number, toMs: number): Generator<{ arrivalMs: number; line: string }> {
    const counts = new Map<number, number>();
    const firstDay = Math.floor(fromMs / DAY_MS) - ARRIVAL_DAYS_BEFORE;
    const lastDay = Math.floor((toMs - 1) / DAY_MS) + ARRIVAL_DAYS_AFTER;
    for (let day = firstDay; day <= lastDay; day++) {
      for (const timing of this.timings(day)) {
        if (!timing.arrivals.some((arrival) => arrival >= fromMs && arrival < toMs)) continue;
        const { line } = this.play(timing, counts);
        for (const arrivalMs of timing.arrivals) {
          if (arrivalMs >= fromMs && arrivalMs < toMs) yield { arrivalMs, line };
        }
      }
    }
  }

  /** The catalog facts of song `index` (cached: Zipf draws return to the same songs). */
  track(index: number): TrackFacts {
    let facts = this.tracks.get(index);
    if (!facts) {
      const song = this.catalog.song(index);
      facts = {
        track_id: song.track_id,
        artist_id: song.artist_id,
        duration: song.duration,
        artist_hotttnesss: song.artist_hotttnesss,
      };
      this.tracks.set(index, facts);
    }
    return facts;
  }

  /** Play `index` of `day`, in the slot [slotStart, slotStart + slotWidth) of its hour (fractions). */
  private timing(
    day: number,
    index: number,
    hourStart: number,
    slotStart: number,
    slotWidth: number,
  ): PlayTiming {
    const rng = new Rng(mix(this.seed, TIMING, day, index));
    const listenedAtMs = hourStart + Math.floor((slotStart + rng.next() * slotWidth) * HOUR_MS);
    const badRoll = rng.next();
    const faultRoll = rng.next();
    const delayRoll = rng.next();
    const extraRoll = rng.next();
    const fault: ListenFault | null =
      badRoll < this.badRecordRate
        ? 'bad_line'
        : (FAULTS.find((_, i) => faultRoll < FAULT_THRESHOLDS[i]) ?? null);
    // Seconds to a few minutes between the play and Firehose: the app batches its events.
    const normal = listenedAtMs + 1000 + Math.min(600_000, Math.floor(-Math.log(1 - delayRoll) * 40_000));
    const dayEnd = (day + 1) * DAY_MS;
    let arrivals: number[];
    switch (fault) {
      case 'duplicate':
        arrivals = [normal, normal + Math.floor(extraRoll * HOUR_MS)];
        break;
      case 'late':
        arrivals = [listenedAtMs + HOUR_MS + Math.floor(delayRoll * 9 * HOUR_MS)];
        break;
      case 'after_window':
        arrivals = [dayEnd + 13 * HOUR_MS + Math.floor(delayRoll * 27 * HOUR_MS)];
        break;
      case 'clock_skew':
        arrivals = [listenedAtMs - HOUR_MS - 1000 - Math.floor(delayRoll * 3 * HOUR_MS)];
        break;
      default:
        arrivals = [normal];
    }
    return { day, index, listenedAtMs, fault, arrivals };
  }

  /** The play's content; `counts` caches the users signed up by each hour within one pass. */
  private play(timing: PlayTiming, counts: Map<number, number>): Play {
    const rng = new Rng(mix(this.seed, CONTENT, timing.day, timing.index));
    const event_id = playEventId(rng, timing.day, timing.index);
    const userIndex = this.listener(rng, timing.listenedAtMs, counts);
    const unknownRoll = rng.next();
    const rankRoll = rng.next();
    const unknownSalt = rng.uint32();
    const songIndex = unknownRoll < UNKNOWN_TRACK_SHARE ? null : zipfRank(rankRoll, this.catalog.size);
    const facts = songIndex === null ? null : this.track(songIndex);
    const durationMs = facts?.duration ? Math.floor(facts.duration * 1000) : 30_000 + rng.int(0, 270_000);
    const fullRoll = rng.next();
    const partRoll = rng.next();
    const fields: PlayFields = {
      event_id,
      user_id: this.userId(userIndex),
      track_id: facts?.track_id ?? this.catalog.unknownTrackId(unknownSalt),
      listenedAtMs: timing.listenedAtMs,
      offsetMinutes: rng.chance(LOCAL_OFFSET_SHARE) ? rng.pick(OFFSETS) : 0,
      ms_played: fullRoll < FULL_PLAY_SHARE ? durationMs : Math.floor(durationMs * partRoll),
      device: rng.pickWeighted(DEVICES, DEVICE_CUMULATIVE),
    };
    const badKind = timing.fault === 'bad_line' ? badLineKind(rng) : null;
    const line = badKind === null ? playLine(fields) : badLine(fields, badKind, rng);
    // Spelled out rather than spread: this runs for every play delivered, hundreds of thousands a day.
    return {
      day: timing.day,
      index: timing.index,
      listenedAtMs: timing.listenedAtMs,
      fault: timing.fault,
      arrivals: timing.arrivals,
      event_id,
      user_id: fields.user_id,
      track_id: fields.track_id,
      offsetMinutes: fields.offsetMinutes,
      ms_played: fields.ms_played,
      device: fields.device,
      line,
      songIndex,
      badKind,
    };
  }

  /**
   * A user signed up by the play's hour, older users more often. A user without a profile in `/users` at
   * that time is drawn again once, so a few plays only (about 0.1%) have no user version to join.
   */
  private listener(rng: Rng, listenedAtMs: number, counts: Map<number, number>): number {
    const hourStart = Math.floor(listenedAtMs / HOUR_MS) * HOUR_MS;
    const existing = counts.get(hourStart) ?? this.users.countAt(hourStart);
    counts.set(hourStart, existing);
    const pick = () => Math.min(existing - 1, Math.floor(existing * Math.pow(rng.next(), 1.3)));
    const first = pick();
    const second = pick();
    return this.users.hasProfileAt(first, listenedAtMs) ? first : second;
  }

  private userId(index: number): string {
    let id = this.userIds.get(index);
    if (id === undefined) {
      id = this.users.userId(index);
      this.userIds.set(index, id);
    }
    return id;
  }
}
