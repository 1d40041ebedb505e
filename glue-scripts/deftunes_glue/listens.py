"""Pure DataFrame functions of the listening events (docs/listening-events.md, Transform).

A run for the event date D reads the Firehose objects of the arrival hours of its window
``[D 00:00, D+1 00:00 + lateness_hours)``. Every line read ends in exactly one outcome (column ``_outcome``):

- ``bad``: not a JSON object, or a field that does not type; quarantined by the run of its arrival date;
- ``after_arrival``: valid, but ``listened_at`` is after the end of its arrival hour (a device clock ahead);
  quarantined by the run of its arrival date, one per ``event_id``, and never written;
- ``on_date``: valid, of date D: one copy per ``event_id`` (earliest arrival hour, then smallest object key)
  is the ``listens`` row, the others are duplicates dropped;
- ``after_window``: valid, arrived after its own date's window; quarantined by the run of its arrival
  date, one per ``event_id``;
- ``other_date``: valid, of another date, within that date's window: left to that date's run.

Quarantining only what arrived on D makes each record quarantined by exactly one run, however the windows
overlap. An object's arrival hour comes from its ``arrived_on=`` and ``hour=`` folders, never its name.
Timestamps are UTC wall-clock TIMESTAMP_NTZ (``spark.sql.session.timeZone=UTC``, see ``parsing``).
"""
import datetime as dt
from dataclasses import dataclass
from typing import Dict, List

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from . import parsing as P
from .options import MAX_LATENESS_HOURS
from .schemas import (
    CORRUPT_RECORD_COLUMN,
    LISTENS_LANDING_SCHEMA,
    LISTENS_TABLE_SCHEMA,
    QUARANTINE_TABLE_SCHEMA,
    RAW_LINE_COLUMN,
)
from .transforms import REASON_COLUMN, conform, corrupt_reason

SOURCE = "listens"
LANDING_PREFIX = "stream/listens"
DEFAULT_LATENESS_HOURS = 12

KEY_SEGMENTS = 5
"""An object key's segments: stream/listens/arrived_on=YYYY-MM-DD/hour=HH/<name> (the job lists those folders)."""
ARRIVED_ON_AT = len(f"{LANDING_PREFIX}/arrived_on=") + 1
HOUR_AT = len(f"{LANDING_PREFIX}/arrived_on=YYYY-MM-DD/hour=") + 1
UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
TRACK_ID_PATTERN = r"^TR[A-Z0-9]{16}$"
"""A Million Song Dataset track id: TR and 16 upper-case letters or digits."""

PATH_COLUMN, KEY_COLUMN, ARRIVAL_COLUMN = "_path", "object_key", "arrival_hour"
OUTCOME_COLUMN, LISTENED_COLUMN, EVENT_DATE_COLUMN, ARRIVED_ON_DATE_COLUMN = (
    "_outcome", "_listened_at", "_event_date", "_arrived_on_date"
)
BAD, AFTER_ARRIVAL, ON_DATE, AFTER_WINDOW, OTHER_DATE = "bad", "after_arrival", "on_date", "after_window", "other_date"
AFTER_ARRIVAL_REASON = "listened_at after its arrival"
AFTER_WINDOW_REASON = "arrived after the lateness window of "
EVENT_FIELDS = ("event_id", "user_id", "track_id", "listened_at", "ms_played", "device")


@dataclass(frozen=True)
class ListenWindow:
    """The arrival hours a run for ``run_date`` reads: ``[D 00:00, D+1 00:00 + lateness_hours)``, UTC."""

    run_date: dt.date
    lateness_hours: int = DEFAULT_LATENESS_HOURS

    @property
    def start(self) -> dt.datetime:
        return dt.datetime.combine(self.run_date, dt.time())

    @property
    def end(self) -> dt.datetime:
        return self.start + dt.timedelta(days=1, hours=self.lateness_hours)

    def arrival_hours(self) -> List[dt.datetime]:
        return [self.start + dt.timedelta(hours=h) for h in range(24 + self.lateness_hours)]

    def prefixes(self) -> List[str]:
        """The landing folders of the window's arrival hours, relative to the landing root."""
        return [hour_prefix(hour) for hour in self.arrival_hours()]

    def describe(self) -> Dict[str, str]:
        return {"from": f"{self.start.isoformat()}Z", "to": f"{self.end.isoformat()}Z"}


