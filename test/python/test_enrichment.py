"""The enrichment sources (concerts, artist statistics): classification, shaping, windows, and the job end to end."""
import datetime as dt
import json

import pytest

import landing_fixtures as L
from deftunes_glue import enrichment as E
from deftunes_glue.jobs import IncompleteExtractError, KEYS, PROBLEMS, run_job
from deftunes_glue.options import options_from_mapping
from deftunes_glue.parsing import parse_json_lines
from deftunes_glue.schemas import LANDING_SCHEMAS, TABLE_SCHEMAS
from deftunes_glue.transforms import DUPLICATE, QUARANTINED, VALID, LoadContext, classify, count_outcomes

D1, D2 = "2020-02-01", "2020-02-02"
CONTEXT = {
    source: LoadContext(source, D1, f"/landing/{source}.jsonl.gz", "2020-02-02 03:04:05.000006")
    for source in ("concerts", "artist_stats")
}
MBID = "e77e51a5-4761-45b3-9847-2051f811e366"


def classified(spark, source, *records):
    texts = [json.dumps(r) if isinstance(r, dict) else r for r in records]
    frame = spark.createDataFrame([(t,) for t in texts], "value string")
    return classify(parse_json_lines(frame, LANDING_SCHEMAS[source]), PROBLEMS[source](), KEYS[source])


def columns(schema):
    return [(field.name, field.dataType) for field in schema.fields]


# ---- concerts ---------------------------------------------------------------------------------------


def test_an_event_becomes_one_row_per_attraction_ranked_in_order(spark):
    rows = E.shape_concerts(classified(spark, "concerts", L.concert()), CONTEXT["concerts"])
    assert columns(rows.schema) == columns(TABLE_SCHEMAS["concerts"])
    assert sorted((row.asDict() for row in rows.collect()), key=lambda row: row["attraction_rank"]) == sorted([
        {
            "event_id": "vvG1zZ9Kb5d3pQ", "event_name": "Casual live", "event_date": dt.date(2020, 2, 10),
            "event_local_time": "20:00:00", "venue_id": "KovZpZA7AAEA", "venue_name": "O2 Academy",
            "venue_city": "London", "venue_country_code": "GB", "attraction_id": attraction_id,
            "attraction_name": name, "attraction_mbid": mbid, "attraction_rank": rank,
            "ingest_on": dt.date(2020, 2, 1), "processing_timestamp": dt.datetime(2020, 2, 2, 3, 4, 5, 6),
            "source_from": "/landing/concerts.jsonl.gz",
        }
        for attraction_id, name, mbid, rank in [("K8vZ917Gku7", "Casual", MBID, 1), ("K8vZ9171o-7", "The Support", None, 2)]
    ], key=lambda row: row["attraction_rank"])


def test_local_time_is_optional_and_a_blank_mbid_is_no_mbid(spark):
    event = L.concert(attractions=[L.attraction(mbid="")], dates={"start": {"localDate": "2020-02-29"}})
    row = E.shape_concerts(classified(spark, "concerts", event), CONTEXT["concerts"]).first()
    assert (row.event_date, row.event_local_time, row.attraction_mbid) == (dt.date(2020, 2, 29), None, None)


def _venue(**fields):
    return {"venues": [{"id": "V1", "name": "Hall", "city": {"name": "Paris"}, "country": {"countryCode": "FR"}, **fields}],
            "attractions": [L.attraction()]}


CONCERT_PROBLEMS = [
    ({"id": None}, "id is missing"),
    ({"dates": {"start": {}}}, "dates.start.localDate is missing"),
    ({"dates": {"start": {"localDate": "2020-02-30"}}}, 'dates.start.localDate is not a YYYY-MM-DD date: "2020-02-30"'),
    ({"dates": {"start": {"localDate": "10/02/2020"}}}, 'dates.start.localDate is not a YYYY-MM-DD date: "10/02/2020"'),
    ({"dates": {"start": {"localDate": "2020-02-10", "localTime": "8pm"}}}, 'dates.start.localTime is not HH:MM[:SS]: "8pm"'),
    ({"_embedded": {"attractions": [L.attraction()]}}, "the event has no venue"),
    ({"_embedded": {"venues": [], "attractions": [L.attraction()]}}, "the event has no venue"),
    ({"_embedded": _venue(id=" ")}, "_embedded.venues[0].id is missing"),
    ({"_embedded": {"venues": _venue()["venues"]}}, "the event has no attractions"),
    ({"_embedded": {"venues": _venue()["venues"], "attractions": []}}, "the event has no attractions"),
    ({"_embedded": {"venues": _venue()["venues"], "attractions": [{"name": "No id"}]}}, "an attraction has no id"),
    (
        {"_embedded": {"venues": _venue()["venues"], "attractions": [L.attraction("A"), L.attraction("A", "Again")]}},
        "an attraction appears twice in the event",
    ),
    ({"_embedded": _venue(city=None, country=None)}, None),
]


