"""Column expressions that parse landing text into typed values; a failed parse gives null, never an error.

Each ``*_problem`` function returns a Column holding a reason (string) when the value cannot be typed,
and null when it can; ``transforms`` collects them into the quarantine reason of a record.
"""
from typing import Sequence

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from .schemas import CORRUPT_RECORD_COLUMN, RAW_LINE_COLUMN

ISO_TIMESTAMP_PATTERN = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}(:?\d{2})?)?$"
"""ISO-8601 date-time, as the API contract allows: seconds, fraction and offset optional ('T' required)."""
DECIMAL_TEXT_PATTERN = r"^-?\d+(\.\d+)?$"
"""A plain decimal number (the location's latitude and longitude)."""
NUMBER_TEXT_PATTERN = r"^-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"
"""A JSON number's text, exponent allowed (how a double column arrives)."""
INTEGER_TEXT_PATTERN = r"^-?\d{1,10}$"
INT_MIN, INT_MAX = -(2**31), 2**31 - 1


def parse_json_lines(
    lines: DataFrame, schema: T.StructType, line_column: str = "value", keep: Sequence[str] = ()
) -> DataFrame:
    """Parses JSON lines against ``schema`` (which must hold the corrupt-record column), keeping each line
    and the columns of ``lines`` named in ``keep`` (e.g. where the line came from).

    PERMISSIVE mode: a line that is not JSON, or whose values do not fit the schema's JSON types, keeps its
    text in ``_corrupt_record`` instead of failing the job or vanishing. Blank lines are skipped.
    """
    if CORRUPT_RECORD_COLUMN not in schema.fieldNames():
        raise ValueError(f"schema must hold the corrupt-record column {CORRUPT_RECORD_COLUMN}")
    options = {"mode": "PERMISSIVE", "columnNameOfCorruptRecord": CORRUPT_RECORD_COLUMN}
    parsed = (
        lines.where(F.trim(F.col(line_column)) != "")
        .select(
            *keep,
            F.col(line_column).alias(RAW_LINE_COLUMN),
            F.from_json(F.col(line_column), schema, options).alias("r"),
        )
        .select(*keep, RAW_LINE_COLUMN, "r.*")
    )
    # from_json leaves the corrupt column null for valid JSON of the wrong shape (an array, a bare
    # number): any line that did not become an object is corrupt too.
    return parsed.withColumn(
        CORRUPT_RECORD_COLUMN,
        F.when(F.col(CORRUPT_RECORD_COLUMN).isNotNull(), F.col(CORRUPT_RECORD_COLUMN))
        .when(~F.trim(F.col(RAW_LINE_COLUMN)).startswith("{"), F.col(RAW_LINE_COLUMN)),
    )


def quoted(value: Column) -> Column:
    """A value for a reason message, JSON-quoted so that empty strings and spaces stay visible."""
    return F.regexp_extract(F.to_json(F.array(value)), r"^\[(.*)\]$", 1)


def iso_timestamp(value: Column) -> Column:
    """UTC wall-clock TIMESTAMP_NTZ of an ISO-8601 string; values without an offset are taken as UTC.

    Needs ``spark.sql.session.timeZone=UTC``: Spark resolves the offset into an instant, and the cast to
    TIMESTAMP_NTZ renders that instant in the session time zone.
    """
    return F.when(value.rlike(ISO_TIMESTAMP_PATTERN), F.to_timestamp(value)).cast("timestamp_ntz")


def timestamp_problem(value: Column, name: str, required: bool = True) -> Column:
    missing = F.lit(f"{name} is missing") if required else F.lit(None).cast("string")
    return (
        F.when(value.isNull(), missing)
        .when(iso_timestamp(value).isNull(), F.concat(F.lit(f"{name} is not an ISO-8601 timestamp: "), quoted(value)))
    )


def decimal_text(value: Column) -> Column:
    """The double of a plain decimal text, or null."""
    return F.when(value.rlike(DECIMAL_TEXT_PATTERN), value.cast("double"))


def number_text(value: Column) -> Column:
    """The double of a JSON number's text, or null."""
    return F.when(F.trim(value).rlike(NUMBER_TEXT_PATTERN), F.trim(value).cast("double"))


def integer_text(value: Column) -> Column:
    """The int of an integer text within the int range, or null."""
    as_long = F.when(F.trim(value).rlike(INTEGER_TEXT_PATTERN), F.trim(value).cast("bigint"))
    return F.when(as_long.between(INT_MIN, INT_MAX), as_long.cast("int"))


def number_problem(value: Column, name: str) -> Column:
    """Reason when a nullable numeric text is present but not a number."""
    return F.when(
        value.isNotNull() & number_text(value).isNull(), F.concat(F.lit(f"{name} is not a number: "), quoted(value))
    )


def integer_problem(value: Column, name: str) -> Column:
    """Reason when a nullable integer text is present but not an integer in the int range."""
    return F.when(
        value.isNotNull() & integer_text(value).isNull(),
        F.concat(F.lit(f"{name} is not an integer in the int range: "), quoted(value)),
    )


def missing_problem(value: Column, name: str) -> Column:
    """Reason when a required text is null or blank."""
    return F.when(value.isNull() | (F.trim(value) == ""), F.lit(f"{name} is missing"))


def join_problems(*problems: Column) -> Column:
    """The reasons that apply, joined by '; ', or null when there are none."""
    joined = F.concat_ws("; ", *problems)
    return F.when(joined != "", joined)