def window_of(run_date: str, lateness_hours: int = DEFAULT_LATENESS_HOURS) -> ListenWindow:
    if isinstance(lateness_hours, bool) or not 0 <= lateness_hours <= MAX_LATENESS_HOURS:
        raise ValueError(f"lateness_hours must be an integer in [0, {MAX_LATENESS_HOURS}], got {lateness_hours!r}")
    return ListenWindow(dt.date.fromisoformat(run_date), lateness_hours)


def hour_prefix(hour: dt.datetime) -> str:
    return f"{LANDING_PREFIX}/arrived_on={hour:%Y-%m-%d}/hour={hour:%H}/"


# ---- lines ------------------------------------------------------------------------------------------


def located_lines(lines: DataFrame, path_column: str = PATH_COLUMN) -> DataFrame:
    """Adds each line's object key and arrival hour (from the object's folders) to ``value`` lines whose
    ``path_column`` is an object of a window folder (a path or URI ending with the key)."""
    key = F.substring_index(F.col(path_column), "/", -KEY_SEGMENTS)
    arrival = F.concat(F.substring(key, ARRIVED_ON_AT, 10), F.lit(" "), F.substring(key, HOUR_AT, 2), F.lit(":00:00"))
    return lines.select("value", key.alias(KEY_COLUMN), arrival.cast("timestamp_ntz").alias(ARRIVAL_COLUMN))


def _pattern_problem(value: Column, name: str, pattern: str, what: str) -> Column:
    return F.when(value.isNull() | (F.trim(value) == ""), F.lit(f"{name} is missing")).when(
        ~value.rlike(pattern), F.concat(F.lit(f"{name} is not {what}: "), P.quoted(value))
    )


def _ms_played_problem() -> Column:
    """ms_played is read as a JSON integer: another JSON type (or a bigint overflow) makes the line corrupt,
    and the other fields are still parsed (Spark's partial results), so the reason can name the field."""
    shown = P.quoted(F.get_json_object(F.col(RAW_LINE_COLUMN), "$.ms_played"))
    ms_played = F.col("ms_played")
    return (
        F.when(F.col(CORRUPT_RECORD_COLUMN).isNotNull(), F.concat(F.lit("ms_played is not an integer >= 0: "), shown))
        .when(ms_played.isNull(), F.lit("ms_played is missing"))
        .when(ms_played < 0, F.concat(F.lit("ms_played is not an integer >= 0: "), ms_played.cast("string")))
    )


def listens_problems() -> Column:
    return P.join_problems(
        _pattern_problem(F.col("event_id"), "event_id", UUID_PATTERN, "a UUID"),
        _pattern_problem(F.col("user_id"), "user_id", UUID_PATTERN, "a UUID"),
        _pattern_problem(F.col("track_id"), "track_id", TRACK_ID_PATTERN, "TR + 16 letters or digits"),
        P.timestamp_problem(F.col("listened_at"), "listened_at"),
        _ms_played_problem(),
    )


def is_valid() -> Column:
    """True when ``line_reason`` is null, computed without building the reason: every line pays for this
    test, only the bad lines a run quarantines for the reason (whose JSON quoting also stops Spark's code
    generation of the expression it is in)."""
    checks = (
        F.col(CORRUPT_RECORD_COLUMN).isNull()
        & F.col("event_id").rlike(UUID_PATTERN)
        & F.col("user_id").rlike(UUID_PATTERN)
        & F.col("track_id").rlike(TRACK_ID_PATTERN)
        & F.col(LISTENED_COLUMN).isNotNull()
        & (F.col("ms_played") >= 0)
    )
    return F.coalesce(checks, F.lit(False))


def line_reason() -> Column:
    """Why a line is bad, or null: a line that is not a JSON object has no fields to name."""
    raw = F.col(RAW_LINE_COLUMN)
    not_an_object = F.col(CORRUPT_RECORD_COLUMN).isNotNull() & (
        ~F.trim(raw).startswith("{") | F.get_json_object(raw, "$").isNull()
    )
    return F.when(not_an_object, corrupt_reason(raw)).otherwise(listens_problems())


