/**
 * Simulated concerts (the Ticketmaster Discovery v2 shaped source of docs/artist-enrichment.md): for each
 * country with cities in geo.ts and each day, a seeded number of music events at the country's venues,
 * each with 1-3 attractions. Most attractions are catalog artists, some with their MusicBrainz link, some
 * spelled differently from the catalog (case, a "The " prefix, accents); some are unknown to the catalog.
 * Everything is a pure function of (seed, scale, country, day), like the rest of the simulator.
 */
import type { Catalog } from './catalog';
import { CITIES, CITIES_BY_COUNTRY, type City } from './geo';
import { ADJECTIVES, FIRST_NAMES, LAST_NAMES, NOUNS } from './names';
import { Rng, cumulativeWeights, mix, tag, uniqueId, unit, zipfRank } from './random';
import type { ScaleSizes } from './scale';
import { formatDay } from './time';

const EVENT = tag('concert-event');
const EVENT_DAY = tag('concert-day');
const VENUE = tag('concert-venue');
const ATTRACTION = tag('concert-attraction');
const UNKNOWN_ATTRACTION = tag('concert-unknown-attraction');
const SPELLING = tag('concert-spelling');
const LATE = tag('concert-late-listed');

export interface ConcertVenue {
  id: string;
  name: string;
  city: { name: string };
  country: { countryCode: string };
}

export interface ConcertAttraction {
  id: string;
  name: string;
  externalLinks?: { musicbrainz: { id: string }[] };
}

/** One event exactly as `GET /discovery/v2/events.json` serves it. */
export interface ConcertEvent {
  id: string;
  name: string;
  type: 'event';
  dates: { start: { localDate: string; localTime?: string } };
  _embedded: { venues: ConcertVenue[]; attractions: ConcertAttraction[] };
}

/** An event and whether it is listed late (see {@link ConcertGenerator.eventsOfDay}). */
export interface GeneratedEvent {
  event: ConcertEvent;
  /** With the "inserted event" fault, absent from a listing's first page and present on its later pages. */
  lateListed: boolean;
}

/** Mean events per day and country at `tiny`, for the country with the most audience; others scale down. */
const TINY_EVENTS_PER_DAY = 3;
/** Scales above `tiny` multiply the daily count by their size over tiny's, up to this factor. */
const MAX_SCALE_FACTOR = 100;
const LOCAL_TIMES = ['19:00:00', '19:30:00', '20:00:00', '20:30:00', '21:00:00'] as const;
const ATTRACTIONS_CUMULATIVE = cumulativeWeights([60, 30, 10]);
const VENUES_PER_CITY = 4;

const COUNTRY_WEIGHT: ReadonlyMap<string, number> = new Map(
  [...CITIES_BY_COUNTRY].map(([country, { cumulative }]) => [country, cumulative[cumulative.length - 1]]),
);
const MAX_COUNTRY_WEIGHT = Math.max(...COUNTRY_WEIGHT.values());

export class ConcertGenerator {
  /** Mean events per day of the country with the most audience. */
  readonly peakEventsPerDay: number;
  private readonly unknownArtists: number;
  private readonly cache = new Map<string, GeneratedEvent[]>();

  constructor(
    readonly seed: number,
    readonly catalog: Catalog,
    scale: ScaleSizes,
    /** Multiplies the daily counts (tests use it to reach 1,000-event windows at `tiny`). */
    readonly density = 1,
  ) {
    if (!Number.isFinite(density) || density <= 0 || density > 1000) {
      throw new Error(`concert density must be a number in (0, 1000]; got ${density}`);
    }
    const factor = Math.min(MAX_SCALE_FACTOR, Math.max(1, scale.itemsPerDay / 200));
    this.peakEventsPerDay = TINY_EVENTS_PER_DAY * factor * density;
    this.unknownArtists = Math.max(20, Math.ceil(catalog.artists / 4));
  }

  /** Mean events per day in `countryCode` (0 for a country without cities). */
  meanEventsPerDay(countryCode: string): number {
    const weight = COUNTRY_WEIGHT.get(countryCode);
    if (weight === undefined) return 0;
    return (this.peakEventsPerDay * (1 + 2 * (weight / MAX_COUNTRY_WEIGHT))) / 3;
  }

  /**
   * The events of one country and day, ordered by id (the API orders by date, then id). About a quarter
   * of the days have one event that is listed late.
   */
  eventsOfDay(countryCode: string, day: number): GeneratedEvent[] {
    const key = `${countryCode}/${day}`;
    const cached = this.cache.get(key);
    if (cached) return cached;
    const events = this.generateDay(countryCode, day);
    // Bounded: a listing reads each of its days once per page, and days repeat across windows.
    if (this.cache.size >= 4096) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(key, events);
    return events;
  }

  /** Events of `countryCode` dated in [startDay, endDay], by date then id. */
  *eventsBetween(countryCode: string, startDay: number, endDay: number): Generator<GeneratedEvent> {
    for (let day = startDay; day <= endDay; day++) yield* this.eventsOfDay(countryCode, day);
  }

