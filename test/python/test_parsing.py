"""Parsing landing text: JSON lines against explicit schemas, ISO timestamps, numeric text."""
import datetime as dt
import json

import pytest
from pyspark.sql import functions as F
from pyspark.sql.types import StructType

from deftunes_glue import parsing as P
from deftunes_glue.schemas import CORRUPT_RECORD_COLUMN, RAW_LINE_COLUMN, SESSIONS_LANDING_SCHEMA, USERS_LANDING_SCHEMA


def lines(spark, *texts):
    return spark.createDataFrame([(t,) for t in texts], "value string")


def test_a_valid_line_is_parsed_and_kept_verbatim(spark):
    line = json.dumps({"user_id": "u1", "user_location": ["1.5", "2", "P", "GB", "tz"], "user_since": "2020-01-01T00:00:00Z"})
    row = P.parse_json_lines(lines(spark, line), USERS_LANDING_SCHEMA).first()
    assert row[RAW_LINE_COLUMN] == line
    assert row.user_id == "u1"
    assert row.user_location == ["1.5", "2", "P", "GB", "tz"]
    assert row[CORRUPT_RECORD_COLUMN] is None


@pytest.mark.parametrize(
    "line",
    [
        "not json",
        '{"user_id": "u1", "user_location": "London"}',  # a string where the contract has an array
        "[1, 2, 3]",  # JSON, but not an object
        "42",
        '{"user_id": "u1", ',  # truncated
    ],
)
def test_lines_that_do_not_fit_the_schema_are_kept_as_corrupt(spark, line):
    row = P.parse_json_lines(lines(spark, line), USERS_LANDING_SCHEMA).first()
    assert row[CORRUPT_RECORD_COLUMN] == line
    assert row[RAW_LINE_COLUMN] == line


def test_a_field_of_the_wrong_json_type_in_a_nested_item_makes_the_record_corrupt(spark):
    bad_price = json.dumps({"session_id": "s", "session_items": [{"song_id": "TR1", "price": "cheap"}]})
    bad_liked = json.dumps({"session_id": "s", "session_items": [{"song_id": "TR1", "liked": "yes"}]})
    rows = P.parse_json_lines(lines(spark, bad_price, bad_liked), SESSIONS_LANDING_SCHEMA).collect()
    assert [r[CORRUPT_RECORD_COLUMN] for r in rows] == [bad_price, bad_liked]


def test_unknown_fields_are_ignored_and_numbers_read_into_text_fields_keep_their_text(spark):
    line = json.dumps({"user_id": 7, "extra": {"nested": True}, "user_location": [51.5, -0.1, "London", "GB", "tz"]})
    row = P.parse_json_lines(lines(spark, line), USERS_LANDING_SCHEMA).first()
    assert "extra" not in row.asDict()
    assert row.user_id == "7"
    assert row.user_location[:2] == ["51.5", "-0.1"]
    assert row[CORRUPT_RECORD_COLUMN] is None


def test_blank_lines_are_skipped_and_empty_input_gives_an_empty_frame(spark):
    assert P.parse_json_lines(lines(spark, "", "   "), USERS_LANDING_SCHEMA).count() == 0
    assert P.parse_json_lines(spark.createDataFrame([], "value string"), USERS_LANDING_SCHEMA).count() == 0


def test_the_schema_must_hold_the_corrupt_record_column(spark):
    without = StructType([USERS_LANDING_SCHEMA["user_id"]])
    with pytest.raises(ValueError, match="corrupt-record column"):
        P.parse_json_lines(lines(spark, "{}"), without)


TIMESTAMPS = [
    ("2020-02-01T10:00:00Z", dt.datetime(2020, 2, 1, 10, 0, 0)),
    ("2020-02-01T10:00:00+02:00", dt.datetime(2020, 2, 1, 8, 0, 0)),
    ("2020-02-01T00:30:00-05:00", dt.datetime(2020, 2, 1, 5, 30, 0)),
    ("2020-02-01T10:00:00", dt.datetime(2020, 2, 1, 10, 0, 0)),  # no offset: taken as UTC
    ("2020-02-01T10:00", dt.datetime(2020, 2, 1, 10, 0, 0)),
    ("2020-02-01T10:00:00.123456+0100", dt.datetime(2020, 2, 1, 9, 0, 0, 123456)),
    # The real API's form: no offset (UTC), microseconds kept.
    ("2020-02-07T18:05:25.824461", dt.datetime(2020, 2, 7, 18, 5, 25, 824461)),
    ("2020-02-01T10:00:00.1Z", dt.datetime(2020, 2, 1, 10, 0, 0, 100000)),
    ("2020-02-01T10:00:00.123456789Z", dt.datetime(2020, 2, 1, 10, 0, 0, 123456)),  # truncated to microseconds
    ("2020-02-01T10:00:00+01", dt.datetime(2020, 2, 1, 9, 0, 0)),
    ("2020-02-30T10:00:00Z", None),
    ("2020-02-01", None),
    ("2020-02-01 10:00:00", None),
    ("yesterday", None),
    ("2020-13-45T10:00:00Z", None),
    ("", None),
    (None, None),
]


def test_iso_timestamps_become_utc_wall_clock_time(spark):
    frame = spark.createDataFrame([(n, text) for n, (text, _) in enumerate(TIMESTAMPS)], "n int, t string")
    parsed = {r.n: r.ts for r in frame.select("n", P.iso_timestamp(F.col("t")).alias("ts")).collect()}
    assert [parsed[n] for n in range(len(TIMESTAMPS))] == [expected for _, expected in TIMESTAMPS]


def test_timestamp_problem_names_the_field_and_quotes_the_value(spark):
    frame = spark.createDataFrame([("bad",), (None,), ("2020-02-01T10:00:00Z",)], "t string")
    required = [r.p for r in frame.select(P.timestamp_problem(F.col("t"), "user_since").alias("p")).collect()]
    optional = [r.p for r in frame.select(P.timestamp_problem(F.col("t"), "liked_since", False).alias("p")).collect()]
    assert required == ['user_since is not an ISO-8601 timestamp: "bad"', "user_since is missing", None]
    assert optional == ['liked_since is not an ISO-8601 timestamp: "bad"', None, None]


NUMERIC_TEXTS = [
    ("1", 1.0, 1),
    ("-12", -12.0, -12),
    ("218.93179", 218.93179, None),
    ("1.0E-5", 1.0e-5, None),
    (" 7 ", 7.0, 7),
    ("2147483647", 2147483647.0, 2147483647),
    ("2147483648", 2147483648.0, None),  # beyond int
    ("abc", None, None),
    ("NaN", None, None),
    ("", None, None),
    (None, None, None),
]


def test_numeric_text(spark):
    frame = spark.createDataFrame([(n, text) for n, (text, _, _) in enumerate(NUMERIC_TEXTS)], "n int, t string")
    rows = frame.select("n", P.number_text(F.col("t")).alias("x"), P.integer_text(F.col("t")).alias("i")).collect()
    parsed = {r.n: (r.x, r.i) for r in rows}
    assert [parsed[n] for n in range(len(NUMERIC_TEXTS))] == [(x, i) for _, x, i in NUMERIC_TEXTS]


def test_join_problems_gives_null_when_nothing_is_wrong(spark):
    row = spark.range(1).select(
        P.join_problems(F.lit(None).cast("string"), F.lit(None).cast("string")).alias("none"),
        P.join_problems(F.lit("a"), F.lit(None).cast("string"), F.lit("b")).alias("two"),
    ).first()
    assert (row.none, row.two) == (None, "a; b")
