/**
 * Simulated artist statistics (the Last.fm 2.0 shaped source of docs/artist-enrichment.md) for the
 * catalog's artists: listeners and playcount (strings, as Last.fm sends them) and tags ordered by weight
 * (the first is the top tag, from a list of genres). Some artists are known by their MusicBrainz id, some
 * only by name (their mbid answers error 6), some not at all (error 6 either way). Pure functions of
 * (seed, artist index), like the rest of the simulator.
 */
import type { Artist, Catalog } from './catalog';
import { CITIES_BY_COUNTRY } from './geo';
import { Rng, mix, tag, unit } from './random';

const STATS = tag('artist-stats');
const GEO = tag('artist-stats-geo');

export const GENRES = [
  'rock',
  'pop',
  'indie',
  'electronic',
  'hip-hop',
  'jazz',
  'folk',
  'metal',
  'soul',
  'blues',
  'country',
  'punk',
  'rnb',
  'classical',
  'reggae',
  'ambient',
  'alternative',
  'singer-songwriter',
] as const;

/** English names of the countries with cities (geo.gettopartists takes a country name, as Last.fm does). */
export const COUNTRY_NAMES: Readonly<Record<string, string>> = {
  US: 'United States',
  GB: 'United Kingdom',
  DE: 'Germany',
  FR: 'France',
  BR: 'Brazil',
  MX: 'Mexico',
  IN: 'India',
  CA: 'Canada',
  AU: 'Australia',
  ZA: 'South Africa',
  JP: 'Japan',
  IT: 'Italy',
  ES: 'Spain',
  SE: 'Sweden',
  PT: 'Portugal',
  PL: 'Poland',
  NZ: 'New Zealand',
  NL: 'Netherlands',
  NG: 'Nigeria',
  KR: 'Korea, Republic of',
  IE: 'Ireland',
  CO: 'Colombia',
  CL: 'Chile',
  AR: 'Argentina',
};

/** How the statistics source knows an artist. */
export type StatsPresence = 'mbid' | 'name_only' | 'unknown';

/** `artist.getinfo`'s `artist` object, exactly as served. */
export interface ArtistInfo {
  name: string;
  mbid: string;
  url: string;
  stats: { listeners: string; playcount: string };
  tags: { tag: { name: string; url: string }[] };
}

/** A catalog artist and what the extraction of its statistics must land (see artistStatsTruth). */
export interface ArtistStatsExpectation {
  artist_id: string;
  artist_mbid: string | null;
  artist_name: string;
  lookup: 'mbid' | 'name';
  found: boolean;
  response: ArtistInfo | null;
}

export interface TopArtistsPage {
  topartists: {
    artist: { name: string; mbid: string; listeners: string; url: string }[];
    '@attr': { country: string; page: string; perPage: string; totalPages: string; total: string };
  };
}

export class ArtistStatsSource {
  private byMbid?: Map<string, number>;
  private byName?: Map<string, number>;
  private catalogArtists?: { index: number; artist: Artist }[];
  private readonly topByCountry = new Map<string, { index: number; listeners: number }[]>();

  constructor(
    readonly seed: number,
    readonly catalog: Catalog,
  ) {}

  presence(index: number): StatsPresence {
    const roll = unit(mix(this.seed, STATS, index, 1));
    if (this.catalog.artist(index).artist_mbid === null) return roll < 0.85 ? 'name_only' : 'unknown';
    return roll < 0.75 ? 'mbid' : roll < 0.9 ? 'name_only' : 'unknown';
  }

  /** The `artist` object of artist `index` (whatever its presence). */
  info(index: number): ArtistInfo {
    const artist = this.catalog.artist(index);
    const rng = new Rng(mix(this.seed, STATS, index));
    const listeners = Math.max(1, Math.floor((3_000_000 / (1 + index) ** 0.7) * (0.5 + rng.next())));
    const tagCount = rng.chance(0.08) ? 0 : rng.int(1, 4);
    const tags: string[] = [];
    while (tags.length < tagCount) {
      const genre = rng.pick(GENRES);
      if (!tags.includes(genre)) tags.push(genre);
    }
    return {
      name: artist.artist_name,
      mbid: this.presence(index) === 'mbid' ? (artist.artist_mbid ?? '') : '',
      url: lastFmUrl(artist.artist_name),
      stats: { listeners: String(listeners), playcount: String(listeners * rng.int(3, 60)) },
      // Last.fm tags are mostly lower case; some come capitalized, which the serving layer lower-cases.
      tags: {
        tag: tags.map((name) => ({
          name: rng.chance(0.2) ? name[0].toUpperCase() + name.slice(1) : name,
          url: `https://www.last.fm/tag/${name}`,
        })),
      },
    };
  }