def classify_listens(located: DataFrame, window: ListenWindow) -> DataFrame:
    """Parses located lines and gives each its outcome (see ``with_reasons`` for the reasons)."""
    parsed = P.parse_json_lines(located, LISTENS_LANDING_SCHEMA, keep=(KEY_COLUMN, ARRIVAL_COLUMN))
    listened = P.iso_timestamp(F.col("listened_at"))
    event_date = F.to_date(F.col(LISTENED_COLUMN))
    own_window_end = F.col(EVENT_DATE_COLUMN).cast("timestamp_ntz") + F.expr(
        f"INTERVAL {24 + window.lateness_hours} HOURS"
    )
    arrival = F.col(ARRIVAL_COLUMN)
    outcome = (
        F.when(~is_valid(), F.lit(BAD))
        .when(F.col(LISTENED_COLUMN) > arrival + F.expr("INTERVAL 1 HOUR"), F.lit(AFTER_ARRIVAL))
        .when(F.col(EVENT_DATE_COLUMN) == F.lit(window.run_date), F.lit(ON_DATE))
        .when(arrival >= own_window_end, F.lit(AFTER_WINDOW))
        .otherwise(F.lit(OTHER_DATE))
    )
    return (
        parsed.withColumn(LISTENED_COLUMN, listened)
        .withColumn(EVENT_DATE_COLUMN, event_date)
        .withColumn(OUTCOME_COLUMN, outcome)
        .withColumn(ARRIVED_ON_DATE_COLUMN, F.to_date(arrival) == F.lit(window.run_date))
    )


def slim(classified: DataFrame) -> DataFrame:
    """The classified lines with only what the run still needs of each (what it caches): every value of
    D's events and of the copies it quarantines, the line itself only for those, the outcome alone for the
    lines left to other runs (they are only counted). About a third of a window is other dates' lines."""
    outcome, here = F.col(OUTCOME_COLUMN), F.col(ARRIVED_ON_DATE_COLUMN)
    quarantined_here = here & outcome.isin(BAD, AFTER_ARRIVAL, AFTER_WINDOW)
    needed = (outcome == ON_DATE) | quarantined_here
    line_columns = (RAW_LINE_COLUMN, CORRUPT_RECORD_COLUMN, "listened_at")
    return classified.select(
        *[
            F.when(quarantined_here if name in line_columns else needed, F.col(name)).alias(name)
            for name in classified.columns
            if name not in (OUTCOME_COLUMN, ARRIVED_ON_DATE_COLUMN)
        ],
        OUTCOME_COLUMN,
        ARRIVED_ON_DATE_COLUMN,
    )


def with_reasons(classified: DataFrame) -> DataFrame:
    """Adds the quarantine reason of the outcomes quarantined (null for the others)."""
    outcome = F.col(OUTCOME_COLUMN)
    reason = (
        F.when(outcome == BAD, line_reason())
        .when(outcome == AFTER_ARRIVAL, F.lit(AFTER_ARRIVAL_REASON))
        .when(
            outcome == AFTER_WINDOW,
            F.concat(F.lit(AFTER_WINDOW_REASON), F.date_format(F.col(EVENT_DATE_COLUMN), "yyyy-MM-dd")),
        )
    )
    return classified.withColumn(REASON_COLUMN, reason)


# ---- selection ----------------------------------------------------------------------------------------


def first_copies(copies: DataFrame, keys: List[str]) -> DataFrame:
    """One row per ``keys``: the copy with the earliest arrival hour, then the smallest object key (then the
    smallest other values, so that two copies in one object give the same row on every run). A window (one
    shuffle, one sort) rather than min(struct(...)), which Spark can only sort-aggregate (two sorts)."""
    order = [ARRIVAL_COLUMN, KEY_COLUMN]
    rest = [c for c in copies.columns if c not in order and c not in keys]
    rank = F.row_number().over(Window.partitionBy(*keys).orderBy(*order, *rest))
    return copies.withColumn("_copy", rank).where(F.col("_copy") == 1).drop("_copy")


def kept_listens(classified: DataFrame) -> DataFrame:
    """The events of date D, one per ``event_id``."""
    return first_copies(classified.where(F.col(OUTCOME_COLUMN) == ON_DATE), ["event_id"])


def shape_listens(kept: DataFrame, window: ListenWindow, processing_timestamp: str) -> DataFrame:
    listened = F.col(LISTENED_COLUMN)
    return conform(
        kept.select(
            "event_id",
            "user_id",
            "track_id",
            listened.alias("listened_at"),
            F.to_date(listened).alias("listen_date"),
            F.hour(listened).alias("listen_hour"),
            "ms_played",
            "device",
            ARRIVAL_COLUMN,
            (F.col(ARRIVAL_COLUMN) >= F.lit(window.start + dt.timedelta(days=1))).alias("arrived_late"),
            F.lit(processing_timestamp).cast("timestamp_ntz").alias("processing_timestamp"),
            F.col(KEY_COLUMN).alias("source_from"),
        ),
        LISTENS_TABLE_SCHEMA,
    )