def test_events_without_venue_attractions_or_a_date_are_quarantined_with_the_reason(spark):
    records = [L.concert(f"E{n}", **case) for n, (case, _) in enumerate(CONCERT_PROBLEMS)]
    by_line = {r._raw: (r._status, r._reason) for r in classified(spark, "concerts", *records).collect()}
    for record, (_, reason) in zip(records, CONCERT_PROBLEMS):
        assert by_line[json.dumps(record)] == (QUARANTINED if reason else VALID, reason)


def test_concert_counts_are_events_read_and_rows_written(spark):
    frame = classified(spark, "concerts", L.concert("E1"), L.concert("E1"), L.concert("E2", attractions=[]),
                       L.concert("E3", attractions=[L.attraction("A"), L.attraction("B"), L.attraction("C")]))
    assert sorted(r._status for r in frame.collect()) == sorted([VALID, DUPLICATE, QUARANTINED, VALID])
    assert count_outcomes(frame, "concerts", E.concert_rows_per_record()) == {
        "read": 4, "written": 5, "quarantined": 1, "duplicates_dropped": 1, "records_written": 2,
    }


# ---- artist statistics ------------------------------------------------------------------------------


def test_found_statistics_are_typed_from_strings_with_the_top_tag(spark):
    rows = E.shape_artist_stats(
        classified(spark, "artist_stats", L.artist_stats("A1"), L.artist_stats("A2", found=False, lookup="name")),
        CONTEXT["artist_stats"],
    )
    assert columns(rows.schema) == columns(TABLE_SCHEMAS["artist_stats"])
    by_id = {row.artist_id: row.asDict() for row in rows.collect()}
    lineage = {"ingest_on": dt.date(2020, 2, 1), "processing_timestamp": dt.datetime(2020, 2, 2, 3, 4, 5, 6),
               "source_from": "/landing/artist_stats.jsonl.gz"}
    assert by_id == {
        "A1": {"artist_id": "A1", "lookup": "mbid", "found": True, "stats_name": "Casual", "stats_mbid": MBID,
               "listeners": 12345, "playcount": 678901, "top_tag": "Hip-Hop", **lineage},
        "A2": {"artist_id": "A2", "lookup": "name", "found": False, "stats_name": None, "stats_mbid": None,
               "listeners": None, "playcount": None, "top_tag": None, **lineage},
    }


def test_counts_beyond_int_and_numbers_served_as_json_numbers_are_read(spark):
    stats = L.artist_stats()
    stats["response"]["stats"] = {"listeners": 12, "playcount": "9000000000"}
    stats["response"]["tags"] = {"tag": []}
    row = E.shape_artist_stats(classified(spark, "artist_stats", stats), CONTEXT["artist_stats"]).first()
    assert (row.listeners, row.playcount, row.top_tag) == (12, 9_000_000_000, None)


def _with_stats(**stats):
    record = L.artist_stats()
    record["response"]["stats"] = stats
    return {key: value for key, value in record.items() if key != "artist_id"}


STATS_PROBLEMS = [
    ({"artist_id": ""}, "artist_id is missing"),
    ({"lookup": "isrc"}, 'lookup is neither mbid nor name: "isrc"'),
    ({"found": None}, "found is missing"),
    ({"response": None}, "found is true but response is null"),
    ({**_with_stats(listeners="12,345", playcount="1")}, 'response.stats.listeners is not a non-negative integer: "12,345"'),
    ({**_with_stats(listeners="1", playcount="-4")}, 'response.stats.playcount is not a non-negative integer: "-4"'),
    ({**_with_stats(listeners="1")}, "response.stats.playcount is missing"),
    ({}, None),
]


def test_statistics_whose_numbers_do_not_parse_are_quarantined(spark):
    records = [{**L.artist_stats(f"A{n}"), **case} for n, (case, _) in enumerate(STATS_PROBLEMS)]
    by_line = {r._raw: (r._status, r._reason) for r in classified(spark, "artist_stats", *records).collect()}
    for record, (_, reason) in zip(records, STATS_PROBLEMS):
        assert by_line[json.dumps(record)] == (QUARANTINED if reason else VALID, reason)


def test_not_found_with_a_response_is_quarantined(spark):
    record = L.artist_stats(found=False, response={"name": "x"})
    assert classified(spark, "artist_stats", record).first()._reason == "found is false but response is not null"


# ---- windows from the manifest ----------------------------------------------------------------------


def test_windows_come_from_the_manifest():
    rows = E.manifest_windows({"windows": [L.window(), L.window("US", total_elements=1200, pages=6)]}, "m.json")
    assert rows == [
        ("GB", dt.date(2020, 2, 2), dt.date(2020, 3, 2), 1, 1, 1),
        ("US", dt.date(2020, 2, 2), dt.date(2020, 3, 2), 1200, 6, 1200),
    ]


