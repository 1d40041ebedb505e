"""Iceberg table maintenance after a transform job: the local counterpart of the Glue table optimizers.

In AWS the Glue Data Catalog's table optimizers (lib/constructs/iceberg-table-optimizers.ts) compact small
files, expire snapshots and delete orphan files of every transform table. Locally nothing does that, so every
daily commit would stay: snapshots, manifest lists, manifests and metadata files grow with the history, and
each commit rewrites a metadata file that lists every snapshot. This module runs the same three operations
with Iceberg's Spark procedures, with the same settings (cdk.json ``icebergMaintenance``), after a job's
writes, on the tables the job wrote and only on the partition it wrote (so its cost does not grow with the
history either).

The SQL is built by pure functions; ``maintain_tables`` runs it.
"""
import datetime as dt
import math
from dataclasses import dataclass
from typing import Dict, Mapping, Optional, Sequence

from pyspark.sql import SparkSession

from .options import SQL_IDENTIFIER

# Iceberg's remove_orphan_files procedure refuses a younger limit: a file younger than this may belong to a
# commit still under way. The Glue optimizer's minimum (orphanFileRetentionPeriodInDays) is 1 day as well.
MIN_ORPHAN_FILE_RETENTION_DAYS = 1


class MaintenanceSettingsError(ValueError):
    pass


@dataclass(frozen=True)
class MaintenanceSettings:
    """cdk.json ``icebergMaintenance``, the same numbers the Glue table optimizers get."""

    snapshot_retention_days: float
    """Snapshots older than this are expired (the Glue retention optimizer's snapshotRetentionPeriodInDays)."""
    snapshots_to_retain: int
    """...but the newest ones are kept whatever their age (numberOfSnapshotsToRetain)."""
    orphan_file_retention_days: float
    """Files no snapshot references are deleted once older than this (orphanFileRetentionPeriodInDays)."""
    compaction_min_input_files: int
    """A partition's data files are rewritten into fewer once it holds at least this many (minInputFiles)."""
    metadata_versions_to_retain: int
    """Previous metadata files kept (Iceberg's write.metadata.previous-versions-max); older ones are deleted
    at the next commit, which expiring snapshots alone never does."""


# cdk.json's camelCase keys -> the settings' fields (lib/config.ts validates the same object at synth).
SETTINGS_KEYS = {
    "snapshotRetentionDays": "snapshot_retention_days",
    "snapshotsToRetain": "snapshots_to_retain",
    "orphanFileRetentionDays": "orphan_file_retention_days",
    "compactionMinInputFiles": "compaction_min_input_files",
    "metadataVersionsToRetain": "metadata_versions_to_retain",
}
# Keys of the cdk.json block that concern only the AWS optimizers.
AWS_ONLY_KEYS = {"tableOptimizers"}


