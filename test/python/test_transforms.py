"""Classification and shaping of users, sessions and songs on small in-memory frames."""
import datetime as dt
import json
from decimal import Decimal

import pytest

import landing_fixtures as L
from deftunes_glue.parsing import parse_json_lines
from deftunes_glue.schemas import LANDING_SCHEMAS, TABLE_SCHEMAS
from deftunes_glue.transforms import (
    INVALID_JSON_REASON,
    NOT_AN_OBJECT_REASON,
    WRONG_JSON_TYPE_REASON,
    DUPLICATE,
    QUARANTINED,
    VALID,
    LoadContext,
    classify_source,
    count_outcomes,
    quarantine_rows,
    shape_sessions,
    shape_songs,
    shape_users,
)

CONTEXT = {
    source: LoadContext(source, "2020-02-01", f"/landing/{source}.jsonl.gz", "2020-02-02 03:04:05.000006")
    for source in ("users", "sessions", "songs")
}


def classified(spark, source, *records):
    texts = [json.dumps(r) if isinstance(r, dict) else r for r in records]
    frame = spark.createDataFrame([(t,) for t in texts], "value string")
    return classify_source(parse_json_lines(frame, LANDING_SCHEMAS[source]), source)


def outcomes(frame, key):
    return {row[key]: (row._status, row._reason) for row in frame.collect()}


# ---- users ------------------------------------------------------------------------------------------


def test_a_valid_user_is_typed_with_its_location_split(spark):
    rows = shape_users(classified(spark, "users", L.user()), CONTEXT["users"]).collect()
    assert len(rows) == 1
    assert rows[0].asDict() == {
        "user_id": "0b9ad1a4-5c1f-4a58-9d7e-2d0c8e6b7f01",
        "user_name": "Ada",
        "user_lastname": "Lovelace",
        "latitude": 51.50853,
        "longitude": -0.12574,
        "place_name": "London",
        "country_code": "GB",
        "timezone": "Europe/London",
        "user_since": dt.datetime(2020, 1, 15, 8, 30),
        "ingest_on": dt.date(2020, 2, 1),
        "processing_timestamp": dt.datetime(2020, 2, 2, 3, 4, 5, 6),
        "source_from": "/landing/users.jsonl.gz",
    }


def columns(schema):
    return [(field.name, field.dataType) for field in schema.fields]


def test_shaped_frames_have_exactly_the_table_columns_and_types(spark):
    shaped = {
        "users": shape_users(classified(spark, "users", L.user()), CONTEXT["users"]),
        "sessions": shape_sessions(classified(spark, "sessions", L.session()), CONTEXT["sessions"]),
        "songs": shape_songs(classified(spark, "songs", L.song()), CONTEXT["songs"]),
        "quarantine": quarantine_rows(classified(spark, "songs", L.song()), CONTEXT["songs"]),
    }
    for table, frame in shaped.items():
        assert columns(frame.schema) == columns(TABLE_SCHEMAS[table]), table


USER_PROBLEMS = [
    ({"user_id": None}, "user_id is missing"),
    ({"user_id": "  "}, "user_id is missing"),
    ({"user_since": None}, "user_since is missing"),
    ({"user_since": "15/01/2020"}, 'user_since is not an ISO-8601 timestamp: "15/01/2020"'),
    ({"user_location": None}, "user_location is missing"),
    (
        {"user_location": ["1", "2", "London", "GB"]},
        "user_location must hold 5 values [latitude, longitude, place, country, time zone], got 4",
    ),
    ({"user_location": ["north", "2", "P", "GB", "tz"]}, 'user_location latitude is not a number in [-90, 90]: "north"'),
    ({"user_location": ["91", "2", "P", "GB", "tz"]}, 'user_location latitude is not a number in [-90, 90]: "91"'),
    ({"user_location": ["1", None, "P", "GB", "tz"]}, "user_location longitude is not a number in [-180, 180]: null"),
    ({"user_location": ["1", "2", "P", "gb", "tz"]}, 'user_location country is not an ISO 3166-1 alpha-2 code: "gb"'),
    ({}, None),
]


def test_users_that_cannot_be_typed_are_quarantined_with_the_reason(spark):
    records = [L.user(**{"user_id": f"user-{n}", **overrides}) for n, (overrides, _) in enumerate(USER_PROBLEMS)]
    by_line = {r._raw: (r._status, r._reason) for r in classified(spark, "users", *records).collect()}
    for record, (_, reason) in zip(records, USER_PROBLEMS):
        assert by_line[json.dumps(record)] == (QUARANTINED if reason else VALID, reason)


def test_several_problems_are_all_named(spark):
    frame = classified(spark, "users", L.user(user_id=None, user_since="never"))
    assert frame.first()._reason == 'user_id is missing; user_since is not an ISO-8601 timestamp: "never"'


