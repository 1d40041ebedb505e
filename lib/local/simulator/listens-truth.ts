/**
 * The ground truth of a date's listening events (docs/listening-events.md, Local): what the transform of D
 * must write and quarantine, and the KPIs dbt must compute, from what the Firehose stand-in has delivered
 * by `deliveredUntil`. It follows the transform's rules on the generated plays, not on the delivered bytes:
 * the tests parse the objects back and check that both agree.
 */
import type { ArtistStatsExpectation } from './artist-stats';
import { ARRIVAL_INTERVAL_MS, instantOf } from './firehose';
import { ARRIVAL_DAYS_AFTER, ARRIVAL_DAYS_BEFORE, HOUR_MS, type ListenStream, type Play } from './listens';
import { DAY_MS, parseDay } from './time';

export interface ListensTruthOptions {
  /** What Firehose has delivered: objects whose arrival interval ended by then (ISO text, Date or ms). */
  deliveredUntil: string | Date | number;
  /** cdk.json's `stream.latenessHours`. */
  latenessHours: number;
  /** The genre of an artist (`dim_artists.genre`). @default the simulator's artist statistics (see defaultGenreOf) */
  genreOf?: (artistId: string) => string;
}

/** A `kpi_genre_daily` row, by ids (no surrogate keys). */
export interface GenreDailyTruth {
  listen_date: string;
  genre: string;
  listen_count: number;
  avg_track_duration_s: number | null;
  avg_popularity: number | null;
  popularity_index: number | null;
  top_track_id: string | null;
  top_track_plays: number | null;
}

/** A `kpi_hourly` row, by ids. */
export interface HourlyTruth {
  listen_date: string;
  listen_hour: number;
  unique_listeners: number;
  total_plays: number;
  unique_tracks: number;
  track_diversity_index: number;
  top_artist_id: string | null;
  top_artist_plays: number | null;
}

export interface ListensTruth {
  date: string;
  delivered_until: string;
  lateness_hours: number;
  /** The arrival window of the date: [from, to). */
  window: { from: string; to: string };
  /** Plays of the date, each once (bad lines included). */
  generated: number;
  /** Distinct valid plays of the date delivered in its window: the `listens` partition (`written`). */
  delivered: number;
  /** Extra copies of those plays delivered in the window (`duplicates_dropped`). */
  duplicates: number;
  /** Of `delivered`, those whose kept copy arrived on a later day (`arrived_late`). */
  late: number;
  /**
   * As the job's `arrived_after_window`: valid events that arrived on the date after their own date's
   * window (one per event, whatever their date; the same as `quarantined_by_reason.arrived_after_window`).
   */
  arrived_after_window: number;
  /** Valid plays of the date delivered only after its window (by `deliveredUntil`): a later run quarantines them. */
  plays_after_window: number;
  /**
   * The quarantine of the run of the date: from the objects that arrived on the date, the bad lines, and
   * (one per event) the valid events that arrived after their own date's window or whose `listened_at` is
   * after the end of their arrival hour; whatever their event date.
   */
  quarantined: number;
  quarantined_by_reason: {
    bad_line: number;
    arrived_after_window: number;
    listened_at_after_arrival: number;
  };
  kpi_genre_daily: GenreDailyTruth[];
  kpi_hourly: HourlyTruth[];
}

/** `dim_artists.genre` as the simulator's artist statistics give it: the top tag, lower case, or `unknown`. */
export function defaultGenreOf(
  expectations: readonly { artist_id: string; response: { tags: { tag: { name: string }[] } } | null }[],
): (artistId: string) => string {
  const genres = new Map<string, string>();
  for (const { artist_id, response } of expectations) {
    const top = response?.tags.tag[0]?.name;
    if (top) genres.set(artist_id, top.toLowerCase());
  }
  return (artistId) => genres.get(artistId) ?? 'unknown';
}

/** A copy's arrival hour ends before its `listened_at`: a device clock ahead. */
function afterArrival(listenedAtMs: number, arrivalMs: number): boolean {
  return listenedAtMs > Math.floor(arrivalMs / HOUR_MS) * HOUR_MS + HOUR_MS;
}

