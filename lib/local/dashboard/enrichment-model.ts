/**
 * The artist-enrichment panels' data (docs/artist-enrichment.md, Serving): the three BI views as the page
 * embeds them, money in integer cents and dates as ISO text. The views are not by day, so the page's date
 * range does not apply to them; its country filter does (the venue's country, the buyers' country).
 */

/** `artist_top_song_vw`: each artist's most sold song. */
export interface ArtistTopSong {
  readonly artist: string;
  readonly genre: string;
  readonly song: string;
  readonly trackId: string;
  readonly items: number;
  readonly revenueCents: number;
}

/** `concert_locations_vw`: concerts per venue country and city. */
export interface ConcertLocation {
  readonly country: string;
  readonly city: string;
  readonly concerts: number;
  readonly artists: number;
  readonly firstDate: string;
  readonly lastDate: string;
}

/** `artist_sales_vs_concerts_vw`: per artist and country, sales beside upcoming concerts. */
export interface SalesVsConcerts {
  readonly artist: string;
  readonly country: string;
  readonly items: number;
  readonly revenueCents: number;
  readonly upcomingConcerts: number;
}

export interface EnrichmentPanelsData {
  readonly topSongs: readonly ArtistTopSong[];
  readonly concertLocations: readonly ConcertLocation[];
  readonly salesVsConcerts: readonly SalesVsConcerts[];
}

export const NO_ENRICHMENT: EnrichmentPanelsData = {
  topSongs: [],
  concertLocations: [],
  salesVsConcerts: [],
};
