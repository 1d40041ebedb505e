"""Pure DataFrame functions: classify parsed landing records, shape valid ones into table rows.

Every landing record ends in exactly one of three outcomes (column ``_status``):

- ``valid``: typed and shaped into the table (a session record becomes one row per item);
- ``quarantined``: it cannot be typed, or it conflicts with another record of the same key; the
  quarantine table keeps the raw line and the reason;
- ``duplicate``: an exact copy of a valid record with the same key (same parsed content): one copy is
  kept, the others are counted as ``duplicates_dropped``. Extraction already quarantines exact duplicates
  within one extract; this guards the table's key whatever the landing holds.

Records of the same key with different content are all quarantined: picking one would be a guess.
Sessions are validated whole (the session and every item): a session with one bad item is quarantined
with all its items, so the fact table never holds part of a basket.

Rules: identifiers, and every field that is typed (timestamps, numbers, booleans), must be present and
typable; descriptive text (names, titles, user agent) may be null.
"""
from dataclasses import dataclass
from typing import Dict, Optional, Sequence

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

from . import parsing as P
from .schemas import (
    CORRUPT_RECORD_COLUMN,
    QUARANTINE_TABLE_SCHEMA,
    RAW_LINE_COLUMN,
    SESSIONS_TABLE_SCHEMA,
    SONG_DOUBLE_COLUMNS,
    SONG_INT_COLUMNS,
    SONG_TEXT_COLUMNS,
    SONG_VALUE_CHECKS,
    SONGS_TABLE_SCHEMA,
    USERS_TABLE_SCHEMA,
)

STATUS_COLUMN = "_status"
REASON_COLUMN = "_reason"
VALID, DUPLICATE, QUARANTINED = "valid", "duplicate", "quarantined"

NOT_AN_OBJECT_REASON = "not a JSON object"
INVALID_JSON_REASON = "not valid JSON"
WRONG_JSON_TYPE_REASON = (
    "a field has a JSON type the contract does not allow (a string where a number, boolean or array is expected)"
)


def corrupt_reason(raw: Column) -> Column:
    """Why Spark could not parse a line against the schema (only meaningful for corrupt lines)."""
    return (
        F.when(~F.trim(raw).startswith("{"), F.lit(NOT_AN_OBJECT_REASON))
        .when(F.get_json_object(raw, "$").isNull(), F.lit(INVALID_JSON_REASON))
        .otherwise(F.lit(WRONG_JSON_TYPE_REASON))
    )

KEYS = {"users": ("user_id",), "sessions": ("session_id",), "songs": ("track_id",)}


@dataclass(frozen=True)
class LoadContext:
    """What every row of one load carries besides its data."""

    source: str
    """users, sessions or songs."""
    run_date: str
    """YYYY-MM-DD: the ``ingest_on`` partition."""
    source_from: str
    """The landing object the rows came from."""
    processing_timestamp: str
    """UTC 'YYYY-MM-DD HH:MM:SS.ffffff', the same for every row of the job run."""

    def lineage(self) -> list:
        return [
            F.lit(self.run_date).cast("date").alias("ingest_on"),
            F.lit(self.processing_timestamp).cast("timestamp_ntz").alias("processing_timestamp"),
            F.lit(self.source_from).alias("source_from"),
        ]


def conform(df: DataFrame, schema: T.StructType) -> DataFrame:
    """The table's columns in the table's order and types (every value was checked castable before).

    Cast by type name: a cast to a DataType object costs the driver a session lookup and a JSON parse in
    the JVM (about eight Py4J round trips per column), the name one. Not ``selectExpr``: parsing SQL
    expressions cost the first day about 8 s more of the SQL parser's warm-up (bench/README.md, A local day
    at small: tuning).
    """
    return df.select(
        *[F.col(field.name).cast(field.dataType.simpleString()).alias(field.name) for field in schema.fields]
    )


# ---- rules ------------------------------------------------------------------------------------------


def users_problems() -> Column:
    location = F.col("user_location")
    has_five = F.size(location) == 5
    latitude, longitude = P.decimal_text(location[0]), P.decimal_text(location[1])
    return P.join_problems(
        P.missing_problem(F.col("user_id"), "user_id"),
        F.when(location.isNull(), F.lit("user_location is missing")).when(
            ~has_five,
            F.concat(
                F.lit("user_location must hold 5 values [latitude, longitude, place, country, time zone], got "),
                F.size(location).cast("string"),
            ),
        ),
        F.when(
            has_five & F.coalesce(F.abs(latitude) > 90, F.lit(True)),
            F.concat(F.lit("user_location latitude is not a number in [-90, 90]: "), P.quoted(location[0])),
        ),
        F.when(
            has_five & F.coalesce(F.abs(longitude) > 180, F.lit(True)),
            F.concat(F.lit("user_location longitude is not a number in [-180, 180]: "), P.quoted(location[1])),
        ),
        F.when(
            has_five & F.coalesce(~location[3].rlike("^[A-Z]{2}$"), F.lit(True)),
            F.concat(F.lit("user_location country is not an ISO 3166-1 alpha-2 code: "), P.quoted(location[3])),
        ),
        P.timestamp_problem(F.col("user_since"), "user_since"),
    )


