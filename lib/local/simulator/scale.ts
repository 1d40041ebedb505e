/**
 * How much data the simulator produces. A named scale or a numeric factor (1 = 1,000 songs, 1,000 users
 * and 1,000 session items per day).
 */

export interface ScaleSizes {
  /** The scale as given: a name or the factor. */
  name: string;
  /** Rows of `deftunes.songs`. */
  songs: number;
  /** Users registered by the demo epoch (2020-01-01); users keep joining at the same rate after it. */
  usersAtEpoch: number;
  /** Target session items per day (the daily count varies by weekday and day, around this). */
  itemsPerDay: number;
  /** Target listening events (plays) per day: {@link PLAYS_PER_ITEM} times the session items. */
  playsPerDay: number;
}

/** Plays per session item: people listen far more than they buy (docs/listening-events.md, Local). */
export const PLAYS_PER_ITEM = 10;

export const SCALES: Readonly<Record<string, Omit<ScaleSizes, 'name' | 'playsPerDay'>>> = {
  tiny: { songs: 300, usersAtEpoch: 100, itemsPerDay: 200 },
  small: { songs: 100_000, usersAtEpoch: 20_000, itemsPerDay: 20_000 },
  medium: { songs: 300_000, usersAtEpoch: 200_000, itemsPerDay: 200_000 },
  // Sized so that a day is >= 1M session items even on its quietest weekday (daily factor >= 0.93).
  large: { songs: 1_000_000, usersAtEpoch: 1_000_000, itemsPerDay: 1_100_000 },
};

export const SCALE_NAMES = Object.keys(SCALES);

/** Resolves `tiny|small|medium|large` or a positive number (also as a string, e.g. `"2.5"`). */
export function resolveScale(scale: string | number | undefined): ScaleSizes {
  const given = scale ?? 'tiny';
  if (typeof given === 'string' && given in SCALES) return withPlays({ name: given, ...SCALES[given] });
  const factor = typeof given === 'number' ? given : /^\d+(\.\d+)?$/.test(given.trim()) ? Number(given) : NaN;
  if (!Number.isFinite(factor) || factor <= 0 || factor > 10_000) {
    throw new Error(
      `scale must be one of ${SCALE_NAMES.join(', ')} or a number in (0, 10000] (1 = 1,000 songs, users and daily items); got ${JSON.stringify(given)}`,
    );
  }
  const size = (base: number) => Math.max(1, Math.round(base * factor));
  return withPlays({
    name: String(factor),
    songs: size(1000),
    usersAtEpoch: size(1000),
    itemsPerDay: size(1000),
  });
}

function withPlays(sizes: Omit<ScaleSizes, 'playsPerDay'>): ScaleSizes {
  return { ...sizes, playsPerDay: sizes.itemsPerDay * PLAYS_PER_ITEM };
}
