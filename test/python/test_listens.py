"""The listening events transform (docs/listening-events.md, Transform): window, reasons, dedup, quarantine, job."""
import datetime as dt
import gzip
import json
import uuid

import pytest

from deftunes_glue import listens as L
from deftunes_glue.jobs import run_job
from deftunes_glue.options import JobArgumentError, options_from_mapping
from deftunes_glue.schemas import RAW_LINE_COLUMN
from deftunes_glue.transforms import REASON_COLUMN
from local_runner import Runner

D, NEXT = "2020-02-01", "2020-02-02"
TRACK = "TRAAAAW128F429D538"


def event_id(n: int) -> str:
    return str(uuid.UUID(int=n))


def play(n: int, listened_at: str, **overrides) -> dict:
    record = {"event_id": event_id(n), "user_id": str(uuid.UUID(int=10_000 + n)), "track_id": TRACK,
              "listened_at": listened_at, "ms_played": 183000, "device": "ios"}
    record.update(overrides)
    return record


def object_key(arrival: str, name: str) -> str:
    """``arrival``: 'YYYY-MM-DDTHH', the object's arrival hour."""
    day, hour = arrival.split("T")
    return f"stream/listens/arrived_on={day}/hour={hour}/deftunes-listens-1-{day}-{hour}-{name}.jsonl.gz"


def deliver(landing, arrival: str, name: str, *lines) -> str:
    """Writes one Firehose object (gzipped JSON lines; strings as given); returns its key."""
    key = object_key(arrival, name)
    path = landing / key
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "".join((json.dumps(line) if isinstance(line, dict) else line) + "\n" for line in lines)
    path.write_bytes(gzip.compress(text.encode("utf-8"), mtime=0))
    return key


# ---- window and reasons (no job) ---------------------------------------------------------------------


def test_the_window_is_the_date_and_the_lateness_hours_after_it():
    window = L.window_of(D, 12)
    prefixes = window.prefixes()
    assert len(prefixes) == 36
    assert prefixes[0] == "stream/listens/arrived_on=2020-02-01/hour=00/"
    assert prefixes[-1] == "stream/listens/arrived_on=2020-02-02/hour=11/"
    assert window.describe() == {"from": "2020-02-01T00:00:00Z", "to": "2020-02-02T12:00:00Z"}
    assert L.window_of(D, 0).prefixes()[-1] == "stream/listens/arrived_on=2020-02-01/hour=23/"
    with pytest.raises(ValueError, match="lateness_hours"):
        L.window_of(D, 169)


def classify(spark, *lines, arrival="2020-02-01T10", lateness=12):
    path = "s3://landing/" + object_key(arrival, "a")
    texts = [json.dumps(line) if isinstance(line, dict) else line for line in lines]
    frame = spark.createDataFrame([(text, path) for text in texts], f"value string, {L.PATH_COLUMN} string")
    return L.with_reasons(L.classify_listens(L.located_lines(frame), L.window_of(D, lateness)))


LINE_REASONS = [
    ("{not json", "not valid JSON"),
    ('["an", "array"]', "not a JSON object"),
    ("42", "not a JSON object"),
    (play(1, "2020-02-01T10:00:00Z", event_id="e-1"), 'event_id is not a UUID: "e-1"'),
    (play(1, "2020-02-01T10:00:00Z", user_id=None), "user_id is missing"),
    (play(1, "2020-02-01T10:00:00Z", track_id="TR123"), 'track_id is not TR + 16 letters or digits: "TR123"'),
    (play(1, "yesterday"), 'listened_at is not an ISO-8601 timestamp: "yesterday"'),
    (play(1, "2020-02-01T10:00:00Z", ms_played=-1), "ms_played is not an integer >= 0: -1"),
    (play(1, "2020-02-01T10:00:00Z", ms_played=1.5), 'ms_played is not an integer >= 0: "1.5"'),
    (play(1, "2020-02-01T10:00:00Z", ms_played="183000"), 'ms_played is not an integer >= 0: "183000"'),
    (play(1, "2020-02-01T10:00:00Z", ms_played=None), "ms_played is missing"),
    (play(1, "2020-02-01T10:00:00Z", event_id="", ms_played=2**70), 'event_id is missing; ms_played is not an integer >= 0: "1180591620717411303424"'),
    (play(1, "2020-02-01T10:00:00Z", device=None), None),
    (play(1, "2020-02-01T11:00:00+01:00"), None),
]