  private generateDay(countryCode: string, day: number): GeneratedEvent[] {
    const places = CITIES_BY_COUNTRY.get(countryCode);
    if (!places) return [];
    const countryTag = tag(countryCode);
    const rng = new Rng(mix(this.seed, EVENT_DAY, countryTag, day));
    const mean = this.meanEventsPerDay(countryCode);
    // Uniform in [0.5, 1.5) x mean, rounded at random: the mean holds even below one event a day.
    const raw = mean * (0.5 + rng.next());
    const count = Math.floor(raw) + (rng.next() < raw - Math.floor(raw) ? 1 : 0);
    const date = formatDay(day);
    const idKey = mix(this.seed, EVENT, countryTag, day);
    const events: GeneratedEvent[] = [];
    for (let index = 0; index < count; index++) {
      const eventRng = new Rng(mix(idKey, index));
      const city = eventRng.pickWeighted(places.cities, places.cumulative);
      const attractions = this.attractions(eventRng);
      const headliner = attractions[0].name;
      const style = eventRng.next();
      const name =
        style < 0.5
          ? headliner
          : style < 0.75 || attractions.length === 1
            ? `${headliner} - ${eventRng.pick(ADJECTIVES)} ${eventRng.pick(NOUNS)} Tour`
            : `${headliner} with ${attractions[1].name}`;
      const localTime = eventRng.chance(0.9) ? eventRng.pick(LOCAL_TIMES) : undefined;
      events.push({
        event: {
          id: uniqueId('G5v', idKey, index),
          name,
          type: 'event',
          dates: { start: localTime ? { localDate: date, localTime } : { localDate: date } },
          _embedded: { venues: [this.venue(city, eventRng.int(0, VENUES_PER_CITY - 1))], attractions },
        },
        lateListed: false,
      });
    }
    events.sort((a, b) => (a.event.id < b.event.id ? -1 : a.event.id > b.event.id ? 1 : 0));
    const lateRng = new Rng(mix(this.seed, LATE, countryTag, day));
    if (events.length > 0 && lateRng.chance(0.25))
      events[lateRng.int(0, events.length - 1)].lateListed = true;
    return events;
  }

  private venue(city: City, index: number): ConcertVenue {
    const cityIndex = CITIES.indexOf(city);
    const rng = new Rng(mix(this.seed, VENUE, cityIndex, index));
    const names = [
      `${city.name} Arena`,
      `${city.name} Music Hall`,
      `The ${rng.pick(NOUNS)} Club`,
      `${rng.pick(ADJECTIVES)} ${rng.pick(NOUNS)} Theatre`,
    ];
    return {
      id: uniqueId('KovZ', mix(this.seed, VENUE), cityIndex * VENUES_PER_CITY + index),
      name: names[index % names.length],
      city: { name: city.name },
      country: { countryCode: city.country },
    };
  }

  /** 1-3 distinct attractions: 80% catalog artists (popular ones more often), 20% unknown to the catalog. */
  private attractions(rng: Rng): ConcertAttraction[] {
    const wanted = rng.pickWeighted([1, 2, 3], ATTRACTIONS_CUMULATIVE);
    const chosen: ConcertAttraction[] = [];
    for (let draw = 0; draw < wanted * 4 && chosen.length < wanted; draw++) {
      const attraction = rng.chance(0.8)
        ? this.catalogAttraction(zipfRank(rng.next(), this.catalog.size))
        : this.unknownAttraction(zipfRank(rng.next(), this.unknownArtists));
      if (!chosen.some((other) => other.id === attraction.id)) chosen.push(attraction);
    }
    return chosen;
  }

  /** The attraction of the artist of catalog song `songIndex`: one id and one spelling per artist. */
  private catalogAttraction(songIndex: number): ConcertAttraction {
    const song = this.catalog.song(songIndex);
    const artistKey = tag(song.artist_id);
    const rng = new Rng(mix(this.seed, SPELLING, artistKey));
    const attraction: ConcertAttraction = {
      id: uniqueId('K8vZ9', mix(this.seed, ATTRACTION), artistKey),
      name: respell(song.artist_name ?? song.artist_id, rng),
    };
    if (song.artist_mbid !== null && rng.chance(0.7)) {
      attraction.externalLinks = { musicbrainz: [{ id: song.artist_mbid }] };
    }
    return attraction;
  }

  private unknownAttraction(index: number): ConcertAttraction {
    const rng = new Rng(mix(this.seed, UNKNOWN_ATTRACTION, index));
    const form = unit(mix(this.seed, UNKNOWN_ATTRACTION, index, 1));
    // Forms no catalog name takes ("The <adjective> <band noun>" or "<first> <last>"), so none matches.
    const name =
      form < 0.4
        ? `DJ ${rng.pick(NOUNS)} ${index + 1}`
        : form < 0.7
          ? `${rng.pick(ADJECTIVES)} ${rng.pick(NOUNS)} Collective ${index + 1}`
          : `${rng.pick(FIRST_NAMES)} ${rng.pick(LAST_NAMES)} Trio ${index + 1}`;
    const attraction: ConcertAttraction = {
      id: uniqueId('K8vZ8', mix(this.seed, UNKNOWN_ATTRACTION), index),
      name,
    };
    if (rng.chance(0.3)) attraction.externalLinks = { musicbrainz: [{ id: rng.uuid() }] };
    return attraction;
  }
}

const ACCENTED: Readonly<Record<string, string>> = { e: 'é', a: 'á', o: 'ö', u: 'ü', i: 'í' };

/**
 * The catalog name as the concerts source spells it: mostly the same, else in another case, with the
 * leading "The " added or dropped, or with accents; all of which a normalized name match undoes.
 */
export function respell(name: string, rng: Rng): string {
  const roll = rng.next();
  if (roll < 0.55) return name;
  if (roll < 0.65) return name.toLowerCase();
  if (roll < 0.75) return name.toUpperCase();
  if (roll < 0.85) return name.startsWith('The ') ? name.slice(4) : `The ${name}`;
  return name.replace(/[aeiou]/, (vowel) => ACCENTED[vowel] ?? vowel);
}
