/**
 * The enrichment sources of a simulated world (concerts and artist statistics) and their ground truth:
 * what an extraction for a run date must land, whatever faults the server injected on the way.
 */
import type { Catalog } from './catalog';
import { ArtistStatsSource, type ArtistStatsExpectation } from './artist-stats';
import { ConcertGenerator, type ConcertEvent } from './concerts';
import type { ScaleSizes } from './scale';
import { formatDay, parseDay } from './time';

/** Every event a concerts extraction for `run_date` must land, exactly once each. */
export interface ConcertsTruth {
  run_date: string;
  /** run_date + 1 .. run_date + horizon_days. */
  start_date: string;
  end_date: string;
  countries: { country_code: string; events: number; attractions: number }[];
  /** Ordered by country (as asked), date, id; exactly as served. */
  events: (ConcertEvent & { country_code: string })[];
}

export class EnrichmentWorld {
  readonly concerts: ConcertGenerator;
  readonly artistStats: ArtistStatsSource;

  constructor(seed: number, catalog: Catalog, scale: ScaleSizes, concertDensity?: number) {
    this.concerts = new ConcertGenerator(seed, catalog, scale, concertDensity);
    this.artistStats = new ArtistStatsSource(seed, catalog);
  }

  concertsTruth(runDate: string, countries: readonly string[], horizonDays: number): ConcertsTruth {
    if (!Number.isInteger(horizonDays) || horizonDays < 1) {
      throw new Error(`horizon days must be a whole number >= 1; got ${horizonDays}`);
    }
    const runDay = parseDay(runDate, 'run date');
    const truth: ConcertsTruth = {
      run_date: runDate,
      start_date: formatDay(runDay + 1),
      end_date: formatDay(runDay + horizonDays),
      countries: [],
      events: [],
    };
    for (const country of countries) {
      let events = 0;
      let attractions = 0;
      for (const { event } of this.concerts.eventsBetween(country, runDay + 1, runDay + horizonDays)) {
        truth.events.push({ ...event, country_code: country });
        events++;
        attractions += event._embedded.attractions.length;
      }
      truth.countries.push({ country_code: country, events, attractions });
    }
    return truth;
  }

  /**
   * For every artist of the catalog, what an artist-statistics extraction must land when it looks the
   * artist up (a run looks up its slice of them; see lambdas/extract-artist-stats).
   */
  artistStatsTruth(): ArtistStatsExpectation[] {
    return this.artistStats.expectations();
  }
}