def test_a_bad_line_is_quarantined_with_a_reason_naming_the_field(spark):
    texts = [json.dumps(line) if isinstance(line, dict) else line for line, _ in LINE_REASONS]
    found = {row[RAW_LINE_COLUMN]: (row[REASON_COLUMN], row[L.OUTCOME_COLUMN]) for row in classify(spark, *texts).collect()}
    assert [found[text] for text in texts] == [(reason, L.BAD if reason else L.ON_DATE) for _, reason in LINE_REASONS]


def test_outcomes_follow_the_event_date_the_arrival_hour_and_the_windows(spark):
    cases = {
        "2020-02-01T10": [("2020-02-01T10:59:59.999Z", L.ON_DATE), ("2020-02-01T11:00:00Z", L.ON_DATE),
                          ("2020-02-01T11:00:00.001Z", L.AFTER_ARRIVAL)],
        "2020-02-02T11": [("2020-02-01T23:59:00Z", L.ON_DATE), ("2020-02-02T01:00:00Z", L.OTHER_DATE),
                          ("2020-01-31T23:00:00Z", L.AFTER_WINDOW)],
        "2020-02-01T11": [("2020-01-31T22:00:00Z", L.OTHER_DATE)],
        "2020-02-01T12": [("2020-01-31T22:00:00Z", L.AFTER_WINDOW)],
    }
    for arrival, plays in cases.items():
        rows = classify(spark, *[play(n, at) for n, (at, _) in enumerate(plays)], arrival=arrival).collect()
        outcomes = {row.event_id: row[L.OUTCOME_COLUMN] for row in rows}
        assert outcomes == {event_id(n): outcome for n, (_, outcome) in enumerate(plays)}, arrival
    late = classify(spark, play(1, "2020-01-31T08:00:00Z"), arrival="2020-02-01T13").first()
    assert late[REASON_COLUMN] == "arrived after the lateness window of 2020-01-31"


# ---- the job ------------------------------------------------------------------------------------------


@pytest.fixture
def landing(tmp_path):
    return tmp_path / "landing"


@pytest.fixture
def run(spark, landing, database, spark_data_dir, tmp_path):
    def run_date(run_date, **arguments):
        options = options_from_mapping({
            "run_date": run_date, "landing_path": str(landing), "database": database,
            "warehouse_path": str(spark_data_dir / "transform" / "warehouse"),
            "job_results_path": str(tmp_path / "results"), **arguments,
        })
        return run_job(spark, "transform_listens", options)

    return run_date


def rows(spark, database, table, where):
    frame = spark.table(f"glue_catalog.{database}.{table}").where(where).drop("processing_timestamp")
    return sorted((row.asDict() for row in frame.collect()), key=lambda row: json.dumps(row, default=str, sort_keys=True))


def deliver_window(landing):
    """Plays of D and around it, as Firehose would land them: duplicated, late, skewed, bad."""
    keys = {
        "d10a": deliver(landing, "2020-02-01T10", "a", play(1, "2020-02-01T10:00:00Z"), "{not json",
                        play(3, "2020-02-01T10:30:00Z")),
        "d10b": deliver(landing, "2020-02-01T10", "b", play(3, "2020-02-01T10:30:00Z")),
        "d11": deliver(landing, "2020-02-01T11", "a", play(3, "2020-02-01T10:30:00Z")),
        "d05": deliver(landing, "2020-02-01T05", "a", play(4, "2020-01-31T20:00:00Z")),
        "d13": deliver(landing, "2020-02-01T13", "a", play(5, "2020-01-31T08:00:00Z"), play(7, "2020-02-01T15:30:00Z")),
        "d14": deliver(landing, "2020-02-01T14", "a", play(5, "2020-01-31T08:00:00Z")),
        "n01": deliver(landing, "2020-02-02T01", "a", play(8, "2020-02-02T05:00:00Z"), play(9, "2020-02-02T00:30:00Z")),
        "n03": deliver(landing, "2020-02-02T03", "a", play(2, "2020-02-01T23:50:00Z"), "nope"),
        "n12": deliver(landing, "2020-02-02T12", "a", play(6, "2020-02-01T23:00:00Z")),
    }
    deliver(landing, "2020-01-31T23", "a", play(10, "2020-02-01T00:30:00Z"))  # before the window: skewed
    return keys


