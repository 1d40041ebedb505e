"""Explicit schemas: how landing records are read and what the transform tables hold.

Landing records are read with these schemas, never inferred. Fields whose JSON type the contract fixes
(booleans, arrays, the price number) are declared with that type, so a value of the wrong JSON type
makes the record corrupt and it is quarantined whole. Text that must be parsed (timestamps, the
location's numbers, the songs' numeric columns) is read as a string and typed by ``transforms`` with
a reason per failure. A JSON number read into a string field keeps its text ("219.5").

Fields the API adds beyond the contract are not read; the landing zone keeps the raw records whole.
"""
from pyspark.sql import types as T

CORRUPT_RECORD_COLUMN = "_corrupt_record"
"""Holds the whole line when Spark cannot parse it against the schema (PERMISSIVE mode)."""

RAW_LINE_COLUMN = "_raw"
"""The landing line as received; what the quarantine keeps."""


def _strings(*names):
    return [T.StructField(name, T.StringType()) for name in names]


def _with_corrupt_record(fields):
    return T.StructType(list(fields) + [T.StructField(CORRUPT_RECORD_COLUMN, T.StringType())])


USERS_LANDING_SCHEMA = _with_corrupt_record(
    _strings("user_id", "user_name", "user_lastname")
    + [T.StructField("user_location", T.ArrayType(T.StringType()))]
    + _strings("user_since")
)

SESSION_ITEM_LANDING_SCHEMA = T.StructType(
    _strings("song_id", "song_name", "artist_id", "artist_name")
    + [
        # The JSON number, as a double: the shortest text of a double with at most 2 decimals is that
        # decimal, so the later cast to decimal(10,2) is exact. A JSON string here makes the record corrupt.
        T.StructField("price", T.DoubleType()),
        T.StructField("currency", T.StringType()),
        T.StructField("liked", T.BooleanType()),
        T.StructField("liked_since", T.StringType()),
    ]
)

SESSIONS_LANDING_SCHEMA = _with_corrupt_record(
    _strings("user_id", "session_id")
    + [T.StructField("session_items", T.ArrayType(SESSION_ITEM_LANDING_SCHEMA))]
    + _strings("user_agent", "session_start_time")
)

SONG_TEXT_COLUMNS = ("track_id", "title", "song_id", "release", "artist_id", "artist_mbid", "artist_name")
SONG_DOUBLE_COLUMNS = ("duration", "artist_familiarity", "artist_hotttnesss")
SONG_INT_COLUMNS = ("year", "track_7digitalid", "shs_perf", "shs_work")
# Bounds of catalog values, as the songs contract's `check` entries (lambdas/shared/songs-contract.json; a
# pytest keeps them equal): a row outside them is bad catalog data, quarantined so that it cannot fail every
# day's quality gate. `unknown` is the value that means not known and passes; null passes.
SONG_VALUE_CHECKS = {
    "duration": {"greater_than": 0},
    "year": {"unknown": 0, "min": 1900, "max": 2100},
}

# Numeric columns are read as text and cast by the transform: database drivers serialize some numeric
# types as strings (node-postgres does for bigint and numeric), and a cast gives a reason per column.
SONGS_LANDING_SCHEMA = _with_corrupt_record(_strings(*SONG_TEXT_COLUMNS, *SONG_DOUBLE_COLUMNS, *SONG_INT_COLUMNS))

# ---- transform tables -----------------------------------------------------------------------------
# Timestamps are TIMESTAMP_NTZ holding UTC wall-clock time (Iceberg `timestamp`, no zone): the job
# parses each ISO-8601 value with its offset into an instant and stores it in UTC, so DuckDB and
# Redshift Spectrum read the same value whatever their session time zone.

LINEAGE_FIELDS = [
    T.StructField("ingest_on", T.DateType()),
    T.StructField("processing_timestamp", T.TimestampNTZType()),
    T.StructField("source_from", T.StringType()),
]