  /** `artist.getinfo&mbid=`: the artist, or undefined for error 6. */
  byMbidLookup(mbid: string): ArtistInfo | undefined {
    this.byMbid ??= this.indexArtists(
      (index) => this.presence(index) === 'mbid',
      (a) => a.artist_mbid,
    );
    const index = this.byMbid.get(mbid.toLowerCase());
    return index === undefined ? undefined : this.info(index);
  }

  /** `artist.getinfo&artist=`: case-insensitive, as Last.fm's; undefined for error 6. */
  byNameLookup(name: string): ArtistInfo | undefined {
    this.byName ??= this.indexArtists(
      (index) => this.presence(index) !== 'unknown',
      (artist) => artist.artist_name,
    );
    const index = this.byName.get(name.toLowerCase());
    return index === undefined ? undefined : this.info(index);
  }

  /**
   * What the extraction must land for each artist of the catalog (distinct artists of `deftunes.songs`,
   * by artist_id): by mbid when it has one and the source knows it by mbid, else by name, else not found.
   */
  expectations(): ArtistStatsExpectation[] {
    return this.artistsInCatalog().map(({ index, artist }) => {
      const presence = this.presence(index);
      const found = presence !== 'unknown';
      return {
        artist_id: artist.artist_id,
        artist_mbid: artist.artist_mbid,
        artist_name: artist.artist_name,
        lookup: presence === 'mbid' ? 'mbid' : 'name',
        found,
        response: found ? this.info(index) : null,
      };
    });
  }

  /** `geo.gettopartists`: known artists by listeners in the country; undefined for an unknown country. */
  topArtists(countryName: string, page: number, limit: number): TopArtistsPage | undefined {
    const code = Object.keys(COUNTRY_NAMES).find(
      (candidate) => COUNTRY_NAMES[candidate].toLowerCase() === countryName.toLowerCase(),
    );
    if (code === undefined || !CITIES_BY_COUNTRY.has(code)) return undefined;
    let ranking = this.topByCountry.get(code);
    if (!ranking) {
      ranking = [];
      for (let index = 0; index < this.catalog.artists; index++) {
        if (this.presence(index) === 'unknown') continue;
        const share = 0.02 + 0.3 * unit(mix(this.seed, GEO, tag(code), index));
        ranking.push({ index, listeners: Math.floor(Number(this.info(index).stats.listeners) * share) });
      }
      ranking.sort((a, b) => b.listeners - a.listeners || a.index - b.index);
      this.topByCountry.set(code, ranking);
    }
    const slice = ranking.slice((page - 1) * limit, page * limit);
    return {
      topartists: {
        artist: slice.map(({ index, listeners }) => {
          const info = this.info(index);
          return { name: info.name, mbid: info.mbid, listeners: String(listeners), url: info.url };
        }),
        '@attr': {
          country: COUNTRY_NAMES[code],
          page: String(page),
          perPage: String(limit),
          totalPages: String(Math.ceil(ranking.length / limit)),
          total: String(ranking.length),
        },
      },
    };
  }

  /** Artists owning at least one song, each once, in order of first song. */
  private artistsInCatalog(): { index: number; artist: Artist }[] {
    if (!this.catalogArtists) {
      const indexById = new Map<string, number>();
      for (let index = 0; index < this.catalog.artists; index++) {
        indexById.set(this.catalog.artist(index).artist_id, index);
      }
      const seen = new Set<string>();
      this.catalogArtists = [];
      for (const song of this.catalog.songs()) {
        if (seen.has(song.artist_id)) continue;
        seen.add(song.artist_id);
        const index = indexById.get(song.artist_id)!;
        this.catalogArtists.push({ index, artist: this.catalog.artist(index) });
      }
    }
    return this.catalogArtists;
  }

  private indexArtists(
    include: (index: number) => boolean,
    keyOf: (artist: Artist) => string | null,
  ): Map<string, number> {
    const map = new Map<string, number>();
    for (let index = 0; index < this.catalog.artists; index++) {
      if (!include(index)) continue;
      const key = keyOf(this.catalog.artist(index));
      if (key !== null && !map.has(key.toLowerCase())) map.set(key.toLowerCase(), index);
    }
    return map;
  }
}

function lastFmUrl(name: string): string {
  return `https://www.last.fm/music/${encodeURIComponent(name).replace(/%20/g, '+')}`;
}