def test_a_run_writes_the_date_once_per_event_and_quarantines_what_arrived_on_it(spark, landing, run, database, tmp_path):
    keys = deliver_window(landing)
    result = run(D)

    listens = rows(spark, database, "listens", f"listen_date = '{D}'")
    assert sorted((r["event_id"], r["arrival_hour"], r["arrived_late"], r["source_from"]) for r in listens) == sorted([
        (event_id(1), dt.datetime(2020, 2, 1, 10), False, keys["d10a"]),
        (event_id(2), dt.datetime(2020, 2, 2, 3), True, keys["n03"]),
        (event_id(3), dt.datetime(2020, 2, 1, 10), False, keys["d10a"]),  # earliest hour, then smallest key
    ])
    first = next(r for r in listens if r["event_id"] == event_id(1))
    assert first == {
        "event_id": event_id(1), "user_id": str(uuid.UUID(int=10_001)), "track_id": TRACK,
        "listened_at": dt.datetime(2020, 2, 1, 10), "listen_date": dt.date(2020, 2, 1), "listen_hour": 10,
        "ms_played": 183000, "device": "ios", "arrival_hour": dt.datetime(2020, 2, 1, 10), "arrived_late": False,
        "source_from": keys["d10a"],
    }
    quarantine = rows(spark, database, "quarantine", f"ingest_on = '{D}'")
    assert sorted((r["source"], r["reason"], r["source_from"]) for r in quarantine) == sorted([
        ("listens", "not valid JSON", keys["d10a"]),
        ("listens", "arrived after the lateness window of 2020-01-31", keys["d13"]),
        ("listens", "listened_at after its arrival", keys["d13"]),
    ])
    assert result["sources"]["listens"] == {key: result[key] for key in result["sources"]["listens"]}
    counts = {key: result[key] for key in (
        "objects", "read", "written", "quarantined", "duplicates_dropped", "late", "arrived_after_window",
        "listened_after_arrival", "bad_lines", "other_dates", "left_to_other_runs")}
    assert counts == {
        "objects": 8, "read": 13, "written": 3, "quarantined": 3, "duplicates_dropped": 3, "late": 1,
        "arrived_after_window": 1, "listened_after_arrival": 1, "bad_lines": 1, "other_dates": 2,
        "left_to_other_runs": 2,
    }
    assert counts["read"] == sum(counts[k] for k in (
        "written", "duplicates_dropped", "quarantined", "other_dates", "left_to_other_runs"))
    assert result["window"] == {"from": "2020-02-01T00:00:00Z", "to": "2020-02-02T12:00:00Z"}

    # The gate's document (read, written, quarantined) and the job's.
    gate = json.loads((tmp_path / f"results/transform_listens/listens/ingest_on={D}.json").read_text())
    assert (gate["source"], gate["read"], gate["written"], gate["quarantined"]) == ("listens", 13, 3, 3)
    whole = json.loads((tmp_path / f"results/transform_listens/ingest_on={D}.json").read_text())
    assert (whole["objects"], whole["late"], whole["window"]) == (8, 1, result["window"])

    # The next date's run quarantines what arrived on it, and writes its own events.
    following = run(NEXT)
    assert sorted(r["reason"] for r in rows(spark, database, "quarantine", f"ingest_on = '{NEXT}'")) == [
        "arrived after the lateness window of 2020-02-01", "listened_at after its arrival", "not a JSON object"
    ]
    assert [r["event_id"] for r in rows(spark, database, "listens", f"listen_date = '{NEXT}'")] == [event_id(9)]
    assert following["quarantined"] == 3
    # Nothing of D moved.
    assert rows(spark, database, "listens", f"listen_date = '{D}'") == listens


