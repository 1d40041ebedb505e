"""The Glue side of the songs contract (lambdas/shared/songs-contract.json): the landing and table schemas
have its columns and types, and the songs transform accepts what the extractor lands from any column type
the contract allows (test/contracts/songs-contract-cases.json, also landed by the jest extraction test)."""
import json
import pathlib
import re

from pyspark.sql import types as T

import landing_fixtures as L
from deftunes_glue import parsing as P
from deftunes_glue.parsing import parse_json_lines
from deftunes_glue.schemas import (
    LANDING_SCHEMAS,
    SONG_DOUBLE_COLUMNS,
    SONG_INT_COLUMNS,
    SONG_TEXT_COLUMNS,
    SONG_VALUE_CHECKS,
    SONGS_TABLE_SCHEMA,
)
from deftunes_glue.transforms import QUARANTINED, VALID, LoadContext, classify_source, shape_songs

ROOT = pathlib.Path(__file__).resolve().parents[2]
CONTRACT = json.loads((ROOT / "lambdas" / "shared" / "songs-contract.json").read_text())
CASES = json.loads((ROOT / "test" / "contracts" / "songs-contract-cases.json").read_text())
CONTEXT = LoadContext("songs", "2020-02-01", "/landing/songs.jsonl.gz", "2020-02-02 03:04:05.000006")
GLUE_TYPES = {"string": T.StringType(), "double": T.DoubleType(), "int": T.IntegerType()}


def columns_of(kind):
    return tuple(column["name"] for column in CONTRACT["columns"] if column["kind"] == kind)


def test_the_glue_column_groups_are_the_contract_kinds():
    assert (SONG_TEXT_COLUMNS, SONG_DOUBLE_COLUMNS, SONG_INT_COLUMNS) == (
        columns_of("text"),
        columns_of("float"),
        columns_of("int"),
    )


def test_the_songs_table_types_each_column_as_the_contract_says():
    table = {field.name: field.dataType for field in SONGS_TABLE_SCHEMA.fields}
    expected = {column["name"]: GLUE_TYPES[CONTRACT["kinds"][column["kind"]]["glue"]] for column in CONTRACT["columns"]}
    assert {name: table[name] for name in expected} == expected
    # Landing reads every contract column as text: the transform types it, with a reason per failure.
    landing = {field.name: field.dataType for field in LANDING_SCHEMAS["songs"].fields}
    assert {name: landing[name] for name in expected} == {name: T.StringType() for name in expected}


def test_the_int_range_is_the_contracts():
    assert (P.INT_MIN, P.INT_MAX) == (CONTRACT["kinds"]["int"]["min"], CONTRACT["kinds"]["int"]["max"])


def classified(spark, records):
    frame = spark.createDataFrame([(json.dumps(record),) for record in records], "value string")
    return classify_source(parse_json_lines(frame, LANDING_SCHEMAS["songs"]), "songs")


def test_every_row_the_extractor_lands_is_accepted_with_the_same_values(spark):
    frame = classified(spark, CASES["landed"])
    assert {r._status for r in frame.collect()} == {VALID}
    typed = {r.track_id: r.asDict() for r in shape_songs(frame, CONTEXT).collect()}
    names = [column["name"] for column in CONTRACT["columns"]]
    assert [{name: typed[row["track_id"]][name] for name in names} for row in CASES["landed"]] == CASES["landed"]


def test_ints_just_outside_the_contract_range_are_quarantined(spark):
    low, high = CONTRACT["kinds"]["int"]["min"], CONTRACT["kinds"]["int"]["max"]
    records = [L.song("TR1", shs_work=low - 1), L.song("TR2", track_7digitalid=high + 1)]
    assert sorted((r.track_id, r._status) for r in classified(spark, records).collect()) == [
        ("TR1", QUARANTINED),
        ("TR2", QUARANTINED),
    ]


def test_the_glue_value_checks_are_the_contracts():
    assert SONG_VALUE_CHECKS == {c["name"]: c["check"] for c in CONTRACT["columns"] if "check" in c}


def test_bad_catalog_values_are_quarantined_with_the_extractors_reason(spark):
    """A duration 0 or a year outside 1900..2100 (0 = unknown passes) no longer reaches the songs table to
    fail every day's gate: the transform quarantines it as the extractor does, so the quarantine rate counts it."""
    checked = [case for case in CASES["quarantined"] if re.search(r" is (not >|neither in) ", case["reason"])]
    records = [
        {**CASES["landed"][0], "track_id": f"TRQ{n:015d}", case["column"]: json.loads(case["value"])}
        for n, case in enumerate(checked)
    ]
    frame = classified(spark, records + [{**CASES["landed"][0], "year": 0}])
    by_id = {r.track_id: (r._status, r._reason) for r in frame.collect()}
    assert [by_id[r["track_id"]] for r in records] == [(QUARANTINED, case["reason"]) for case in checked]
    assert by_id[CASES["landed"][0]["track_id"]] == (VALID, None)
