"""Iceberg maintenance after a job: the SQL it builds, and what it does to a table with history."""
import datetime as dt
import json
import os
import pathlib

import pytest
from pyspark.sql import Row
from pyspark.sql import functions as F
from pyspark.sql import types as T

from deftunes_glue import iceberg
from deftunes_glue.maintenance import (
    MaintenanceSettingsError,
    expiry_cutoff,
    job_tables,
    maintain_tables,
    metadata_properties_sql,
    metadata_properties_needed,
    orphan_scan_due,
    partition_filter,
    qualified,
    remove_orphan_files_sql,
    rewrite_data_files_sql,
    settings_from_mapping,
    summarize,
)

ROOT = pathlib.Path(__file__).resolve().parents[2]
NOW = dt.datetime(2020, 2, 10, 12, 0, tzinfo=dt.timezone.utc)
CDK_STYLE = {
    "tableOptimizers": True,
    "snapshotRetentionDays": 5,
    "snapshotsToRetain": 3,
    "orphanFileRetentionDays": 3,
    "compactionMinInputFiles": 2,
    "metadataVersionsToRetain": 10,
}


def test_the_cdk_json_block_of_every_environment_is_valid_settings():
    environments = json.loads((ROOT / "cdk.json").read_text())["context"]["deftunes:environments"]
    for name, environment in environments.items():
        settings = settings_from_mapping(environment["icebergMaintenance"])
        assert settings.snapshots_to_retain >= 1, name


def test_settings_are_read_from_cdk_json_keys():
    settings = settings_from_mapping(CDK_STYLE)
    assert (settings.snapshot_retention_days, settings.snapshots_to_retain) == (5, 3)
    assert (settings.orphan_file_retention_days, settings.compaction_min_input_files) == (3, 2)
    assert settings.metadata_versions_to_retain == 10


@pytest.mark.parametrize(
    "change, message",
    [
        ({"snapshotsToRetain": 0}, "snapshotsToRetain must be a number >= 1"),
        ({"orphanFileRetentionDays": 0.5}, "orphanFileRetentionDays must be a number >= 1"),
        ({"compactionMinInputFiles": True}, "compactionMinInputFiles must be a number >= 2"),
        ({"snapshotsToRetain": 2.5}, "snapshotsToRetain must be a whole number"),
        ({"snapshotRetentionDay": 5}, "unknown maintenance settings: snapshotRetentionDay"),
    ],
)
def test_invalid_settings_fail_naming_the_key(change, message):
    with pytest.raises(MaintenanceSettingsError, match=message):
        settings_from_mapping({**CDK_STYLE, **change})


def test_missing_settings_are_named():
    values = {k: v for k, v in CDK_STYLE.items() if k != "metadataVersionsToRetain"}
    with pytest.raises(MaintenanceSettingsError, match="missing maintenance settings: metadataVersionsToRetain"):
        settings_from_mapping(values)


def test_snapshots_older_than_the_retention_are_expired():
    assert expiry_cutoff(NOW, settings_from_mapping(CDK_STYLE)) == NOW - dt.timedelta(days=5)


def test_orphan_files_younger_than_their_retention_are_kept():
    sql = remove_orphan_files_sql("glue_catalog", "db", "users", NOW, settings_from_mapping(CDK_STYLE))
    assert "older_than => TIMESTAMP '2020-02-07 12:00:00.000000'" in sql


def test_compaction_touches_only_the_run_dates_partition():
    settings = settings_from_mapping(CDK_STYLE)
    where = partition_filter("listen_date", "2020-02-03")
    sql = rewrite_data_files_sql("glue_catalog", "db", "listens", where, settings)
    assert "table => 'db.listens'" in sql
    assert "where => 'listen_date = DATE \\'2020-02-03\\''" in sql
    assert "map('min-input-files', '2')" in sql
    properties = metadata_properties_sql("glue_catalog", "db", "listens", settings)
    assert "'write.metadata.previous-versions-max'='10'" in properties


def test_table_properties_are_set_only_when_they_differ():
    settings = settings_from_mapping(CDK_STYLE)
    current = {"write.metadata.delete-after-commit.enabled": "true", "write.metadata.previous-versions-max": "10"}
    assert not metadata_properties_needed(current, settings)
    assert metadata_properties_needed({**current, "write.metadata.previous-versions-max": "100"}, settings)
    assert metadata_properties_needed({}, settings)


def test_orphan_files_are_looked_for_once_per_retention_period_of_run_dates():
    settings = settings_from_mapping(CDK_STYLE)
    days = [(dt.date(2020, 2, 1) + dt.timedelta(days=n)).isoformat() for n in range(12)]
    due = [day for day in days if orphan_scan_due(day, settings)]
    assert len(due) == 4
    assert all((dt.date.fromisoformat(b) - dt.date.fromisoformat(a)).days == 3 for a, b in zip(due, due[1:]))
    every_day = settings_from_mapping({**CDK_STYLE, "orphanFileRetentionDays": 1})
    assert all(orphan_scan_due(day, every_day) for day in days)


def test_names_and_dates_spliced_into_sql_are_checked():
    with pytest.raises(ValueError, match="invalid Iceberg identifier"):
        qualified("db", "users; DROP TABLE x")
    with pytest.raises(ValueError):
        partition_filter("ingest_on", "2020-02-30")


def test_each_job_maintains_the_tables_it_writes_by_their_date_column():
    assert job_tables("transform_api") == {"users": "ingest_on", "sessions": "ingest_on", "quarantine": "ingest_on"}
    assert job_tables("transform_listens") == {"listens": "listen_date", "quarantine": "ingest_on"}
    assert "concert_windows" in job_tables("transform_enrichment")


