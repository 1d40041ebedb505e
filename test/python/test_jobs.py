"""The jobs end to end on local Spark: landing fixtures in, Iceberg tables and counts out."""
import json

import pytest
from pyspark.sql import functions as F

import landing_fixtures as L
from deftunes_glue.entrypoint import main
from deftunes_glue.iceberg import TableSchemaMismatch
from deftunes_glue.jobs import IncompleteExtractError, run_job
from deftunes_glue.options import JobArgumentError, options_from_mapping, resolve_job_options

D1, D2 = "2020-02-01", "2020-02-02"


@pytest.fixture
def landing(tmp_path):
    return tmp_path / "landing"


@pytest.fixture
def make_options(tmp_path, landing, database, spark_data_dir):
    def make(run_date):
        return options_from_mapping(
            {
                "run_date": run_date,
                "landing_path": str(landing),
                "warehouse_path": str(spark_data_dir / "transform" / "warehouse"),
                "database": database,
                "job_results_path": str(tmp_path / "results"),
            }
        )

    return make


def api_extracts(landing, run_date, users=None, sessions=None):
    L.write_extract(landing, "users", run_date, users if users is not None else [L.user("u1"), L.user("u2")])
    L.write_extract(
        landing, "sessions", run_date, sessions if sessions is not None else [L.session("s1"), L.session("s2")]
    )


def table(spark, database, name):
    return spark.table(f"glue_catalog.{database}.{name}")


def business_rows(frame):
    """Every column but processing_timestamp (the time of the run), sorted."""
    return sorted(tuple(row) for row in frame.drop("processing_timestamp").collect())


def test_transform_api_writes_typed_tables_quarantine_and_counts(spark, landing, make_options, database, tmp_path):
    api_extracts(
        landing,
        D1,
        users=[L.user("u1"), L.user("u2", user_since="later"), "{not json"],
        sessions=[L.session("s1"), L.session("s1"), L.session("s2", items=[L.item(price=0)]), L.session("s3")],
    )
    result = run_job(spark, "transform_api", make_options(D1))

    users, sessions = result["sources"]["users"], result["sources"]["sessions"]
    assert {k: users[k] for k in ("read", "written", "quarantined", "duplicates_dropped")} == {
        "read": 3, "written": 1, "quarantined": 2, "duplicates_dropped": 0
    }
    assert {k: sessions[k] for k in ("read", "written", "quarantined", "duplicates_dropped", "records_written")} == {
        "read": 4, "written": 4, "quarantined": 1, "duplicates_dropped": 1, "records_written": 2
    }
    assert sessions["source_from"] == str(landing / f"api/sessions/ingest_on={D1}/sessions.jsonl.gz")

    assert [r.user_id for r in table(spark, database, "users").collect()] == ["u1"]
    assert sorted((r.session_id, r.item_index) for r in table(spark, database, "sessions").collect()) == [
        ("s1", 0), ("s1", 1), ("s3", 0), ("s3", 1)
    ]
    quarantine = table(spark, database, "quarantine").collect()
    assert sorted((r.source, r.reason) for r in quarantine) == [
        ("sessions", 'session_items[0].price must be positive: "0.0"'),
        ("users", "not valid JSON"),
        ("users", 'user_since is not an ISO-8601 timestamp: "later"'),
    ]
    assert {str(r.ingest_on) for r in quarantine} == {D1}

    # The counts documents the data-quality gate reads.
    per_source = json.loads((tmp_path / f"results/transform_api/sessions/ingest_on={D1}.json").read_text())
    assert (per_source["read"], per_source["written"], per_source["quarantined"]) == (4, 4, 1)
    whole = json.loads((tmp_path / f"results/transform_api/ingest_on={D1}.json").read_text())
    assert whole["sources"]["users"]["quarantined"] == 2
    assert result["results_path"] == str(tmp_path / f"results/transform_api/ingest_on={D1}.json")


