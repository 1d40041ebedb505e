/**
 * An independent reading of the delivered listens objects, for the tests: parses every object back and
 * applies docs/listening-events.md's transform and KPI rules to the lines, knowing nothing of how the
 * simulator generated them (only the catalog and the genres, as the serving layer knows them).
 */
import { gunzipSync } from 'node:zlib';
import { LISTENS_LANDING_PREFIXES } from '../../lambdas/shared/landing-keys';
import { LocalObjectStore } from '../../lib/local/adapters/local-object-store';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;
const TRACK_ID = /^TR[A-Z0-9]{16}$/;
const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

export interface DeliveredLine {
  key: string;
  arrivalHourMs: number;
  text: string;
}

export interface ValidEvent {
  event_id: string;
  user_id: string;
  track_id: string;
  listenedAtMs: number;
  ms_played: number;
  device: string;
}

/** Every line of every listens object under `root`, with the object's arrival hour (from its key only). */
export async function readDelivered(root: string): Promise<{ keys: string[]; lines: DeliveredLine[] }> {
  const store = new LocalObjectStore(root);
  const keys = await store.list(`${LISTENS_LANDING_PREFIXES.data}/`);
  const lines: DeliveredLine[] = [];
  for (const key of keys) {
    const match = /arrived_on=(\d{4}-\d{2}-\d{2})\/hour=(\d{2})\//.exec(key)!;
    const arrivalHourMs = Date.parse(`${match[1]}T${match[2]}:00:00Z`);
    const text = gunzipSync(await store.getObject(key)).toString('utf8');
    expect(text.endsWith('\n')).toBe(true);
    for (const line of text.slice(0, -1).split('\n')) lines.push({ key, arrivalHourMs, text: line });
  }
  return { keys, lines };
}

/** The event of a line, or null for a bad line (the contract's validation). */
export function parseEvent(text: string): ValidEvent | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const event = value as Record<string, unknown>;
  const { event_id, user_id, track_id, listened_at, ms_played, device } = event;
  if (typeof event_id !== 'string' || !UUID.test(event_id)) return null;
  if (typeof user_id !== 'string' || !UUID.test(user_id)) return null;
  if (typeof track_id !== 'string' || !TRACK_ID.test(track_id)) return null;
  if (typeof listened_at !== 'string' || !ISO_WITH_OFFSET.test(listened_at)) return null;
  const listenedAtMs = Date.parse(listened_at);
  if (!Number.isFinite(listenedAtMs)) return null;
  if (typeof ms_played !== 'number' || !Number.isInteger(ms_played) || ms_played < 0) return null;
  return { event_id, user_id, track_id, listenedAtMs, ms_played, device: String(device) };
}

export interface CatalogFacts {
  artist_id: string;
  duration: number | null;
  artist_hotttnesss: number | null;
}

