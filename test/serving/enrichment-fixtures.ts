/**
 * The enrichment sources of the serving fixture (concerts, concert_windows, artist_stats, quarantine), on
 * the story's days (fixtures.ts).
 *
 * Story: the catalog's artists are Aurora Lane (a1, mbid `mbid-<id>`), Basalt (a2), Cobalt Choir (a3) and,
 * from 2025-01-02, Delta Dawn (a4); Lost Tapes is sold but not in the catalog. On 2024-03-01 the concerts
 * API lists: e1 in London (Aurora Lane by mbid, "The Basalt!" by name only), e2 in Paris (Unknown Band,
 * matched by nothing), e3 in Berlin ("Cobalt  Choir" whose mbid is not the catalog's: matched by name, and
 * "Basalt" carrying Aurora Lane's mbid: matched to Aurora Lane) and one event without attractions that the
 * transform quarantined. On 2024-03-02 the snapshot changes: e2 is
 * gone, e4 (Aurora Lane in New York) is new. 2024-03-03 lands nothing. On 2025-01-02: e5, Delta Dawn
 * (mbid) in Paris. Statistics: a1 found on 2024-03-01 (tag "Indie Pop") and again on 2024-03-02 ("Dream
 * Pop"); a2 found without tags; a3 not found; a4 found on 2025-01-02.
 */
import type { TransformTable } from '../../lambdas/shared/platform-names';

type Value = string | number | boolean | null;
type Row = Record<string, Value>;

export const ENRICHMENT_TABLES = [
  'concerts',
  'concert_windows',
  'artist_stats',
  'quarantine',
] as const satisfies readonly TransformTable[];
export type EnrichmentTable = (typeof ENRICHMENT_TABLES)[number];

const A = {
  a1: 'ARAAAAAAAAAAAAAAA1',
  a2: 'ARBBBBBBBBBBBBBBB2',
  a3: 'ARCCCCCCCCCCCCCCC3',
  a4: 'ARDDDDDDDDDDDDDDD4',
};

interface Venue {
  readonly id: string;
  readonly name: string;
  readonly city: string;
  readonly country: string;
}
const VENUES: Record<string, Venue> = {
  london: { id: 'V-LON', name: 'O2 Academy', city: 'London', country: 'GB' },
  paris: { id: 'V-PAR', name: 'Olympia', city: 'Paris', country: 'FR' },
  berlin: { id: 'V-BER', name: 'Columbiahalle', city: 'Berlin', country: 'DE' },
  newYork: { id: 'V-NYC', name: 'Bowery Ballroom', city: 'New York', country: 'US' },
};

function concert(
  day: string,
  event: string,
  date: string,
  venue: Venue,
  attractions: ReadonlyArray<readonly [id: string, name: string, mbid: string | null]>,
): Row[] {
  return attractions.map(([id, name, mbid], index) => ({
    event_id: event,
    event_name: `${attractions[0][1]} live`,
    event_date: date,
    event_local_time: '20:00:00',
    venue_id: venue.id,
    venue_name: venue.name,
    venue_city: venue.city,
    venue_country_code: venue.country,
    attraction_id: id,
    attraction_name: name,
    attraction_mbid: mbid,
    attraction_rank: index + 1,
    ingest_on: day,
    processing_timestamp: `${day} 04:00:00`,
    source_from: 'ext/concerts',
  }));
}

const AURORA = ['K-AUR', 'Aurora Lane', `mbid-${A.a1}`] as const;
const BASALT_BY_NAME = ['K-BAS', 'The Basalt!', null] as const;
const UNKNOWN = ['K-UNK', 'Unknown Band', 'mbid-unknown'] as const;
const COBALT_BY_NAME = ['K-COB', 'Cobalt  Choir', 'mbid-not-the-catalogs'] as const;
const DELTA = ['K-DEL', 'Delta Dawn', `mbid-${A.a4}`] as const;
/** Named like Basalt, with Aurora Lane's mbid: the mbid wins. */
const MBID_OVER_NAME = ['K-MIX', 'Basalt', `mbid-${A.a1}`] as const;

