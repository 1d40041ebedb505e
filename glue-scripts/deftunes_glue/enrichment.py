"""Pure DataFrame functions of the enrichment sources (docs/artist-enrichment.md): concerts and artist statistics.

They follow ``transforms``: a rule per source gives the quarantine reason of a parsed landing record (null
when it is valid), ``transforms.classify`` decides each record's outcome, and a shaper turns the valid ones
into table rows. The concert windows come from the extract's manifest, not from data lines.

- ``concerts``: one landing line per event; one table row per event x attraction (``attraction_rank`` is the
  attraction's 1-based position in the event). An event without a venue, without attractions, with an
  attraction that has no id (or the same id twice) or with an unparsable date is quarantined whole: a
  concert with part of its line-up would undercount the artists playing it.
- ``artist_stats``: one line per catalog artist looked up; ``found`` rows carry the statistics, typed from
  the API's numeric strings (a count that does not parse quarantines the row), and the top tag (the first,
  tags are ordered by weight), null when there is none.
"""
import datetime as dt
import re
from typing import Dict, List, Sequence

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from . import parsing as P
from .schemas import ARTIST_STATS_TABLE_SCHEMA, CONCERT_WINDOWS_TABLE_SCHEMA, CONCERTS_TABLE_SCHEMA
from .transforms import STATUS_COLUMN, VALID, LoadContext, conform

ISO_DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}$"
LOCAL_TIME_PATTERN = r"^\d{2}:\d{2}(:\d{2})?$"
COUNT_TEXT_PATTERN = r"^\d{1,18}$"
"""A count as the statistics API serves it: digits only (fits a bigint)."""
LOOKUPS = ("mbid", "name")


def _blank_to_null(value: Column) -> Column:
    return F.when(F.trim(value) != "", value)


def iso_date(value: Column) -> Column:
    """The date of a 'YYYY-MM-DD' text that is a calendar date, or null."""
    return F.when(value.rlike(ISO_DATE_PATTERN), F.to_date(value, "yyyy-MM-dd"))


def count_text(value: Column) -> Column:
    """The bigint of a non-negative integer text, or null."""
    trimmed = F.trim(value)
    return F.when(trimmed.rlike(COUNT_TEXT_PATTERN), trimmed.cast("bigint"))


# ---- concerts ---------------------------------------------------------------------------------------


def concerts_problems() -> Column:
    local_date = F.col("dates.start.localDate")
    local_time = F.col("dates.start.localTime")
    venues = F.col("_embedded.venues")
    attractions = F.col("_embedded.attractions")
    attraction_ids = F.transform(attractions, lambda attraction: attraction["id"])
    blank_ids = F.filter(attraction_ids, lambda attraction_id: attraction_id.isNull() | (F.trim(attraction_id) == ""))
    return P.join_problems(
        P.missing_problem(F.col("id"), "id"),
        F.when(local_date.isNull(), F.lit("dates.start.localDate is missing")).when(
            iso_date(local_date).isNull(),
            F.concat(F.lit("dates.start.localDate is not a YYYY-MM-DD date: "), P.quoted(local_date)),
        ),
        F.when(
            local_time.isNotNull() & ~local_time.rlike(LOCAL_TIME_PATTERN),
            F.concat(F.lit("dates.start.localTime is not HH:MM[:SS]: "), P.quoted(local_time)),
        ),
        F.when(venues.isNull() | (F.size(venues) == 0), F.lit("the event has no venue")).otherwise(
            P.missing_problem(venues[0]["id"], "_embedded.venues[0].id")
        ),
        F.when(attractions.isNull() | (F.size(attractions) == 0), F.lit("the event has no attractions"))
        .when(F.size(blank_ids) > 0, F.lit("an attraction has no id"))
        .when(
            F.size(F.array_distinct(attraction_ids)) != F.size(attraction_ids),
            F.lit("an attraction appears twice in the event"),
        ),
    )


def shape_concerts(classified: DataFrame, context: LoadContext) -> DataFrame:
    """One row per event x attraction; the event's first venue (an event is held at one venue)."""
    events = classified.where(F.col(STATUS_COLUMN) == VALID).select(
        "id",
        "name",
        "dates",
        F.col("_embedded.venues")[0].alias("venue"),
        F.posexplode("_embedded.attractions").alias("position", "attraction"),
    )
    return conform(
        events.select(
            F.col("id").alias("event_id"),
            F.col("name").alias("event_name"),
            iso_date(F.col("dates.start.localDate")).alias("event_date"),
            F.col("dates.start.localTime").alias("event_local_time"),
            F.col("venue.id").alias("venue_id"),
            F.col("venue.name").alias("venue_name"),
            F.col("venue.city.name").alias("venue_city"),
            F.col("venue.country.countryCode").alias("venue_country_code"),
            F.col("attraction.id").alias("attraction_id"),
            F.col("attraction.name").alias("attraction_name"),
            _blank_to_null(F.col("attraction.externalLinks.musicbrainz")[0]["id"]).alias("attraction_mbid"),
            (F.col("position") + 1).alias("attraction_rank"),
            *context.lineage(),
        ),
        CONCERTS_TABLE_SCHEMA,
    )