def settings_from_mapping(values: Mapping[str, object]) -> MaintenanceSettings:
    """Validates the cdk.json block (camelCase keys); errors name the key. ``snapshotRetentionDays`` may be 0
    locally (keep only the newest ``snapshotsToRetain``), which a benchmark of compressed history uses."""
    unknown = sorted(set(values) - set(SETTINGS_KEYS) - AWS_ONLY_KEYS)
    if unknown:
        raise MaintenanceSettingsError(f"unknown maintenance settings: {', '.join(unknown)}")
    missing = sorted(set(SETTINGS_KEYS) - set(values))
    if missing:
        raise MaintenanceSettingsError(f"missing maintenance settings: {', '.join(missing)}")
    minimum = {
        "snapshotRetentionDays": 0,
        "snapshotsToRetain": 1,
        "orphanFileRetentionDays": MIN_ORPHAN_FILE_RETENTION_DAYS,
        "compactionMinInputFiles": 2,
        "metadataVersionsToRetain": 1,
    }
    fields = {}
    for key, field in SETTINGS_KEYS.items():
        value = values[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < minimum[key]:
            raise MaintenanceSettingsError(f"{key} must be a number >= {minimum[key]}, got {value!r}")
        if key not in ("snapshotRetentionDays", "orphanFileRetentionDays") and int(value) != value:
            raise MaintenanceSettingsError(f"{key} must be a whole number, got {value!r}")
        fields[field] = value if key.endswith("Days") else int(value)
    return MaintenanceSettings(**fields)


def _sql_string(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _timestamp(moment: dt.datetime) -> str:
    """A TIMESTAMP literal in UTC (the session time zone of every job, see jobs.prepare_session)."""
    utc = moment.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return f"TIMESTAMP {_sql_string(utc.strftime('%Y-%m-%d %H:%M:%S.%f'))}"


def qualified(database: str, table: str) -> str:
    """``database.table`` as the procedures take it; names are checked, since they are spliced into SQL."""
    for name in (database, table):
        if not SQL_IDENTIFIER.match(name):
            raise ValueError(f"invalid Iceberg identifier {name!r}")
    return f"{database}.{table}"


def metadata_properties_sql(catalog: str, database: str, table: str, settings: MaintenanceSettings) -> str:
    """Lets each commit delete the metadata files beyond the newest ``metadata_versions_to_retain``."""
    return (
        f"ALTER TABLE {catalog}.{qualified(database, table)} SET TBLPROPERTIES ("
        "'write.metadata.delete-after-commit.enabled'='true', "
        f"'write.metadata.previous-versions-max'='{settings.metadata_versions_to_retain}')"
    )


def rewrite_data_files_sql(catalog: str, database: str, table: str, where: str, settings: MaintenanceSettings) -> str:
    """Bin-packs the small data files of the rows matching ``where`` (the partition the job just wrote)."""
    return (
        f"CALL {catalog}.system.rewrite_data_files(table => {_sql_string(qualified(database, table))}, "
        f"strategy => 'binpack', where => {_sql_string(where)}, "
        f"options => map('min-input-files', '{settings.compaction_min_input_files}'))"
    )


def expiry_cutoff(now: dt.datetime, settings: MaintenanceSettings) -> dt.datetime:
    """Snapshots committed before this are expired, except the newest ``snapshots_to_retain``."""
    return now - dt.timedelta(days=settings.snapshot_retention_days)


def remove_orphan_files_sql(catalog: str, database: str, table: str, now: dt.datetime,
                            settings: MaintenanceSettings) -> str:
    """Deletes the files under the table's location that no metadata references and that are older than
    the orphan retention (younger ones may belong to a commit under way)."""
    older_than = now - dt.timedelta(days=settings.orphan_file_retention_days)
    return (
        f"CALL {catalog}.system.remove_orphan_files(table => {_sql_string(qualified(database, table))}, "
        f"older_than => {_timestamp(older_than)})"
    )


def partition_filter(partition_column: str, run_date: str) -> str:
    """The rows of the run date's partition: every job replaces exactly one date partition per table."""
    if not SQL_IDENTIFIER.match(partition_column):
        raise ValueError(f"invalid column {partition_column!r}")
    dt.date.fromisoformat(run_date)
    return f"{partition_column} = DATE {_sql_string(run_date)}"


METADATA_PROPERTIES = ("write.metadata.delete-after-commit.enabled", "write.metadata.previous-versions-max")


def metadata_properties_needed(current: Mapping[str, str], settings: MaintenanceSettings) -> bool:
    """Whether the table's properties differ from the settings: setting them is a commit (a metadata file),
    so it is done only when they change."""
    wanted = dict(zip(METADATA_PROPERTIES, ("true", str(settings.metadata_versions_to_retain))))
    return any(current.get(key) != value for key, value in wanted.items())


def orphan_scan_due(run_date: str, settings: MaintenanceSettings) -> bool:
    """Orphan files are looked for on one run date in every ``orphan_file_retention_days`` (by the date's day
    number): the scan lists every file of the table, so it would make each day's cost grow with the history,
    and a file must be that old to be deleted anyway. A date left out is caught at the next due date."""
    period = max(1, math.ceil(settings.orphan_file_retention_days))
    return dt.date.fromisoformat(run_date).toordinal() % period == 0


def summarize(step: str, rows: Sequence) -> Dict[str, int]:
    """A procedure's result rows as counts: the first row's numeric columns, or the number of orphan files."""
    if step == "remove_orphan_files":
        return {"orphan_files_deleted": len(rows)}
    if not rows:
        return {}
    return {key: int(value) for key, value in rows[0].asDict().items() if isinstance(value, int)}


def _iceberg_table(spark: SparkSession, name: str):
    """The Iceberg table object behind a Spark table name (the catalog's own, kept current by its commits)."""
    return spark._jvm.org.apache.iceberg.spark.Spark3Util.loadIcebergTable(spark._jsparkSession, name)


def partition_file_count(spark: SparkSession, name: str, partition_column: str, run_date: str) -> int:
    """The data files of the run date's partition, planned by Iceberg from the manifests (no Spark job)."""
    expression = spark._jvm.org.apache.iceberg.expressions.Expressions.equal(partition_column, run_date)
    tasks = _iceberg_table(spark, name).newScan().filter(expression).planFiles()
    try:
        iterator, count = tasks.iterator(), 0
        while iterator.hasNext():
            iterator.next()
            count += 1
        return count
    finally:
        tasks.close()


def expire_snapshots(spark: SparkSession, name: str, older_than: dt.datetime, retain_last: int) -> int:
    """Expires the snapshots as the Glue retention optimizer does, deleting the files only they referenced;
    returns how many. Iceberg's table API rather than the Spark procedure: with one branch it finds those
    files from the expired snapshots' own manifests (incremental cleanup), where the procedure lists every
    file of every kept snapshot in Spark jobs, a cost that would grow with the history."""
    table = _iceberg_table(spark, name)
    before = len(list(table.snapshots()))
    table.expireSnapshots().expireOlderThan(int(older_than.timestamp() * 1000)).retainLast(retain_last).commit()
    return before - len(list(table.snapshots()))


def maintain_tables(spark: SparkSession, catalog: str, database: str, tables: Mapping[str, str], run_date: str,
                    settings: MaintenanceSettings, now: Optional[dt.datetime] = None) -> Dict[str, Dict[str, int]]:
    """Maintains each of ``tables`` (name -> its date partition column) that exists: compaction of the run
    date's partition first (the expiry right after removes the files it replaced, once old enough), then the
    expiry, then, on due dates, the orphan files. Returns the counts per table; ``now`` is the clock of the
    retentions (default: the current time)."""
    moment = now or dt.datetime.now(dt.timezone.utc)
    results: Dict[str, Dict[str, int]] = {}
    for table, partition_column in tables.items():
        name = f"{catalog}.{qualified(database, table)}"
        if not spark.catalog.tableExists(name):
            continue
        counts: Dict[str, int] = {}
        properties = {row.key: row.value for row in spark.sql(f"SHOW TBLPROPERTIES {name}").collect()}
        if metadata_properties_needed(properties, settings):
            spark.sql(metadata_properties_sql(catalog, database, table, settings))
        if partition_file_count(spark, name, partition_column, run_date) >= settings.compaction_min_input_files:
            where = partition_filter(partition_column, run_date)
            rows = spark.sql(rewrite_data_files_sql(catalog, database, table, where, settings)).collect()
            counts.update(summarize("rewrite_data_files", rows))
        counts["snapshots_expired"] = expire_snapshots(
            spark, name, expiry_cutoff(moment, settings), settings.snapshots_to_retain
        )
        if orphan_scan_due(run_date, settings):
            rows = spark.sql(remove_orphan_files_sql(catalog, database, table, moment, settings)).collect()
            counts.update(summarize("remove_orphan_files", rows))
        results[table] = counts
    return results


def job_tables(job: str) -> Dict[str, str]:
    """The tables ``job`` writes (its sources, its extra tables, the quarantine), each with the date column
    of its partitioning (the partition the job replaces)."""
    from .jobs import JOB_EXTRA_TABLES, JOB_SOURCES, QUARANTINE_TABLE
    from .schemas import TABLE_PARTITIONING

    names = [*JOB_SOURCES[job], *JOB_EXTRA_TABLES.get(job, ()), QUARANTINE_TABLE]
    return {table: TABLE_PARTITIONING[table][0] for table in names}


def maintain_job_tables(spark: SparkSession, job: str, options, settings: MaintenanceSettings,
                        now: Optional[dt.datetime] = None) -> Dict[str, object]:
    """The maintenance of the tables ``job`` just wrote for ``options.run_date`` (a jobs.JobOptions), timed."""
    started = dt.datetime.now(dt.timezone.utc)
    tables = maintain_tables(spark, options.catalog_name, options.database, job_tables(job), options.run_date,
                             settings, now)
    seconds = (dt.datetime.now(dt.timezone.utc) - started).total_seconds()
    return {"duration_seconds": round(seconds, 3), "tables": tables}