def quarantined_copies(classified: DataFrame) -> DataFrame:
    """What this run quarantines, from the objects that arrived on D: every bad line, and one copy per
    ``event_id`` of the events after their arrival or after their date's window."""
    here = classified.where(F.col(ARRIVED_ON_DATE_COLUMN) & F.col(OUTCOME_COLUMN).isin(BAD, AFTER_ARRIVAL, AFTER_WINDOW))
    bad = here.where(F.col(OUTCOME_COLUMN) == BAD)
    events = first_copies(here.where(F.col(OUTCOME_COLUMN) != BAD), ["event_id", OUTCOME_COLUMN])
    return with_reasons(bad.unionByName(events))


def quarantine_rows(quarantined: DataFrame, window: ListenWindow, processing_timestamp: str) -> DataFrame:
    return conform(
        quarantined.select(
            F.lit(SOURCE).alias("source"),
            F.lit(window.run_date).alias("ingest_on"),
            F.col(REASON_COLUMN).alias("reason"),
            F.col(RAW_LINE_COLUMN).alias("raw_record"),
            F.col(KEY_COLUMN).alias("source_from"),
            F.lit(processing_timestamp).cast("timestamp_ntz").alias("processing_timestamp"),
        ),
        QUARANTINE_TABLE_SCHEMA,
    )


# ---- counts -------------------------------------------------------------------------------------------


def _lines(condition: Column) -> Column:
    return F.sum(F.when(condition, 1).otherwise(0))


def line_counts(classified: DataFrame) -> Dict[str, int]:
    """Lines per outcome, split by whether they arrived on D, in one pass."""
    outcome, here = F.col(OUTCOME_COLUMN), F.col(ARRIVED_ON_DATE_COLUMN)
    aggregates = [F.count(F.lit(1)).alias("read")]
    for name in (BAD, AFTER_ARRIVAL, ON_DATE, AFTER_WINDOW, OTHER_DATE):
        aggregates.append(_lines((outcome == name) & here).alias(f"{name}_here"))
        aggregates.append(_lines((outcome == name) & ~here).alias(f"{name}_elsewhere"))
    row = classified.agg(*aggregates).first()
    return {name: int(value or 0) for name, value in row.asDict().items()}


def row_counts(written_rows: DataFrame, quarantined: DataFrame) -> Dict[str, int]:
    """Rows written (``listens`` rows; and of them, late) and quarantined (per outcome)."""
    written = written_rows.agg(F.count(F.lit(1)).alias("written"), _lines(F.col("arrived_late")).alias("late")).first()
    by_outcome = {row[0]: int(row[1]) for row in quarantined.groupBy(OUTCOME_COLUMN).count().collect()}
    return {
        "written": int(written["written"]),
        "late": int(written["late"] or 0),
        **{f"quarantined_{name}": by_outcome.get(name, 0) for name in (BAD, AFTER_ARRIVAL, AFTER_WINDOW)},
    }


def job_counts(lines: Dict[str, int], rows: Dict[str, int]) -> Dict[str, int]:
    """The results' counts; read = written + duplicates_dropped + quarantined + other_dates + left_to_other_runs.

    ``duplicates_dropped``: copies of an event beyond the one written or quarantined. ``other_dates``: valid
    lines of other dates that this run leaves to their date's run. ``left_to_other_runs``: bad lines and
    events after their arrival whose objects arrived after D (the run of their arrival date quarantines them).
    """
    quarantined = rows["quarantined_bad"] + rows["quarantined_after_arrival"] + rows["quarantined_after_window"]
    return {
        "read": lines["read"],
        "written": rows["written"],
        "quarantined": quarantined,
        "duplicates_dropped": (
            lines["on_date_here"] + lines["on_date_elsewhere"] - rows["written"]
            + lines["after_arrival_here"] - rows["quarantined_after_arrival"]
            + lines["after_window_here"] - rows["quarantined_after_window"]
        ),
        "late": rows["late"],
        "arrived_after_window": rows["quarantined_after_window"],
        "listened_after_arrival": rows["quarantined_after_arrival"],
        "bad_lines": rows["quarantined_bad"],
        "other_dates": lines["other_date_here"] + lines["other_date_elsewhere"] + lines["after_window_elsewhere"],
        "left_to_other_runs": lines["bad_elsewhere"] + lines["after_arrival_elsewhere"],
    }