function concertsOn(day: string): Row[] {
  switch (day) {
    case '2024-03-01':
      return [
        ...concert(day, 'e1', '2024-03-10', VENUES.london, [AURORA, BASALT_BY_NAME]),
        ...concert(day, 'e2', '2024-03-12', VENUES.paris, [UNKNOWN]),
        ...concert(day, 'e3', '2024-03-15', VENUES.berlin, [COBALT_BY_NAME, MBID_OVER_NAME]),
      ];
    case '2024-03-02':
      return [
        ...concert(day, 'e1', '2024-03-10', VENUES.london, [AURORA, BASALT_BY_NAME]),
        ...concert(day, 'e3', '2024-03-15', VENUES.berlin, [COBALT_BY_NAME]),
        ...concert(day, 'e4', '2024-03-20', VENUES.newYork, [AURORA]),
      ];
    case '2025-01-02':
      return concert(day, 'e5', '2025-01-20', VENUES.paris, [DELTA]);
    default:
      return [];
  }
}

function windowsOn(day: string): Row[] {
  const window = (country: string, total: number): Row => ({
    country_code: country,
    start_date: day,
    end_date: day,
    total_elements: total,
    pages: total > 0 ? 1 : 0,
    records: total,
    ingest_on: day,
  });
  switch (day) {
    // 3 events landed and 1 quarantined (no attractions): 4 announced.
    case '2024-03-01':
      return [window('GB', 2), window('FR', 1), window('DE', 1)];
    case '2024-03-02':
      return [window('GB', 1), window('DE', 1), window('US', 1)];
    case '2025-01-02':
      return [window('FR', 1)];
    default:
      return [];
  }
}

function quarantineOn(day: string): Row[] {
  if (day !== '2024-03-01') return [];
  return [
    {
      source: 'concerts',
      ingest_on: day,
      reason: 'the event has no attractions',
      raw_record: '{"id": "e9", "_embedded": {"venues": [{"id": "V-LON"}], "attractions": []}}',
      source_from: 'ext/concerts',
      processing_timestamp: `${day} 04:00:00`,
    },
  ];
}

function stats(
  day: string,
  artist: string,
  found: boolean,
  values: { tag?: string | null; listeners?: number; playcount?: number } = {},
): Row {
  return {
    artist_id: artist,
    lookup: 'mbid',
    found,
    stats_name: found ? artist : null,
    stats_mbid: found ? `mbid-${artist}` : null,
    listeners: found ? (values.listeners ?? 1000) : null,
    playcount: found ? (values.playcount ?? 50_000) : null,
    top_tag: found ? (values.tag ?? null) : null,
    ingest_on: day,
    processing_timestamp: `${day} 04:30:00`,
    source_from: 'ext/artist_stats',
  };
}

function artistStatsOn(day: string): Row[] {
  switch (day) {
    case '2024-03-01':
      return [
        stats(day, A.a1, true, { tag: 'Indie Pop', listeners: 1000 }),
        stats(day, A.a2, true, { tag: null, listeners: 250 }),
        stats(day, A.a3, false),
      ];
    case '2024-03-02':
      return [stats(day, A.a1, true, { tag: 'Dream Pop', listeners: 1200, playcount: 60_000 })];
    case '2025-01-02':
      return [stats(day, A.a4, true, { tag: 'Synthwave', listeners: 10 })];
    default:
      return [];
  }
}

/** The rows `table` holds in the partition of `day`. */
export function enrichmentRowsOn(table: EnrichmentTable, day: string): Row[] {
  const rowsOn: Record<EnrichmentTable, (day: string) => Row[]> = {
    concerts: concertsOn,
    concert_windows: windowsOn,
    artist_stats: artistStatsOn,
    quarantine: quarantineOn,
  };
  return rowsOn[table](day);
}

/** The enrichment tables' rows once the given days have been transformed. */
export function enrichmentRowsOf(days: readonly string[]): Record<EnrichmentTable, Row[]> {
  return Object.fromEntries(
    ENRICHMENT_TABLES.map((table) => [table, days.flatMap((day) => enrichmentRowsOn(table, day))]),
  ) as Record<EnrichmentTable, Row[]>;
}
