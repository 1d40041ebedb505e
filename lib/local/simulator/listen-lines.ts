/**
 * The JSON line of a play, as the app sends it to Firehose (docs/listening-events.md, The event), and the
 * bad lines a real stream carries: cut off, a field missing, a value that is not what the contract says.
 * Every bad line is unambiguous whatever parser reads it (no uuid without dashes, no date Spark might read
 * leniently), so the transform's quarantine and the simulator's truth agree line for line.
 */
import { Rng, cumulativeWeights, dayIndexKey } from './random';

/** One play's true values (what the line says when it is not bad). */
export interface PlayFields {
  event_id: string;
  user_id: string;
  track_id: string;
  /** The event time (ms since the epoch, UTC). */
  listenedAtMs: number;
  /** The device clock's UTC offset in minutes (the text of `listened_at` shows it; the instant is the same). */
  offsetMinutes: number;
  ms_played: number;
  device: string;
}

export const BAD_LINE_KINDS = [
  'malformed_json',
  'missing_event_id',
  'bad_user_id',
  'bad_track_id',
  'bad_listened_at',
  'negative_ms_played',
] as const;
export type BadLineKind = (typeof BAD_LINE_KINDS)[number];
const BAD_KIND_CUMULATIVE = cumulativeWeights([2, 2, 1, 1, 1, 1]);

/** The field a bad line's reason names (`line` when the line is not a JSON object at all). */
export const BAD_LINE_FIELD: Readonly<Record<BadLineKind, string>> = {
  malformed_json: 'line',
  missing_event_id: 'event_id',
  bad_user_id: 'user_id',
  bad_track_id: 'track_id',
  bad_listened_at: 'listened_at',
  negative_ms_played: 'ms_played',
};

const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));

function hex32(value: number): string {
  return HEX[value >>> 24] + HEX[(value >>> 16) & 255] + HEX[(value >>> 8) & 255] + HEX[value & 255];
}

/**
 * A play's `event_id`: what `rng.keyedUuid(dayIndexKey(day, index))` returns (unique per play), by table:
 * Rng's string work is too slow for every play.
 */
export function playEventId(rng: Rng, day: number, index: number): string {
  const a = hex32(rng.uint32());
  const b = hex32(((rng.uint32() & 0xffff0fff) | 0x4000) >>> 0);
  const c = hex32(((rng.uint32() & 0x3fffffff) | 0x80000000) >>> 0);
  rng.uint32(); // the random tail keyedUuid draws and replaces by the key: the rest of the play stays as it was
  const key = dayIndexKey(day, index).toString(16).padStart(12, '0');
  return `${a}-${b.slice(0, 4)}-${b.slice(4)}-${c.slice(0, 4)}-${key}`;
}

/** `listened_at` as a device writes it: ISO 8601 with milliseconds and its own offset (`Z` at UTC). */
export function formatListenedAt(ms: number, offsetMinutes: number): string {
  const local = new Date(ms + offsetMinutes * 60_000).toISOString().slice(0, 23);
  if (offsetMinutes === 0) return `${local}Z`;
  const sign = offsetMinutes < 0 ? '-' : '+';
  const minutes = Math.abs(offsetMinutes);
  const hh = String(Math.floor(minutes / 60)).padStart(2, '0');
  const mm = String(minutes % 60).padStart(2, '0');
  return `${local}${sign}${hh}:${mm}`;
}

/** The line of a good play. Every value is plain ASCII without quotes, so a template is exact JSON. */
export function playLine(play: PlayFields): string {
  return (
    `{"event_id":"${play.event_id}","user_id":"${play.user_id}","track_id":"${play.track_id}",` +
    `"listened_at":"${formatListenedAt(play.listenedAtMs, play.offsetMinutes)}",` +
    `"ms_played":${play.ms_played},"device":"${play.device}"}`
  );
}

/** Picks how a bad play's line is broken, from the play's own stream `rng`. */
export function badLineKind(rng: Rng): BadLineKind {
  return rng.pickWeighted(BAD_LINE_KINDS, BAD_KIND_CUMULATIVE);
}

/** The line of `play` broken in the way `kind` says (`rng` draws the details). */
export function badLine(play: PlayFields, kind: BadLineKind, rng: Rng): string {
  const object: Record<string, unknown> = JSON.parse(playLine(play));
  switch (kind) {
    case 'malformed_json': {
      // Any proper prefix of a JSON object is not JSON: a record cut off in the app's buffer.
      const line = playLine(play);
      return line.slice(0, Math.max(1, Math.floor(line.length * (0.2 + 0.7 * rng.next()))));
    }
    case 'missing_event_id':
      delete object.event_id;
      break;
    case 'bad_user_id':
      object.user_id = rng.chance(0.5)
        ? play.user_id.slice(0, -1)
        : `${play.user_id.slice(0, 9)}zz${play.user_id.slice(11)}`;
      break;
    case 'bad_track_id':
      object.track_id = rng.chance(0.5) ? play.track_id.slice(0, 10) : '';
      break;
    case 'bad_listened_at':
      object.listened_at = rng.pick(['yesterday', 'not a time', '']);
      break;
    case 'negative_ms_played':
      object.ms_played = -(play.ms_played + 1);
      break;
  }
  return JSON.stringify(object);
}