def test_descriptive_text_may_be_null(spark):
    frame = classified(spark, "users", L.user(user_name=None, user_location=["1", "2", None, "GB", None]))
    assert frame.first()._status == VALID


def test_corrupt_lines_are_quarantined_verbatim_with_what_is_wrong(spark):
    wrong_type = json.dumps(L.user(user_location="London"))
    frame = classified(spark, "users", "{broken", "[1, 2]", wrong_type, L.user())
    rows = quarantine_rows(frame, CONTEXT["users"]).collect()
    assert sorted((r.source, r.raw_record, r.reason, r.ingest_on) for r in rows) == sorted([
        ("users", "{broken", INVALID_JSON_REASON, dt.date(2020, 2, 1)),
        ("users", "[1, 2]", NOT_AN_OBJECT_REASON, dt.date(2020, 2, 1)),
        ("users", wrong_type, WRONG_JSON_TYPE_REASON, dt.date(2020, 2, 1)),
    ])


# ---- sessions ---------------------------------------------------------------------------------------


def test_a_session_becomes_one_row_per_item_in_order(spark):
    record = L.session(items=[L.item("TRA"), L.item("TRB", price=1.29, liked=False, liked_since=None), L.item("TRC", price=2)])
    rows = shape_sessions(classified(spark, "sessions", record), CONTEXT["sessions"]).orderBy("item_index").collect()
    assert [(r.item_index, r.song_id, r.price, r.liked, r.liked_since) for r in rows] == [
        (0, "TRA", Decimal("0.99"), True, dt.datetime(2020, 2, 1, 8, 0, 0, 123456)),
        (1, "TRB", Decimal("1.29"), False, None),
        (2, "TRC", Decimal("2.00"), True, dt.datetime(2020, 2, 1, 8, 0, 0, 123456)),
    ]
    assert {(r.session_id, r.user_id, r.session_start_time, r.user_agent) for r in rows} == {
        (record["session_id"], record["user_id"], dt.datetime(2020, 2, 1, 9, 15), "Mozilla/5.0")
    }


def test_a_real_api_session_keeps_its_offsetless_microsecond_times_and_a_later_like(spark):
    # The real API: times without an offset (UTC) and with microseconds; a like dated years after the session.
    record = L.session(session_start_time="2020-02-07T18:05:25.824461",
                       items=[L.item("TRA", liked_since="2023-05-01T07:08:09.000001")])
    rows = shape_sessions(classified(spark, "sessions", record), CONTEXT["sessions"]).collect()
    assert [(r.session_start_time, r.liked_since) for r in rows] == [
        (dt.datetime(2020, 2, 7, 18, 5, 25, 824461), dt.datetime(2023, 5, 1, 7, 8, 9, 1))
    ]


SESSION_PROBLEMS = [
    ({"session_id": None}, "session_id is missing"),
    ({"session_start_time": "2020-02-01"}, 'session_start_time is not an ISO-8601 timestamp: "2020-02-01"'),
    ({"session_items": None}, "session_items is missing"),
    ({"items": []}, "session_items is empty"),
    ({"items": [L.item(), None]}, "session_items[1] is null"),
    ({"items": [L.item(price=0.999)]}, 'session_items[0].price has more than 2 decimal places: "0.999"'),
    ({"items": [L.item(price=-1)]}, 'session_items[0].price must be positive: "-1.0"'),
    ({"items": [L.item(price=None)]}, "session_items[0].price is missing"),
    ({"items": [L.item(price=1e9)]}, 'session_items[0].price does not fit decimal(10,2): "1.0E9"'),
    ({"items": [L.item(), L.item(liked_since="soon")]}, 'session_items[1].liked_since is not an ISO-8601 timestamp: "soon"'),
    (
        {"items": [L.item(song_id=None, liked=None)]},
        "session_items[0].song_id is missing; session_items[0].liked is missing",
    ),
    ({"items": [L.item(price="0.99")]}, WRONG_JSON_TYPE_REASON),
    ({"items": [L.item(liked="yes")]}, WRONG_JSON_TYPE_REASON),
]


def test_a_session_with_any_bad_part_is_quarantined_whole(spark):
    records = [L.session(**{"session_id": f"s-{n}", **case}) for n, (case, _) in enumerate(SESSION_PROBLEMS)]
    frame = classified(spark, "sessions", *records, L.session("good"))
    by_line = {r._raw: (r._status, r._reason) for r in frame.collect()}
    for record, (_, reason) in zip(records, SESSION_PROBLEMS):
        assert by_line[json.dumps(record)] == (QUARANTINED, reason)
    assert {r.session_id for r in shape_sessions(frame, CONTEXT["sessions"]).collect()} == {"good"}
    quarantined = quarantine_rows(frame, CONTEXT["sessions"]).collect()
    assert sorted(r.raw_record for r in quarantined) == sorted(json.dumps(r) for r in records)