/** The transform of `date` and its KPIs, recomputed from the delivered lines. */
export function recompute(
  lines: readonly DeliveredLine[],
  date: string,
  latenessHours: number,
  catalog: ReadonlyMap<string, CatalogFacts>,
  genreOf: (artistId: string) => string,
) {
  const day = Date.parse(`${date}T00:00:00Z`);
  const windowEnd = day + DAY_MS + latenessHours * HOUR_MS;
  const windowEndOf = (ms: number) => Math.floor(ms / DAY_MS) * DAY_MS + DAY_MS + latenessHours * HOUR_MS;
  const skewed = (event: ValidEvent, line: DeliveredLine) =>
    event.listenedAtMs > line.arrivalHourMs + HOUR_MS;
  const copies = new Map<string, { event: ValidEvent; hours: number[] }>();
  const afterWindow = new Set<string>();
  let bad = 0;
  const quarantinedLate = new Set<string>();
  const quarantinedSkew = new Set<string>();
  for (const line of lines) {
    const event = parseEvent(line.text);
    const arrivedOnDate = line.arrivalHourMs >= day && line.arrivalHourMs < day + DAY_MS;
    if (!event) {
      if (arrivedOnDate) bad++;
      continue;
    }
    if (arrivedOnDate && line.arrivalHourMs >= windowEndOf(event.listenedAtMs))
      quarantinedLate.add(event.event_id);
    else if (arrivedOnDate && skewed(event, line)) quarantinedSkew.add(event.event_id);
    const ofDate = event.listenedAtMs >= day && event.listenedAtMs < day + DAY_MS;
    if (!ofDate) continue;
    if (line.arrivalHourMs >= windowEnd) afterWindow.add(event.event_id);
    if (line.arrivalHourMs < day || line.arrivalHourMs >= windowEnd || skewed(event, line)) continue;
    const seen = copies.get(event.event_id) ?? { event, hours: [] };
    seen.hours.push(line.arrivalHourMs);
    copies.set(event.event_id, seen);
  }
  const kept = [...copies.values()];
  return {
    delivered: kept.length,
    duplicates: kept.reduce((sum, { hours }) => sum + hours.length - 1, 0),
    late: kept.filter(({ hours }) => Math.min(...hours) >= day + DAY_MS).length,
    arrived_after_window: quarantinedLate.size,
    plays_after_window: [...afterWindow].filter((id) => !copies.has(id)).length,
    quarantined: bad + quarantinedLate.size + quarantinedSkew.size,
    kpi_genre_daily: genreKpis(
      kept.map(({ event }) => event),
      date,
      catalog,
      genreOf,
    ),
    kpi_hourly: hourlyKpis(
      kept.map(({ event }) => event),
      date,
      catalog,
    ),
  };
}

/** The most frequent value, ties to the smaller; null when there is none. */
function mode(values: readonly string[]): { value: string; count: number } | null {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  const sorted = [...counts].sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1));
  return sorted.length ? { value: sorted[0][0], count: sorted[0][1] } : null;
}

function average(values: readonly number[]): number | null {
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : null;
}

function genreKpis(
  events: readonly ValidEvent[],
  date: string,
  catalog: ReadonlyMap<string, CatalogFacts>,
  genreOf: (artistId: string) => string,
) {
  const byGenre = new Map<string, ValidEvent[]>();
  for (const event of events) {
    const facts = catalog.get(event.track_id);
    const genre = facts ? genreOf(facts.artist_id) : 'unknown';
    byGenre.set(genre, [...(byGenre.get(genre) ?? []), event]);
  }
  return [...byGenre.keys()].sort().map((genre) => {
    const plays = byGenre.get(genre)!;
    const known = plays.filter((event) => catalog.has(event.track_id));
    const facts = known.map((event) => catalog.get(event.track_id)!);
    const popularity = average(
      facts.filter((f) => f.artist_hotttnesss !== null).map((f) => 100 * f.artist_hotttnesss!),
    );
    const best = mode(known.map((event) => event.track_id));
    return {
      listen_date: date,
      genre,
      listen_count: plays.length,
      avg_track_duration_s: average(facts.filter((f) => f.duration !== null).map((f) => f.duration!)),
      avg_popularity: popularity,
      popularity_index: popularity === null ? null : (plays.length * popularity) / 100,
      top_track_id: best?.value ?? null,
      top_track_plays: best?.count ?? null,
    };
  });
}

function hourlyKpis(events: readonly ValidEvent[], date: string, catalog: ReadonlyMap<string, CatalogFacts>) {
  const rows = [];
  for (let hour = 0; hour < 24; hour++) {
    const plays = events.filter((event) => new Date(event.listenedAtMs).getUTCHours() === hour);
    if (plays.length === 0) continue;
    const tracks = new Set(plays.map((event) => event.track_id)).size;
    const best = mode(
      plays.filter((e) => catalog.has(e.track_id)).map((e) => catalog.get(e.track_id)!.artist_id),
    );
    rows.push({
      listen_date: date,
      listen_hour: hour,
      unique_listeners: new Set(plays.map((event) => event.user_id)).size,
      total_plays: plays.length,
      unique_tracks: tracks,
      track_diversity_index: tracks / plays.length,
      top_artist_id: best?.value ?? null,
      top_artist_plays: best?.count ?? null,
    });
  }
  return rows;
}
