/**
 * The songs catalog (`deftunes.songs`, Million Song Dataset shaped). Song `index` is also its popularity
 * rank (0 = the most bought), so sessions draw songs with `zipfRank`. Artists own a Zipf-like share of the
 * catalog, so a few artists have many songs and most have one or two.
 */
import type { SongRecord } from '../../../lambdas/shared/contracts';
import { ADJECTIVES, BAND_NOUNS, FIRST_NAMES, LAST_NAMES, NOUNS } from './names';
import { Rng, cumulativeWeights, mix, tag, uniqueId, zipfRank } from './random';

const SONG = tag('song');
const ARTIST = tag('artist');
const TRACK_KEY = tag('track-id');
const SONG_KEY = tag('song-id');
const ARTIST_KEY = tag('artist-id');

/** Store prices in USD; cheap tiers are the common ones. */
export const PRICE_TIERS = [0.33, 0.49, 0.69, 0.79, 0.99, 1.29, 1.49, 1.99] as const;
const PRICE_CUMULATIVE = cumulativeWeights([6, 10, 14, 10, 30, 14, 10, 6]);

/** A catalog song: the `deftunes.songs` row plus the store's list price (the API's `price`). */
export interface CatalogSong extends SongRecord {
  artist_id: string;
  price: number;
}

/** A catalog artist: the artist columns of `deftunes.songs`. */
export interface Artist {
  artist_id: string;
  artist_mbid: string | null;
  artist_name: string;
  artist_familiarity: number | null;
  artist_hotttnesss: number | null;
}

export class Catalog {
  readonly artists: number;

  constructor(
    readonly seed: number,
    readonly size: number,
  ) {
    this.artists = Math.max(1, Math.ceil(size / 8));
  }

  trackId(index: number): string {
    return uniqueId('TR', mix(this.seed, TRACK_KEY), index);
  }

  /** A well-formed track id that is not in the catalog (for the `unknown_track_id` fault). */
  unknownTrackId(salt: number): string {
    return this.trackId(this.size + (salt % 1_000_000_000));
  }

  song(index: number): CatalogSong {
    const rng = new Rng(mix(this.seed, SONG, index));
    const artistIndex = zipfRank(rng.next(), this.artists);
    const artist = this.artist(artistIndex);
    const releaseRng = new Rng(mix(this.seed, ARTIST, artistIndex, rng.int(1, 6)));
    const title = rng.chance(0.5) ? `${rng.pick(ADJECTIVES)} ${rng.pick(NOUNS)}` : rng.pick(NOUNS);
    return {
      track_id: this.trackId(index),
      title: rng.chance(0.005) ? null : title,
      song_id: uniqueId('SO', mix(this.seed, SONG_KEY), index),
      release: `${releaseRng.pick(ADJECTIVES)} ${releaseRng.pick(NOUNS)}s`,
      ...artist,
      duration: Math.round((90 + rng.next() * 390) * 1e5) / 1e5,
      year: rng.chance(0.45) ? 0 : rng.int(1956, 2010),
      track_7digitalid: rng.int(1000, 9_999_999),
      shs_perf: rng.chance(0.05) ? rng.int(1, 200_000) : -1,
      shs_work: rng.chance(0.05) ? rng.int(1, 30_000) : 0,
      price: rng.pickWeighted(PRICE_TIERS, PRICE_CUMULATIVE),
    };
  }

  /** Every song, in index order, generated one at a time. */
  *songs(): Generator<CatalogSong> {
    for (let index = 0; index < this.size; index++) yield this.song(index);
  }

  /** Artist `index` (0 = the artist most songs belong to); an index may own no song at all. */
  artist(index: number): Artist {
    const rng = new Rng(mix(this.seed, ARTIST, index));
    const mbid = rng.keyedUuid(index);
    return {
      artist_id: uniqueId('AR', mix(this.seed, ARTIST_KEY), index),
      artist_mbid: rng.chance(0.03) ? null : mbid,
      artist_name: artistName(this.seed, index),
      artist_familiarity: rng.chance(0.01) ? null : Math.round(rng.next() * 1e6) / 1e6,
      artist_hotttnesss: rng.chance(0.01) ? null : Math.round(rng.next() * 0.9 * 1e6) / 1e6,
    };
  }
}

const BAND_NAMES = ADJECTIVES.length * BAND_NOUNS.length;
const DISTINCT_NAMES = BAND_NAMES + FIRST_NAMES.length * LAST_NAMES.length;

/**
 * Distinct artist names: a seeded bijection of the index onto the name combinations, then a numeral for
 * each further round, so two artists never merge in `sales_per_artist_vw`.
 */
function artistName(seed: number, index: number): string {
  const slot =
    ((((index % DISTINCT_NAMES) * 1009 + (seed % DISTINCT_NAMES)) % DISTINCT_NAMES) + DISTINCT_NAMES) %
    DISTINCT_NAMES;
  const round = Math.floor(index / DISTINCT_NAMES);
  const name =
    slot < BAND_NAMES
      ? `The ${ADJECTIVES[slot % ADJECTIVES.length]} ${BAND_NOUNS[Math.floor(slot / ADJECTIVES.length)]}`
      : `${FIRST_NAMES[(slot - BAND_NAMES) % FIRST_NAMES.length]} ${LAST_NAMES[Math.floor((slot - BAND_NAMES) / FIRST_NAMES.length)]}`;
  return round === 0 ? name : `${name} ${round + 1}`;
}