def test_exact_duplicate_sessions_are_kept_once_and_counted(spark):
    frame = classified(spark, "sessions", L.session(), L.session(), L.session("s2"))
    assert sorted(r._status for r in frame.collect()) == [DUPLICATE, VALID, VALID]
    rows = shape_sessions(frame, CONTEXT["sessions"]).collect()
    assert sorted((r.session_id, r.item_index) for r in rows) == sorted(
        [(L.session()["session_id"], 0), (L.session()["session_id"], 1), ("s2", 0), ("s2", 1)]
    )
    assert count_outcomes(frame, "sessions") == {
        "read": 3, "written": 4, "quarantined": 0, "duplicates_dropped": 1, "records_written": 2
    }


def test_duplicates_differing_only_in_unknown_fields_or_key_order_are_exact_duplicates(spark):
    first = L.session()
    second = {"extra": 1, **dict(reversed(list(L.session().items())))}
    frame = classified(spark, "sessions", first, second)
    assert sorted(r._status for r in frame.collect()) == [DUPLICATE, VALID]


def test_conflicting_duplicate_sessions_are_all_quarantined(spark):
    frame = classified(spark, "sessions", L.session(), L.session(user_agent="curl/8"), L.session("s2"))
    statuses = sorted((r.session_id, r._status) for r in frame.collect())
    assert statuses == sorted([(L.session()["session_id"], QUARANTINED)] * 2 + [("s2", VALID)])
    reasons = {r._reason for r in frame.collect() if r._status == QUARANTINED}
    assert reasons == {f'conflicting duplicates: session_id="{L.session()["session_id"]}" appears in 2 records with different content'}


def test_a_broken_copy_does_not_make_a_good_record_conflict(spark):
    frame = classified(spark, "sessions", L.session(), L.session(session_start_time="bad"))
    assert sorted(r._status for r in frame.collect()) == [QUARANTINED, VALID]


# ---- songs ------------------------------------------------------------------------------------------


def test_song_numbers_are_cast_from_numbers_or_numeric_text(spark):
    frame = classified(spark, "songs", L.song(), L.song("TR2", duration="219.5", year="1999", artist_hotttnesss=None))
    rows = {r.track_id: r for r in shape_songs(frame, CONTEXT["songs"]).collect()}
    assert (rows["TRAAAAW128F429D538"].duration, rows["TRAAAAW128F429D538"].year) == (218.93179, 0)
    assert (rows["TR2"].duration, rows["TR2"].year, rows["TR2"].artist_hotttnesss) == (219.5, 1999, None)
    assert rows["TR2"].track_7digitalid == 7032331


SONG_PROBLEMS = [
    ({"track_id": None}, "track_id is missing"),
    ({"duration": "long"}, 'duration is not a number: "long"'),
    ({"year": 1999.5}, 'year is not an integer in the int range: "1999.5"'),
    ({"shs_perf": 2**40}, f'shs_perf is not an integer in the int range: "{2**40}"'),
    ({"year": "abc", "duration": "x"}, 'duration is not a number: "x"; year is not an integer in the int range: "abc"'),
]


def test_songs_that_cannot_be_typed_are_quarantined(spark):
    records = [L.song(**{"track_id": f"TR{n}", **case}) for n, (case, _) in enumerate(SONG_PROBLEMS)]
    by_line = {r._raw: (r._status, r._reason) for r in classified(spark, "songs", *records).collect()}
    for record, (_, reason) in zip(records, SONG_PROBLEMS):
        assert by_line[json.dumps(record)] == (QUARANTINED, reason)


def test_duplicate_track_ids_with_different_content_are_quarantined(spark):
    frame = classified(spark, "songs", L.song(), L.song(title="Other"))
    assert [r._status for r in frame.collect()] == [QUARANTINED, QUARANTINED]


# ---- empty input and counts -------------------------------------------------------------------------


@pytest.mark.parametrize("source", ["users", "sessions", "songs"])
def test_empty_input_gives_empty_outputs_and_zero_counts(spark, source):
    frame = classified(spark, source)
    shaper = {"users": shape_users, "sessions": shape_sessions, "songs": shape_songs}[source]
    assert shaper(frame, CONTEXT[source]).count() == 0
    assert quarantine_rows(frame, CONTEXT[source]).count() == 0
    assert count_outcomes(frame, source) == {
        "read": 0, "written": 0, "quarantined": 0, "duplicates_dropped": 0, "records_written": 0
    }


def test_counts_add_up(spark):
    frame = classified(spark, "users", L.user("a"), L.user("a"), L.user("b", user_since="x"), "nope", L.user("c"))
    counts = count_outcomes(frame, "users")
    assert counts == {"read": 5, "written": 2, "quarantined": 2, "duplicates_dropped": 1, "records_written": 2}
    assert counts["read"] == counts["records_written"] + counts["quarantined"] + counts["duplicates_dropped"]