USERS_TABLE_SCHEMA = T.StructType(
    _strings("user_id", "user_name", "user_lastname")
    + [T.StructField("latitude", T.DoubleType()), T.StructField("longitude", T.DoubleType())]
    + _strings("place_name", "country_code", "timezone")
    + [T.StructField("user_since", T.TimestampNTZType())]
    + LINEAGE_FIELDS
)

PRICE_TYPE = T.DecimalType(10, 2)
"""Money is exact: decimal(10,2) sums without binary rounding error and matches Redshift's DECIMAL(10,2)."""

SESSIONS_TABLE_SCHEMA = T.StructType(
    _strings("session_id", "user_id")
    + [T.StructField("item_index", T.IntegerType())]
    + _strings("song_id", "song_name", "artist_id", "artist_name")
    + [
        T.StructField("price", PRICE_TYPE),
        T.StructField("currency", T.StringType()),
        T.StructField("liked", T.BooleanType()),
        T.StructField("liked_since", T.TimestampNTZType()),
        T.StructField("user_agent", T.StringType()),
        T.StructField("session_start_time", T.TimestampNTZType()),
    ]
    + LINEAGE_FIELDS
)

SONGS_TABLE_SCHEMA = T.StructType(
    _strings(*SONG_TEXT_COLUMNS)
    + [T.StructField(name, T.DoubleType()) for name in SONG_DOUBLE_COLUMNS]
    + [T.StructField(name, T.IntegerType()) for name in SONG_INT_COLUMNS]
    + LINEAGE_FIELDS
)

QUARANTINE_TABLE_SCHEMA = T.StructType(
    [
        T.StructField("source", T.StringType()),
        T.StructField("ingest_on", T.DateType()),
        T.StructField("reason", T.StringType()),
        T.StructField("raw_record", T.StringType()),
        T.StructField("source_from", T.StringType()),
        T.StructField("processing_timestamp", T.TimestampNTZType()),
    ]
)

# ---- enrichment sources (docs/artist-enrichment.md) -------------------------------------------------
# A concert event as the concerts API serves it (Ticketmaster Discovery v2 shaped); one landing line each.

_NAMED = [T.StructField("name", T.StringType())]
CONCERT_VENUE_LANDING_SCHEMA = T.StructType(
    _strings("id", "name")
    + [
        T.StructField("city", T.StructType(_NAMED)),
        T.StructField("country", T.StructType(_strings("countryCode"))),
    ]
)
CONCERT_ATTRACTION_LANDING_SCHEMA = T.StructType(
    _strings("id", "name")
    + [
        T.StructField(
            "externalLinks",
            T.StructType([T.StructField("musicbrainz", T.ArrayType(T.StructType(_strings("id"))))]),
        )
    ]
)
CONCERTS_LANDING_SCHEMA = _with_corrupt_record(
    _strings("id", "name")
    + [
        T.StructField("dates", T.StructType([T.StructField("start", T.StructType(_strings("localDate", "localTime")))])),
        T.StructField(
            "_embedded",
            T.StructType(
                [
                    T.StructField("venues", T.ArrayType(CONCERT_VENUE_LANDING_SCHEMA)),
                    T.StructField("attractions", T.ArrayType(CONCERT_ATTRACTION_LANDING_SCHEMA)),
                ]
            ),
        ),
    ]
)

# A catalog artist looked up in the statistics API (Last.fm 2.0 shaped): the lookup and the `artist` object
# as served, or null. The API serves its numbers as strings; read as text, typed with a reason per failure.
ARTIST_STATS_RESPONSE_LANDING_SCHEMA = T.StructType(
    _strings("name", "mbid")
    + [
        T.StructField("stats", T.StructType(_strings("listeners", "playcount"))),
        T.StructField("tags", T.StructType([T.StructField("tag", T.ArrayType(T.StructType(_NAMED)))])),
    ]
)
ARTIST_STATS_LANDING_SCHEMA = _with_corrupt_record(
    _strings("artist_id", "artist_mbid", "artist_name", "lookup")
    + [
        T.StructField("found", T.BooleanType()),
        T.StructField("response", ARTIST_STATS_RESPONSE_LANDING_SCHEMA),
    ]
)