def test_a_rerun_gives_the_same_rows_and_includes_events_that_arrived_since(spark, landing, run, database):
    deliver(landing, "2020-02-01T10", "a", play(1, "2020-02-01T10:00:00Z"), "{bad")
    first = run(D)
    before = {t: rows(spark, database, t, f"{c} = '{D}'") for t, c in (("listens", "listen_date"), ("quarantine", "ingest_on"))}
    again = run(D)
    assert {t: rows(spark, database, t, f"{c} = '{D}'") for t, c in (("listens", "listen_date"), ("quarantine", "ingest_on"))} == before
    assert {k: again[k] for k in ("read", "written", "quarantined")} == {k: first[k] for k in ("read", "written", "quarantined")} == {
        "read": 2, "written": 1, "quarantined": 1}

    deliver(landing, "2020-02-02T06", "a", play(2, "2020-02-01T22:00:00Z"), play(1, "2020-02-01T10:00:00Z"))
    later = run(D)
    listens = rows(spark, database, "listens", f"listen_date = '{D}'")
    assert [(r["event_id"], r["arrived_late"]) for r in listens] == [(event_id(1), False), (event_id(2), True)]
    assert (later["written"], later["late"], later["duplicates_dropped"], later["quarantined"]) == (2, 1, 1, 1)

    # A shorter lateness leaves the late arrival out.
    shorter = run(D, lateness_hours="0")
    assert (shorter["written"], shorter["objects"], shorter["lateness_hours"]) == (1, 1, 0)


def test_a_window_without_objects_writes_nothing_and_empties_the_partitions(
    spark, landing, run, database, tmp_path, spark_data_dir
):
    deliver(landing, "2020-02-01T10", "a", play(1, "2020-02-01T10:00:00Z"), "{bad")
    run(D)
    for path in landing.rglob("*.jsonl.gz"):
        path.unlink()
    # Through the local runner, as the local pipeline runs it (arguments as text, like Glue's).
    runner = Runner(spark, str(spark_data_dir))
    result = runner.handle({"op": "run_job", "job": "transform_listens", "args": {
        "run_date": D, "landing_path": str(landing), "database": database, "lateness_hours": "12",
        "job_results_path": str(tmp_path / "results")}})
    assert runner.handle({"op": "list_data_files", "tables": ["listens"], "database": database})["listens"] == []
    assert {k: result[k] for k in ("objects", "read", "written", "quarantined", "late")} == {
        "objects": 0, "read": 0, "written": 0, "quarantined": 0, "late": 0}
    assert rows(spark, database, "listens", f"listen_date = '{D}'") == []
    assert rows(spark, database, "quarantine", f"ingest_on = '{D}'") == []
    assert json.loads((tmp_path / f"results/transform_listens/listens/ingest_on={D}.json").read_text())["written"] == 0


def test_lateness_hours_is_checked_and_belongs_to_transform_listens_only(spark, landing, database):
    base = {"run_date": D, "landing_path": str(landing), "warehouse_path": "/tmp/w", "database": database}
    assert options_from_mapping({**base, "lateness_hours": 24}).lateness_hours == 24
    assert options_from_mapping(base).lateness_hours is None
    for bad in ("-1", "169", "12.5", "twelve", True):
        with pytest.raises(JobArgumentError, match="--lateness_hours must be an integer in \\[0, 168\\]"):
            options_from_mapping({**base, "lateness_hours": bad})
    with pytest.raises(JobArgumentError, match="--lateness_hours is an argument of transform_listens only"):
        run_job(spark, "transform_api", options_from_mapping({**base, "lateness_hours": "12"}))