export function listensTruth(
  stream: ListenStream,
  date: string,
  options: ListensTruthOptions & { genreOf: (artistId: string) => string },
): ListensTruth {
  const day = parseDay(date, 'date');
  const untilMs = instantOf(options.deliveredUntil, 'deliveredUntil');
  const lateness = options.latenessHours;
  if (!Number.isFinite(lateness) || lateness < 0)
    throw new Error(`lateness hours must be >= 0; got ${lateness}`);
  const windowOf = (d: number) => ({ from: d * DAY_MS, to: (d + 1) * DAY_MS + lateness * HOUR_MS });
  const delivered = (arrivalMs: number) =>
    (Math.floor(arrivalMs / ARRIVAL_INTERVAL_MS) + 1) * ARRIVAL_INTERVAL_MS <= untilMs;
  const window = windowOf(day);
  const truth: ListensTruth = {
    date,
    delivered_until: new Date(untilMs).toISOString(),
    lateness_hours: lateness,
    window: { from: new Date(window.from).toISOString(), to: new Date(window.to).toISOString() },
    generated: 0,
    delivered: 0,
    duplicates: 0,
    late: 0,
    arrived_after_window: 0,
    plays_after_window: 0,
    quarantined: 0,
    quarantined_by_reason: { bad_line: 0, arrived_after_window: 0, listened_at_after_arrival: 0 },
    kpi_genre_daily: [],
    kpi_hourly: [],
  };
  const kept: Play[] = [];
  for (const play of stream.plays(day)) {
    truth.generated++;
    if (play.badKind !== null) continue;
    const copies = play.arrivals.filter(
      (arrival) =>
        delivered(arrival) &&
        arrival >= window.from &&
        arrival < window.to &&
        !afterArrival(play.listenedAtMs, arrival),
    );
    if (copies.length > 0) {
      kept.push(play);
      truth.delivered++;
      truth.duplicates += copies.length - 1;
      if (Math.floor(Math.min(...copies) / HOUR_MS) * HOUR_MS >= (day + 1) * DAY_MS) truth.late++;
    } else if (play.arrivals.some((arrival) => delivered(arrival) && arrival >= window.to)) {
      truth.plays_after_window++;
    }
  }
  countQuarantine(stream, day, truth, windowOf, delivered);
  truth.kpi_genre_daily = genreDaily(stream, kept, date, options.genreOf);
  truth.kpi_hourly = hourly(stream, kept, date);
  return truth;
}

/** The quarantine of the run of `day`: what arrived on `day`, whatever the event date (timings suffice). */
function countQuarantine(
  stream: ListenStream,
  day: number,
  truth: ListensTruth,
  windowOf: (day: number) => { from: number; to: number },
  delivered: (arrivalMs: number) => boolean,
): void {
  const arrivedOnDay = (arrival: number) =>
    arrival >= day * DAY_MS && arrival < (day + 1) * DAY_MS && delivered(arrival);
  const reasons = truth.quarantined_by_reason;
  for (let eventDay = day - ARRIVAL_DAYS_BEFORE; eventDay <= day + ARRIVAL_DAYS_AFTER; eventDay++) {
    const windowEnd = windowOf(eventDay).to;
    for (const timing of stream.timings(eventDay)) {
      const copies = timing.arrivals.filter(arrivedOnDay);
      if (copies.length === 0) continue;
      if (timing.fault === 'bad_line') reasons.bad_line += copies.length;
      else if (copies.some((arrival) => arrival >= windowEnd)) reasons.arrived_after_window++;
      else if (copies.some((arrival) => afterArrival(timing.listenedAtMs, arrival)))
        reasons.listened_at_after_arrival++;
    }
  }
  truth.quarantined = reasons.bad_line + reasons.arrived_after_window + reasons.listened_at_after_arrival;
  truth.arrived_after_window = reasons.arrived_after_window;
}