@pytest.mark.parametrize(
    "windows, message",
    [
        (None, "windows is None, expected a list"),
        ([{"country_code": "GB"}], "windows[0] has no start_date, end_date, total_elements, pages, records"),
        ([L.window(country_code="gb")], "windows[0].country_code is not an ISO 3166-1 alpha-2 code: 'gb'"),
        ([L.window(start_date="2020-02-30")], "windows[0].start_date is not a calendar date: '2020-02-30'"),
        ([L.window(end_date="2020-01-01")], "windows[0] ends (2020-01-01) before it starts (2020-02-02)"),
        ([L.window(total_elements="3")], "windows[0].total_elements is not a non-negative integer: '3'"),
    ],
)
def test_malformed_windows_are_refused_naming_the_manifest_and_field(windows, message):
    with pytest.raises(E.ManifestWindowsError) as raised:
        E.manifest_windows({"windows": windows} if windows is not None else {}, "ext/m.json")
    assert str(raised.value) == f"manifest ext/m.json: {message}"


# ---- the job ----------------------------------------------------------------------------------------


@pytest.fixture
def landing(tmp_path):
    return tmp_path / "landing"


@pytest.fixture
def make_options(tmp_path, landing, database, spark_data_dir):
    def make(run_date):
        return options_from_mapping({
            "run_date": run_date,
            "landing_path": str(landing),
            "warehouse_path": str(spark_data_dir / "transform" / "warehouse"),
            "database": database,
            "job_results_path": str(tmp_path / "results"),
        })

    return make


def enrichment_extracts(landing, run_date, concerts, stats, windows):
    L.write_extract(landing, "concerts", run_date, concerts, manifest_overrides={"windows": windows})
    L.write_extract(landing, "artist_stats", run_date, stats)


def rows_of(spark, database, table, run_date=None):
    frame = spark.table(f"glue_catalog.{database}.{table}")
    if run_date:
        frame = frame.where(frame.ingest_on == run_date)
    return sorted(tuple(row) for row in frame.drop("processing_timestamp").collect())


def test_transform_enrichment_writes_the_tables_quarantine_and_counts_and_reruns_identically(
    spark, landing, make_options, database, tmp_path
):
    concerts = [L.concert("E1"), L.concert("E2", attractions=[L.attraction("A9")]), L.concert("E3", attractions=[])]
    stats = [L.artist_stats("A1"), L.artist_stats("A2", found=False, lookup="name"), L.artist_stats("A3", lookup="x")]
    enrichment_extracts(landing, D1, concerts, stats, [L.window(total_elements=2), L.window("US", total_elements=1)])
    result = run_job(spark, "transform_enrichment", make_options(D1))

    assert {source: (c["read"], c["written"], c["quarantined"]) for source, c in result["sources"].items()} == {
        "concerts": (3, 3, 1), "artist_stats": (3, 2, 1),
    }
    assert result["concert_windows"]["windows"] == 2 and result["concert_windows"]["total_elements"] == 3
    assert [(r[0], r[8], r[11]) for r in rows_of(spark, database, "concerts")] == [
        ("E1", "K8vZ9171o-7", 2), ("E1", "K8vZ917Gku7", 1), ("E2", "A9", 1),
    ]
    assert rows_of(spark, database, "concert_windows") == [
        ("GB", dt.date(2020, 2, 2), dt.date(2020, 3, 2), 2, 1, 2, dt.date(2020, 2, 1)),
        ("US", dt.date(2020, 2, 2), dt.date(2020, 3, 2), 1, 1, 1, dt.date(2020, 2, 1)),
    ]
    assert [(r[0], r[2]) for r in rows_of(spark, database, "artist_stats")] == [("A1", True), ("A2", False)]
    quarantine = spark.table(f"glue_catalog.{database}.quarantine").collect()
    assert sorted((q.source, q.reason) for q in quarantine) == [
        ("artist_stats", 'lookup is neither mbid nor name: "x"'), ("concerts", "the event has no attractions"),
    ]
    documents = {
        source: json.loads((tmp_path / "results" / "transform_enrichment" / source / f"ingest_on={D1}.json").read_text())
        for source in ("concerts", "artist_stats")
    }
    assert documents["concerts"]["read"] == 3 and documents["artist_stats"]["quarantined"] == 1

    before = {table: rows_of(spark, database, table) for table in ("concerts", "concert_windows", "artist_stats")}
    run_job(spark, "transform_enrichment", make_options(D1))
    assert {table: rows_of(spark, database, table) for table in before} == before
    assert len(spark.table(f"glue_catalog.{database}.quarantine").collect()) == 2

    # Another date adds partitions; an empty landing day empties only its own.
    enrichment_extracts(landing, D2, [], [], [])
    run_job(spark, "transform_enrichment", make_options(D2))
    assert rows_of(spark, database, "concerts", D2) == [] and rows_of(spark, database, "concert_windows", D2) == []
    assert {table: rows_of(spark, database, table, D1) for table in before} == before


def test_a_concerts_manifest_without_windows_fails_before_anything_is_written(spark, landing, make_options, database):
    L.write_extract(landing, "concerts", D1, [L.concert()])
    L.write_extract(landing, "artist_stats", D1, [L.artist_stats()])
    with pytest.raises(IncompleteExtractError, match=r"ext/concerts/ingest_on=2020-02-01/_manifest.json: windows is None"):
        run_job(spark, "transform_enrichment", make_options(D1))
    assert not spark.catalog.tableExists(f"glue_catalog.{database}.concerts")