def _price_problem(price: Column) -> Column:
    shown = P.quoted(price.cast("string"))
    return (
        F.when(price.isNull(), F.lit("price is missing"))
        .when(F.isnan(price), F.lit("price is not a finite number"))
        .when(price <= 0, F.concat(F.lit("price must be positive: "), shown))
        .when(price >= 1e8, F.concat(F.lit("price does not fit decimal(10,2): "), shown))
        .when(F.round(price, 2) != price, F.concat(F.lit("price has more than 2 decimal places: "), shown))
    )


def _session_item_problems(item: Column, index: Column) -> Column:
    prefix = F.concat(F.lit("session_items["), index.cast("string"), F.lit("]"))
    field_problems = [
        P.missing_problem(item["song_id"], "song_id"),
        P.missing_problem(item["artist_id"], "artist_id"),
        _price_problem(item["price"]),
        P.missing_problem(item["currency"], "currency"),
        F.when(item["liked"].isNull(), F.lit("liked is missing")),
        P.timestamp_problem(item["liked_since"], "liked_since", required=False),
    ]
    return F.when(item.isNull(), F.concat(prefix, F.lit(" is null"))).otherwise(
        P.join_problems(*[F.concat(prefix, F.lit("."), problem) for problem in field_problems])
    )


def sessions_problems() -> Column:
    items = F.col("session_items")
    item_problems = F.filter(F.transform(items, _session_item_problems), lambda problem: problem.isNotNull())
    return P.join_problems(
        P.missing_problem(F.col("session_id"), "session_id"),
        P.missing_problem(F.col("user_id"), "user_id"),
        P.timestamp_problem(F.col("session_start_time"), "session_start_time"),
        F.when(items.isNull(), F.lit("session_items is missing")).when(
            F.size(items) == 0, F.lit("session_items is empty")
        ),
        F.when(F.size(item_problems) > 0, F.array_join(item_problems, "; ")),
    )


def _song_check_problem(name: str, check: Dict[str, int]) -> Column:
    """Reason when a typed catalog value is outside its bounds, worded as the extractor words it."""
    value = (P.number_text if name in SONG_DOUBLE_COLUMNS else P.integer_text)(F.col(name))
    prefix = F.concat(F.lit(f"{name}: "), F.trim(F.col(name)))
    if "greater_than" in check:
        outside = value <= check["greater_than"]
        reason = f" is not > {check['greater_than']}"
    else:
        outside = (value < check["min"]) | (value > check["max"])
        unknown = f" nor {check['unknown']} (unknown)" if "unknown" in check else ""
        reason = f" is neither in [{check['min']}, {check['max']}]{unknown}"
    if "unknown" in check:
        outside = outside & (value != check["unknown"])
    return F.when(value.isNotNull() & outside, F.concat(prefix, F.lit(reason)))


def songs_problems() -> Column:
    return P.join_problems(
        P.missing_problem(F.col("track_id"), "track_id"),
        P.missing_problem(F.col("song_id"), "song_id"),
        P.missing_problem(F.col("artist_id"), "artist_id"),
        *[P.number_problem(F.col(name), name) for name in SONG_DOUBLE_COLUMNS],
        *[P.integer_problem(F.col(name), name) for name in SONG_INT_COLUMNS],
        *[_song_check_problem(name, check) for name, check in SONG_VALUE_CHECKS.items()],
    )


PROBLEMS = {"users": users_problems, "sessions": sessions_problems, "songs": songs_problems}


# ---- classification ---------------------------------------------------------------------------------


def classify(parsed: DataFrame, problems: Column, keys: Sequence[str]) -> DataFrame:
    """Adds ``_reason`` and ``_status`` (valid, duplicate, quarantined) to parsed landing records."""
    is_corrupt = F.col(CORRUPT_RECORD_COLUMN).isNotNull()
    reason = F.when(is_corrupt, corrupt_reason(F.col(RAW_LINE_COLUMN))).otherwise(problems)
    data_columns = [c for c in parsed.columns if c not in (RAW_LINE_COLUMN, CORRUPT_RECORD_COLUMN)]
    with_reason = parsed.withColumn(REASON_COLUMN, reason).withColumn(
        "_content", F.to_json(F.struct(*[F.col(c) for c in data_columns]))
    )
    # Duplicates are looked for among typable records only: a broken copy does not make a good one conflict.
    same_key = Window.partitionBy(F.col(REASON_COLUMN).isNull(), *[F.col(k) for k in keys])
    key_text = F.concat_ws(", ", *[F.concat(F.lit(f"{k}="), P.quoted(F.col(k))) for k in keys])
    conflict = F.when(
        F.col(REASON_COLUMN).isNull() & (F.min("_content").over(same_key) != F.max("_content").over(same_key)),
        F.concat(
            F.lit("conflicting duplicates: "),
            key_text,
            F.lit(" appears in "),
            F.count(F.lit(1)).over(same_key).cast("string"),
            F.lit(" records with different content"),
        ),
    )
    copy_number = F.row_number().over(same_key.orderBy("_content", RAW_LINE_COLUMN))
    return (
        with_reason.withColumn(REASON_COLUMN, F.coalesce(F.col(REASON_COLUMN), conflict))
        .withColumn(
            STATUS_COLUMN,
            F.when(F.col(REASON_COLUMN).isNotNull(), F.lit(QUARANTINED))
            .when(copy_number > 1, F.lit(DUPLICATE))
            .otherwise(F.lit(VALID)),
        )
        .drop("_content")
    )