def test_tables_are_iceberg_v2_copy_on_write_partitioned_by_ingest_on(spark, landing, make_options, database):
    api_extracts(landing, D1)
    run_job(spark, "transform_api", make_options(D1))
    for name, partition_columns in [("users", ["ingest_on"]), ("sessions", ["ingest_on"]), ("quarantine", ["ingest_on", "source"])]:
        properties = {r.key: r.value for r in spark.sql(f"SHOW TBLPROPERTIES glue_catalog.{database}.{name}").collect()}
        assert properties["format-version"] == "2"
        for mode in ("write.delete.mode", "write.update.mode", "write.merge.mode"):
            assert properties[mode] == "copy-on-write"
        partition_fields = table(spark, database, f"{name}.partitions").schema["partition"].dataType.fieldNames()
        assert partition_fields == partition_columns


def test_rerunning_a_date_leaves_exactly_the_same_rows(spark, landing, make_options, database):
    api_extracts(landing, D1, users=[L.user("u1"), L.user("bad", user_since="x")])
    first = run_job(spark, "transform_api", make_options(D1))
    before = {name: business_rows(table(spark, database, name)) for name in ("users", "sessions", "quarantine")}
    second = run_job(spark, "transform_api", make_options(D1))
    after = {name: business_rows(table(spark, database, name)) for name in ("users", "sessions", "quarantine")}
    assert after == before
    assert len(after["sessions"]) == 4 and len(after["users"]) == 1 and len(after["quarantine"]) == 1
    assert second["sources"] == first["sources"]
    # The time of the run is the only thing a re-run changes.
    stamps = {str(r[0]) for r in table(spark, database, "sessions").select("processing_timestamp").distinct().collect()}
    assert stamps == {second["processing_timestamp"]} != {first["processing_timestamp"]}


def test_a_rerun_with_fewer_records_replaces_the_partition_even_when_empty(spark, landing, make_options, database):
    api_extracts(landing, D1, users=[L.user("u1"), L.user("u2", user_since="bad")])
    run_job(spark, "transform_api", make_options(D1))
    api_extracts(landing, D1, users=[], sessions=[])
    result = run_job(spark, "transform_api", make_options(D1))
    assert result["sources"]["users"]["read"] == 0
    for name in ("users", "sessions", "quarantine"):
        assert table(spark, database, name).count() == 0, name


def test_a_second_date_adds_a_partition_and_leaves_the_first_untouched(spark, landing, make_options, database):
    api_extracts(landing, D1)
    run_job(spark, "transform_api", make_options(D1))
    first_rows = {n: sorted(tuple(r) for r in table(spark, database, n).collect()) for n in ("users", "sessions")}
    first_files = {n: {r.file_path for r in table(spark, database, f"{n}.data_files").collect()} for n in ("users", "sessions")}

    api_extracts(landing, D2, users=[L.user("u3")], sessions=[L.session("s9", items=[L.item()])])
    run_job(spark, "transform_api", make_options(D2))

    for name in ("users", "sessions"):
        d1 = table(spark, database, name).where(F.col("ingest_on") == D1)
        assert sorted(tuple(r) for r in d1.collect()) == first_rows[name]  # processing_timestamp included
        files_now = {r.file_path for r in table(spark, database, f"{name}.data_files").collect()}
        assert first_files[name] < files_now
    dates = sorted(str(r.ingest_on) for r in table(spark, database, "users").select("ingest_on").distinct().collect())
    assert dates == [D1, D2]
    assert table(spark, database, "sessions").where(F.col("ingest_on") == D2).count() == 1


def test_transform_songs_end_to_end(spark, landing, make_options, database):
    L.write_extract(landing, "songs", D1, [L.song(), L.song("TRAAABD128F429CF47", year="1999"), L.song("TRX", shs_work="n/a")])
    result = run_job(spark, "transform_songs", make_options(D1))
    assert (result["sources"]["songs"]["read"], result["sources"]["songs"]["written"]) == (3, 2)
    years = {r.track_id: r.year for r in table(spark, database, "songs").collect()}
    assert years == {"TRAAAAW128F429D538": 0, "TRAAABD128F429CF47": 1999}
    assert table(spark, database, "quarantine").where("source = 'songs'").count() == 1