CONCERTS_TABLE_SCHEMA = T.StructType(
    _strings("event_id", "event_name")
    + [T.StructField("event_date", T.DateType())]
    + _strings(
        "event_local_time", "venue_id", "venue_name", "venue_city", "venue_country_code",
        "attraction_id", "attraction_name", "attraction_mbid",
    )
    + [T.StructField("attraction_rank", T.IntegerType())]
    + LINEAGE_FIELDS
)

CONCERT_WINDOWS_TABLE_SCHEMA = T.StructType(
    _strings("country_code")
    + [
        T.StructField("start_date", T.DateType()),
        T.StructField("end_date", T.DateType()),
        T.StructField("total_elements", T.IntegerType()),
        T.StructField("pages", T.IntegerType()),
        T.StructField("records", T.IntegerType()),
        T.StructField("ingest_on", T.DateType()),
    ]
)

ARTIST_STATS_TABLE_SCHEMA = T.StructType(
    _strings("artist_id", "lookup")
    + [T.StructField("found", T.BooleanType())]
    + _strings("stats_name", "stats_mbid")
    + [T.StructField("listeners", T.LongType()), T.StructField("playcount", T.LongType())]
    + _strings("top_tag")
    + LINEAGE_FIELDS
)

ENRICHMENT_TABLE_SCHEMAS = {
    "concerts": CONCERTS_TABLE_SCHEMA,
    "concert_windows": CONCERT_WINDOWS_TABLE_SCHEMA,
    "artist_stats": ARTIST_STATS_TABLE_SCHEMA,
}
ENRICHMENT_LANDING_SCHEMAS = {"concerts": CONCERTS_LANDING_SCHEMA, "artist_stats": ARTIST_STATS_LANDING_SCHEMA}

# ---- listening events (docs/listening-events.md) -----------------------------------------------------
# One play per landing line, as the app sends it through Firehose. ``ms_played`` is read as a JSON integer:
# a float, a string or a number beyond bigint makes the line corrupt, and ``listens`` names the field.

LISTENS_LANDING_SCHEMA = _with_corrupt_record(
    _strings("event_id", "user_id", "track_id", "listened_at")
    + [T.StructField("ms_played", T.LongType())]
    + _strings("device")
)

LISTENS_TABLE_SCHEMA = T.StructType(
    _strings("event_id", "user_id", "track_id")
    + [
        T.StructField("listened_at", T.TimestampNTZType()),
        T.StructField("listen_date", T.DateType()),
        T.StructField("listen_hour", T.IntegerType()),
        T.StructField("ms_played", T.LongType()),
        T.StructField("device", T.StringType()),
        T.StructField("arrival_hour", T.TimestampNTZType()),
        T.StructField("arrived_late", T.BooleanType()),
        T.StructField("processing_timestamp", T.TimestampNTZType()),
        T.StructField("source_from", T.StringType()),
    ]
)

TABLE_SCHEMAS = {
    "users": USERS_TABLE_SCHEMA,
    "sessions": SESSIONS_TABLE_SCHEMA,
    "songs": SONGS_TABLE_SCHEMA,
    **ENRICHMENT_TABLE_SCHEMAS,
    "listens": LISTENS_TABLE_SCHEMA,
    "quarantine": QUARANTINE_TABLE_SCHEMA,
}
TABLE_PARTITIONING = {
    "users": ("ingest_on",),
    "sessions": ("ingest_on",),
    "songs": ("ingest_on",),
    **{table: ("ingest_on",) for table in ENRICHMENT_TABLE_SCHEMAS},
    "listens": ("listen_date",),
    "quarantine": ("ingest_on", "source"),
}
LANDING_SCHEMAS = {
    "users": USERS_LANDING_SCHEMA,
    "sessions": SESSIONS_LANDING_SCHEMA,
    "songs": SONGS_LANDING_SCHEMA,
    **ENRICHMENT_LANDING_SCHEMAS,
    "listens": LISTENS_LANDING_SCHEMA,
}