def classify_source(parsed: DataFrame, source: str) -> DataFrame:
    return classify(parsed, PROBLEMS[source](), KEYS[source])


def count_outcomes(classified: DataFrame, source: str, rows_per_record: Optional[Column] = None) -> Dict[str, int]:
    """read, written (table rows), quarantined, duplicates_dropped, records_written, in one pass.

    ``read`` and ``quarantined`` count landing records (a session is one record, quarantined whole);
    ``written`` counts table rows (a session item each; ``rows_per_record`` for other sources that explode).
    read = records_written + quarantined + duplicates_dropped.
    """
    status = F.col(STATUS_COLUMN)
    if rows_per_record is None:
        rows_per_record = F.size("session_items") if source == "sessions" else F.lit(1)
    row = classified.agg(
        F.count(F.lit(1)).alias("read"),
        F.sum(F.when(status == VALID, rows_per_record).otherwise(0)).alias("written"),
        F.sum(F.when(status == QUARANTINED, 1).otherwise(0)).alias("quarantined"),
        F.sum(F.when(status == DUPLICATE, 1).otherwise(0)).alias("duplicates_dropped"),
        F.sum(F.when(status == VALID, 1).otherwise(0)).alias("records_written"),
    ).first()
    return {name: int(row[name] or 0) for name in row.asDict()}


# ---- shaping ----------------------------------------------------------------------------------------


def _valid(classified: DataFrame) -> DataFrame:
    return classified.where(F.col(STATUS_COLUMN) == VALID)


def shape_users(classified: DataFrame, context: LoadContext) -> DataFrame:
    location = F.col("user_location")
    return conform(
        _valid(classified).select(
            "user_id",
            "user_name",
            "user_lastname",
            P.decimal_text(location[0]).alias("latitude"),
            P.decimal_text(location[1]).alias("longitude"),
            location[2].alias("place_name"),
            location[3].alias("country_code"),
            location[4].alias("timezone"),
            P.iso_timestamp(F.col("user_since")).alias("user_since"),
            *context.lineage(),
        ),
        USERS_TABLE_SCHEMA,
    )


def shape_sessions(classified: DataFrame, context: LoadContext) -> DataFrame:
    """One row per session item; ``item_index`` is the item's 0-based position in ``session_items``."""
    items = _valid(classified).select(
        "session_id",
        "user_id",
        "user_agent",
        "session_start_time",
        F.posexplode("session_items").alias("item_index", "item"),
    )
    return conform(
        items.select(
            "session_id",
            "user_id",
            "item_index",
            "item.song_id",
            "item.song_name",
            "item.artist_id",
            "item.artist_name",
            # Through the double's shortest text: 0.99 stays 0.99 (checked to have at most 2 decimals).
            F.col("item.price").cast("string").cast("decimal(10,2)").alias("price"),
            "item.currency",
            "item.liked",
            P.iso_timestamp(F.col("item.liked_since")).alias("liked_since"),
            "user_agent",
            P.iso_timestamp(F.col("session_start_time")).alias("session_start_time"),
            *context.lineage(),
        ),
        SESSIONS_TABLE_SCHEMA,
    )


def shape_songs(classified: DataFrame, context: LoadContext) -> DataFrame:
    return conform(
        _valid(classified).select(
            *SONG_TEXT_COLUMNS,
            *[P.number_text(F.col(c)).alias(c) for c in SONG_DOUBLE_COLUMNS],
            *[P.integer_text(F.col(c)).alias(c) for c in SONG_INT_COLUMNS],
            *context.lineage(),
        ),
        SONGS_TABLE_SCHEMA,
    )


SHAPERS = {"users": shape_users, "sessions": shape_sessions, "songs": shape_songs}


def quarantine_rows(classified: DataFrame, context: LoadContext) -> DataFrame:
    """The quarantined records as received, with the reason, for the quarantine table."""
    lineage = context.lineage()
    return conform(
        classified.where(F.col(STATUS_COLUMN) == QUARANTINED).select(
            F.lit(context.source).alias("source"),
            lineage[0],
            F.col(REASON_COLUMN).alias("reason"),
            F.col(RAW_LINE_COLUMN).alias("raw_record"),
            lineage[2],
            lineage[1],
        ),
        QUARANTINE_TABLE_SCHEMA,
    )