def test_a_missing_manifest_fails_naming_the_path_and_writes_nothing(spark, landing, make_options, database):
    L.write_extract(landing, "users", D1, [L.user()])
    L.write_extract(landing, "sessions", D1, [L.session()], manifest=False)
    with pytest.raises(IncompleteExtractError) as error:
        run_job(spark, "transform_api", make_options(D1))
    manifest = landing / f"api/sessions/ingest_on={D1}/_manifest.json"
    assert f"manifest {manifest} not found" in str(error.value)
    assert not spark.catalog.tableExists(f"glue_catalog.{database}.users")


@pytest.mark.parametrize(
    "manifest, message",
    [
        ({"records": 5}, "holds 1 records, its manifest"),
        ({"sha256": "0" * 64}, "has SHA-256"),
        ({"bytes": 1}, "bytes, its manifest"),
        ({"run_date": D2}, "run_date is '2020-02-02', expected '2020-02-01'"),
    ],
)
def test_an_extract_that_disagrees_with_its_manifest_fails(spark, landing, make_options, manifest, message):
    L.write_extract(landing, "songs", D1, [L.song()], manifest_overrides=manifest)
    with pytest.raises(IncompleteExtractError, match=message):
        run_job(spark, "transform_songs", make_options(D1))


def test_a_failed_rerun_leaves_every_table_as_it_was(spark, landing, make_options, database):
    api_extracts(landing, D1)
    run_job(spark, "transform_api", make_options(D1))
    before = {n: sorted(tuple(r) for r in table(spark, database, n).collect()) for n in ("users", "sessions", "quarantine")}
    # The users extract is fine; the sessions extract disagrees with its manifest: nothing is written.
    L.write_extract(landing, "users", D1, [L.user("u9")])
    L.write_extract(landing, "sessions", D1, [L.session("new")], manifest_overrides={"records": 7})
    with pytest.raises(IncompleteExtractError, match="holds 1 records, its manifest .* says 7"):
        run_job(spark, "transform_api", make_options(D1))
    after = {n: sorted(tuple(r) for r in table(spark, database, n).collect()) for n in ("users", "sessions", "quarantine")}
    assert after == before


def test_a_table_with_other_columns_is_not_written(spark, landing, make_options, database):
    spark.sql(f"CREATE NAMESPACE glue_catalog.{database}")
    spark.sql(f"CREATE TABLE glue_catalog.{database}.songs (track_id string, ingest_on date) USING iceberg")
    L.write_extract(landing, "songs", D1, [L.song()])
    with pytest.raises(TableSchemaMismatch, match=f"table glue_catalog.{database}.songs has columns"):
        run_job(spark, "transform_songs", make_options(D1))


def test_the_entrypoint_runs_locally_without_awsglue(spark, spark_data_dir, database, tmp_path):
    landing = tmp_path / "landing"
    L.write_extract(landing, "songs", D1, [L.song()])
    result = main(
        "transform_songs",
        ["transform_songs.py", "--run_date", D1, "--local_data_dir", str(spark_data_dir),
         "--landing_path", str(landing), "--database", database],
    )
    assert result["sources"]["songs"]["written"] == 1
    assert result["results_path"].startswith(str(spark_data_dir / "transform" / "warehouse" / "_job_results"))


def test_job_arguments_are_validated():
    base = {"run_date": D1, "landing_path": "s3://landing", "warehouse_path": "s3://transform/warehouse"}
    options = options_from_mapping(base)
    assert (options.catalog_name, options.database) == ("glue_catalog", "deftunes_transform")
    assert options.results_path == "s3://transform/warehouse/_job_results"
    with pytest.raises(JobArgumentError, match="--run_date must be a date"):
        options_from_mapping({**base, "run_date": "2020-02-30"})
    with pytest.raises(JobArgumentError, match="missing job arguments: --landing_path"):
        options_from_mapping({"run_date": D1, "warehouse_path": "w"})
    with pytest.raises(JobArgumentError, match="unknown job arguments: rundate"):
        options_from_mapping({**base, "rundate": D1})
    with pytest.raises(JobArgumentError, match="--database must be an identifier"):
        options_from_mapping({**base, "database": "x; DROP"})
    options, data_dir = resolve_job_options(["job.py", "--run_date", D1, "--local_data_dir", "/data"])
    assert (options.landing_path, options.warehouse_path, data_dir) == ("/data/landing", "/data/transform/warehouse", "/data")