def test_procedure_results_become_counts():
    assert summarize("remove_orphan_files", [Row(orphan_file_location="a"), Row(orphan_file_location="b")]) == {
        "orphan_files_deleted": 2
    }
    assert summarize("rewrite_data_files", [Row(rewritten_data_files_count=4, added_data_files_count=1)]) == {
        "rewritten_data_files_count": 4,
        "added_data_files_count": 1,
    }


SCHEMA = T.StructType([T.StructField("id", T.LongType()), T.StructField("ingest_on", T.DateType())])


def write_day(spark, name, day, rows, files):
    frame = spark.range(rows).select(F.col("id"), F.lit(dt.date.fromisoformat(day)).alias("ingest_on"))
    iceberg.replace_partition(frame.repartition(files), name, {"ingest_on": dt.date.fromisoformat(day)})


def files_under(path):
    return sorted(os.path.join(d, f) for d, _, names in os.walk(path) for f in names if not f.startswith("."))


def test_maintenance_bounds_snapshots_and_files_and_keeps_the_rows(spark, database):
    name = iceberg.ensure_table(spark, "glue_catalog", database, "events", SCHEMA, ["ingest_on"])
    # The jobs' writes are clustered by partition (one file per partition and write); unclustered here, so
    # that a partition has small files to compact.
    spark.sql(f"ALTER TABLE {name} SET TBLPROPERTIES ('write.distribution-mode'='none')")

    def current_files():
        return {p.replace("file:", "") for (p,) in spark.sql(f"SELECT file_path FROM {name}.data_files").collect()}

    for day in ("2020-02-01", "2020-02-02", "2020-02-03"):
        write_day(spark, name, day, 40, files=2)
    first_run = current_files()
    write_day(spark, name, "2020-02-03", 50, files=4)  # a re-run: the first run's files are only history now
    rerun = current_files() - first_run
    first_run -= current_files()
    location = spark.sql(f"DESCRIBE TABLE EXTENDED {name}").where("col_name = 'Location'").first().data_type
    location = location.replace("file:", "")
    orphan = os.path.join(location, "data", "stray.parquet")
    with open(orphan, "wb") as handle:
        handle.write(b"left by a failed write")
    old = (NOW - dt.timedelta(days=30)).timestamp()
    os.utime(orphan, (old, old))
    before = spark.sql(f"SELECT count(*) FROM {name}.snapshots").first()[0]
    settings = settings_from_mapping(
        {**CDK_STYLE, "snapshotRetentionDays": 0, "snapshotsToRetain": 1, "orphanFileRetentionDays": 1}
    )

    result = maintain_tables(
        spark, "glue_catalog", database, {"events": "ingest_on", "not_created_yet": "ingest_on"}, "2020-02-03",
        # Not later than the real clock: Iceberg refuses an orphan limit younger than 24 hours before its own
        # clock, so `now` a second ahead made the run fail whenever the call took less than that second.
        settings, now=dt.datetime.now(dt.timezone.utc),
    )

    assert before == 4
    assert set(result) == {"events"}
    assert result["events"]["rewritten_data_files_count"] == 4
    assert result["events"]["added_data_files_count"] == 1
    assert result["events"]["snapshots_expired"] == 4
    assert result["events"]["orphan_files_deleted"] == 1
    assert not os.path.exists(orphan)
    assert spark.sql(f"SELECT count(*) FROM {name}.snapshots").first()[0] == 1
    per_day = {r.ingest_on.isoformat(): (r.rows, r.files) for r in spark.sql(
        f"SELECT partition.ingest_on AS ingest_on, sum(record_count) AS rows, count(*) AS files "
        f"FROM {name}.data_files GROUP BY 1").collect()}
    assert per_day == {"2020-02-01": (40, 2), "2020-02-02": (40, 2), "2020-02-03": (50, 1)}
    on_disk = {f for f in files_under(os.path.join(location, "data")) if not f.endswith(".crc")}
    assert len(first_run) == 2 and not on_disk & first_run
    # The files the compaction replaced stay while the snapshot that replaced them is kept (it is the newest).
    assert len(rerun) == 4 and on_disk == current_files() | rerun


def test_the_local_runner_maintains_the_tables_a_job_wrote(spark, spark_data_dir, database, tmp_path):
    import landing_fixtures as L
    from local_runner import Runner

    settings = settings_from_mapping({**CDK_STYLE, "snapshotRetentionDays": 0, "snapshotsToRetain": 1})
    runner = Runner(spark, str(spark_data_dir), settings)
    landing = tmp_path / "landing"
    L.write_extract(landing, "songs", "2020-02-01", [L.song(), L.song("TRAAABD128F429CF47")])
    args = {"run_date": "2020-02-01", "landing_path": str(landing), "database": database}
    runner.handle({"op": "run_job", "job": "transform_songs", "args": args})
    result = runner.handle({"op": "run_job", "job": "transform_songs", "args": args})

    assert set(result["maintenance"]["tables"]) == {"songs", "quarantine"}
    assert result["maintenance"]["tables"]["songs"]["snapshots_expired"] == 1
    assert spark.sql(f"SELECT count(*) FROM glue_catalog.{database}.songs.snapshots").first()[0] == 1
    files = runner.handle({"op": "list_data_files", "tables": ["songs"], "database": database})["songs"]
    assert files and all(os.path.isfile(f) for f in files)