/** Counts keys and returns the most counted, ties to the smaller key (null when there is none). */
function top(counts: Map<string, number>): { key: string; count: number } | null {
  let best: { key: string; count: number } | null = null;
  for (const [key, count] of counts) {
    if (!best || count > best.count || (count === best.count && key < best.key)) best = { key, count };
  }
  return best;
}

function increment(counts: Map<string, number>, key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

function genreDaily(
  stream: ListenStream,
  kept: readonly Play[],
  date: string,
  genreOf: (artistId: string) => string,
): GenreDailyTruth[] {
  interface Group {
    plays: number;
    durationSum: number;
    durationCount: number;
    popularitySum: number;
    popularityCount: number;
    tracks: Map<string, number>;
  }
  const groups = new Map<string, Group>();
  for (const play of kept) {
    const facts = play.songIndex === null ? null : stream.track(play.songIndex);
    const genre = facts ? genreOf(facts.artist_id) : 'unknown';
    let group = groups.get(genre);
    if (!group) {
      group = {
        plays: 0,
        durationSum: 0,
        durationCount: 0,
        popularitySum: 0,
        popularityCount: 0,
        tracks: new Map(),
      };
      groups.set(genre, group);
    }
    group.plays++;
    if (!facts) continue;
    increment(group.tracks, facts.track_id);
    if (facts.duration !== null) {
      group.durationSum += facts.duration;
      group.durationCount++;
    }
    if (facts.artist_hotttnesss !== null) {
      group.popularitySum += 100 * facts.artist_hotttnesss;
      group.popularityCount++;
    }
  }
  return [...groups.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([genre, group]) => {
      const avgPopularity = group.popularityCount > 0 ? group.popularitySum / group.popularityCount : null;
      const best = top(group.tracks);
      return {
        listen_date: date,
        genre,
        listen_count: group.plays,
        avg_track_duration_s: group.durationCount > 0 ? group.durationSum / group.durationCount : null,
        avg_popularity: avgPopularity,
        popularity_index: avgPopularity === null ? null : (group.plays * avgPopularity) / 100,
        top_track_id: best?.key ?? null,
        top_track_plays: best?.count ?? null,
      };
    });
}

function hourly(stream: ListenStream, kept: readonly Play[], date: string): HourlyTruth[] {
  const hours = new Map<
    number,
    { listeners: Set<string>; tracks: Set<string>; artists: Map<string, number>; plays: number }
  >();
  for (const play of kept) {
    const hour = new Date(play.listenedAtMs).getUTCHours();
    let group = hours.get(hour);
    if (!group) {
      group = { listeners: new Set(), tracks: new Set(), artists: new Map(), plays: 0 };
      hours.set(hour, group);
    }
    group.plays++;
    group.listeners.add(play.user_id);
    group.tracks.add(play.track_id);
    if (play.songIndex !== null) increment(group.artists, stream.track(play.songIndex).artist_id);
  }
  return [...hours.entries()]
    .sort(([a], [b]) => a - b)
    .map(([hour, group]) => {
      const best = top(group.artists);
      return {
        listen_date: date,
        listen_hour: hour,
        unique_listeners: group.listeners.size,
        total_plays: group.plays,
        unique_tracks: group.tracks.size,
        track_diversity_index: group.tracks.size / group.plays,
        top_artist_id: best?.key ?? null,
        top_artist_plays: best?.count ?? null,
      };
    });
}

/**
 * `world.listens`: the plays of the world (see ListenStream) and their truth, whose genres default to the
 * world's artist statistics (built once, on the first truth that needs them).
 */
export class ListensWorld {
  private genreOf?: (artistId: string) => string;

  constructor(
    readonly stream: ListenStream,
    private readonly artistStats: () => readonly ArtistStatsExpectation[],
  ) {}

  truth(date: string, options: ListensTruthOptions): ListensTruth {
    const genreOf = options.genreOf ?? (this.genreOf ??= defaultGenreOf(this.artistStats()));
    return listensTruth(this.stream, date, { ...options, genreOf });
  }
}