def concert_rows_per_record() -> Column:
    """Table rows a valid event becomes: one per attraction."""
    return F.size("_embedded.attractions")


# ---- artist statistics ------------------------------------------------------------------------------


def _count_problem(value: Column, name: str) -> Column:
    return F.when(value.isNull(), F.lit(f"{name} is missing")).when(
        count_text(value).isNull(), F.concat(F.lit(f"{name} is not a non-negative integer: "), P.quoted(value))
    )


def artist_stats_problems() -> Column:
    lookup, found, response = F.col("lookup"), F.col("found"), F.col("response")
    return P.join_problems(
        P.missing_problem(F.col("artist_id"), "artist_id"),
        F.when(lookup.isNull(), F.lit("lookup is missing")).when(
            ~lookup.isin(*LOOKUPS), F.concat(F.lit("lookup is neither mbid nor name: "), P.quoted(lookup))
        ),
        F.when(found.isNull(), F.lit("found is missing")),
        F.when(found & response.isNull(), F.lit("found is true but response is null")),
        F.when(~found & response.isNotNull(), F.lit("found is false but response is not null")),
        F.when(found & response.isNotNull(), _count_problem(F.col("response.stats.listeners"), "response.stats.listeners")),
        F.when(found & response.isNotNull(), _count_problem(F.col("response.stats.playcount"), "response.stats.playcount")),
    )


def shape_artist_stats(classified: DataFrame, context: LoadContext) -> DataFrame:
    return conform(
        classified.where(F.col(STATUS_COLUMN) == VALID).select(
            "artist_id",
            "lookup",
            "found",
            F.col("response.name").alias("stats_name"),
            _blank_to_null(F.col("response.mbid")).alias("stats_mbid"),
            count_text(F.col("response.stats.listeners")).alias("listeners"),
            count_text(F.col("response.stats.playcount")).alias("playcount"),
            _blank_to_null(F.trim(F.col("response.tags.tag")[0]["name"])).alias("top_tag"),
            *context.lineage(),
        ),
        ARTIST_STATS_TABLE_SCHEMA,
    )


# ---- concert windows (from the concerts manifest) ---------------------------------------------------

WINDOW_FIELDS = ("country_code", "start_date", "end_date", "total_elements", "pages", "records")


class ManifestWindowsError(ValueError):
    """The concerts manifest's ``windows`` are missing or malformed."""


def _window_date(value: object, where: str) -> dt.date:
    if not isinstance(value, str) or not re.match(ISO_DATE_PATTERN, value):
        raise ManifestWindowsError(f"{where} is not a YYYY-MM-DD date: {value!r}")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ManifestWindowsError(f"{where} is not a calendar date: {value!r}") from None


def _window_count(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0 or value > 2**31 - 1:
        raise ManifestWindowsError(f"{where} is not a non-negative integer: {value!r}")
    return value


def manifest_windows(manifest: Dict[str, object], manifest_path: str) -> List[tuple]:
    """The manifest's ``windows`` as rows of ``concert_windows`` (without ``ingest_on``), checked."""
    windows = manifest.get("windows")
    if not isinstance(windows, list):
        raise ManifestWindowsError(f"manifest {manifest_path}: windows is {windows!r}, expected a list")
    rows = []
    for index, window in enumerate(windows):
        where = f"manifest {manifest_path}: windows[{index}]"
        if not isinstance(window, dict):
            raise ManifestWindowsError(f"{where} is not an object")
        missing = [field for field in WINDOW_FIELDS if field not in window]
        if missing:
            raise ManifestWindowsError(f"{where} has no {', '.join(missing)}")
        country = window["country_code"]
        if not isinstance(country, str) or not re.match(r"^[A-Z]{2}$", country):
            raise ManifestWindowsError(f"{where}.country_code is not an ISO 3166-1 alpha-2 code: {country!r}")
        start, end = _window_date(window["start_date"], f"{where}.start_date"), _window_date(
            window["end_date"], f"{where}.end_date"
        )
        if end < start:
            raise ManifestWindowsError(f"{where} ends ({end}) before it starts ({start})")
        counts = [_window_count(window[field], f"{where}.{field}") for field in WINDOW_FIELDS[3:]]
        rows.append((country, start, end, *counts))
    return rows


def concert_windows_frame(spark: SparkSession, rows: Sequence[tuple], run_date: str) -> DataFrame:
    ingest_on = dt.date.fromisoformat(run_date)
    return spark.createDataFrame([(*row, ingest_on) for row in rows], CONCERT_WINDOWS_TABLE_SCHEMA)


PROBLEMS = {"concerts": concerts_problems, "artist_stats": artist_stats_problems}
KEYS = {"concerts": ("id",), "artist_stats": ("artist_id",)}
SHAPERS = {"concerts": shape_concerts, "artist_stats": shape_artist_stats}
ROWS_PER_RECORD = {"concerts": concert_rows_per_record}
