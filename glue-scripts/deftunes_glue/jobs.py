"""The transform jobs, shared by the Glue entrypoints and the local runner.

A job checks every extract it reads before writing anything (manifest present and matching the data
object, record count included), then writes each source: the table's ``ingest_on`` partition and the
quarantine's ``(ingest_on, source)`` partition, each replaced in one Iceberg commit. It returns and
writes its counts (see ``results_paths``). ``transform_listens`` has no extract nor manifest: it reads the
Firehose objects of a window of arrival hours (``listens_job``).
"""
import datetime as dt
import json
import logging
from dataclasses import dataclass
from typing import Dict, List, Optional

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession

from . import iceberg, storage
from .listens_job import run_listens_job
from .options import JobArgumentError, JobOptions
from .parsing import parse_json_lines
from .schemas import LANDING_SCHEMAS, TABLE_PARTITIONING, TABLE_SCHEMAS
from . import enrichment, transforms
from .transforms import LoadContext, classify, count_outcomes, quarantine_rows

log = logging.getLogger("deftunes_glue")

JOB_SOURCES = {
    "transform_api": ("users", "sessions"),
    "transform_songs": ("songs",),
    "transform_enrichment": ("concerts", "artist_stats"),
    "transform_listens": ("listens",),
}
LISTENS_JOB = "transform_listens"
"""Reads the Firehose objects of a window of arrival hours (listens_job), not one manifested extract per source."""
LANDING_PREFIXES = {
    "users": "api/users",
    "sessions": "api/sessions",
    "songs": "db/songs",
    "concerts": "ext/concerts",
    "artist_stats": "ext/artist_stats",
}
QUARANTINE_TABLE = "quarantine"
WINDOWS_TABLE = "concert_windows"
"""Written by transform_enrichment from the concerts manifest (the extraction's windows), not from data lines."""
JOB_EXTRA_TABLES = {"transform_enrichment": (WINDOWS_TABLE,)}

PROBLEMS = {**transforms.PROBLEMS, **enrichment.PROBLEMS}
KEYS = {**transforms.KEYS, **enrichment.KEYS}
SHAPERS = {**transforms.SHAPERS, **enrichment.SHAPERS}


class IncompleteExtractError(RuntimeError):
    """The extract of a source and date has no manifest, or its data object does not match it."""


@dataclass(frozen=True)
class LandedExtract:
    source: str
    data_path: str
    manifest_path: str
    records: int
    manifest: Optional[dict] = None


def landing_keys(source: str, run_date: str) -> Dict[str, str]:
    """Keys relative to the landing root, as in lambdas/shared/landing-keys.ts."""
    prefix = f"{LANDING_PREFIXES[source]}/ingest_on={run_date}/"
    return {"data": f"{prefix}{source}.jsonl.gz", "manifest": f"{prefix}_manifest.json"}


def check_extract(spark: SparkSession, options: JobOptions, source: str) -> LandedExtract:
    """The extract's manifest says the data object is complete; every disagreement fails, naming the path."""
    keys = landing_keys(source, options.run_date)
    data_path = storage.join(options.landing_path, keys["data"])
    manifest_path = storage.join(options.landing_path, keys["manifest"])
    if not storage.exists(spark, manifest_path):
        raise IncompleteExtractError(
            f"manifest {manifest_path} not found: the {source} extract of {options.run_date} is incomplete "
            "(its manifest is written last); run the extraction for this date first"
        )
    try:
        manifest = json.loads(storage.read_text(spark, manifest_path))
    except ValueError as error:
        raise IncompleteExtractError(f"manifest {manifest_path} is not valid JSON: {error}") from None
    expected = {"entity": source, "run_date": options.run_date, "key": keys["data"]}
    for field, value in expected.items():
        if manifest.get(field) != value:
            raise IncompleteExtractError(
                f"manifest {manifest_path}: {field} is {manifest.get(field)!r}, expected {value!r}"
            )
    for field in ("records", "bytes", "sha256"):
        if field not in manifest:
            raise IncompleteExtractError(f"manifest {manifest_path} has no {field}")
    if not storage.exists(spark, data_path):
        raise IncompleteExtractError(f"data object {data_path} not found, though its manifest {manifest_path} exists")
    actual_bytes = storage.size(spark, data_path)
    if actual_bytes != manifest["bytes"]:
        raise IncompleteExtractError(
            f"data object {data_path} has {actual_bytes} bytes, its manifest {manifest_path} says {manifest['bytes']}"
        )
    actual_sha = storage.sha256_hex(spark, data_path)
    if actual_sha != manifest["sha256"]:
        raise IncompleteExtractError(
            f"data object {data_path} has SHA-256 {actual_sha}, its manifest {manifest_path} says {manifest['sha256']}"
        )
    return LandedExtract(source, data_path, manifest_path, int(manifest["records"]), manifest)


def results_paths(options: JobOptions, job: str) -> Dict[str, str]:
    """Where a job's counts go: one document for the job, one per source (what the quality gate reads)."""
    root = storage.join(options.results_path, job)
    paths = {"job": storage.join(root, f"ingest_on={options.run_date}.json")}
    for source in JOB_SOURCES[job]:
        paths[source] = storage.join(root, source, f"ingest_on={options.run_date}.json")
    return paths


def prepare_session(spark: SparkSession) -> None:
    # Timestamps without an offset are UTC, and TIMESTAMP_NTZ values are rendered in UTC (see parsing).
    spark.conf.set("spark.sql.session.timeZone", "UTC")


@dataclass
class PreparedLoad:
    """One source parsed, classified (cached) and counted, not written yet."""

    extract: LandedExtract
    context: LoadContext
    classified: DataFrame
    counts: Dict[str, int]


def prepare_load(spark: SparkSession, extract: LandedExtract, run_date: str, processing_timestamp: str) -> PreparedLoad:
    source = extract.source
    lines = spark.read.text(extract.data_path)
    # A gzip object is read by one task; spreading its lines lets every core (every Glue worker) parse.
    lines = lines.repartition(spark.sparkContext.defaultParallelism)
    classified = classify(parse_json_lines(lines, LANDING_SCHEMAS[source]), PROBLEMS[source](), KEYS[source])
    # Parsed and classified once: the counts, the table rows and the quarantine rows all read this.
    classified = classified.persist(StorageLevel.MEMORY_AND_DISK)
    rows_per_record = enrichment.ROWS_PER_RECORD.get(source)
    counts = count_outcomes(classified, source, rows_per_record() if rows_per_record else None)
    if counts["read"] != extract.records:
        classified.unpersist()
        raise IncompleteExtractError(
            f"data object {extract.data_path} holds {counts['read']} records, "
            f"its manifest {extract.manifest_path} says {extract.records}"
        )
    context = LoadContext(source, run_date, extract.data_path, processing_timestamp)
    return PreparedLoad(extract, context, classified, counts)


def ensure_tables(spark: SparkSession, options: JobOptions, sources, extra_tables=()) -> Dict[str, str]:
    """The job's tables (and the quarantine), created if missing, checked against the expected columns."""
    names = {}
    for table in [*sources, *extra_tables, QUARANTINE_TABLE]:
        names[table] = iceberg.ensure_table(
            spark, options.catalog_name, options.database, table, TABLE_SCHEMAS[table], TABLE_PARTITIONING[table]
        )
    return names


def write_load(options: JobOptions, load: PreparedLoad, tables: Dict[str, str]) -> Dict[str, object]:
    """Replaces the source table's partition, then the source's quarantine partition (one commit each)."""
    source = load.extract.source
    table, quarantine = tables[source], tables[QUARANTINE_TABLE]
    iceberg.replace_partition(SHAPERS[source](load.classified, load.context), table, {"ingest_on": options.ingest_on})
    iceberg.replace_partition(
        quarantine_rows(load.classified, load.context), quarantine, {"ingest_on": options.ingest_on, "source": source}
    )
    return {**load.counts, "table": table, "quarantine_table": quarantine, "source_from": load.extract.data_path}


def concert_windows_of(extracts: List[LandedExtract]) -> Optional[list]:
    """The concerts manifest's windows, checked with the other inputs before anything is written."""
    for extract in extracts:
        if extract.source == "concerts":
            try:
                return enrichment.manifest_windows(extract.manifest or {}, extract.manifest_path)
            except enrichment.ManifestWindowsError as error:
                raise IncompleteExtractError(str(error)) from None
    return None


def run_job(spark: SparkSession, job: str, options: JobOptions) -> Dict[str, object]:
    """Runs a job of ``JOB_SOURCES`` for ``options.run_date``; returns its counts."""
    if job not in JOB_SOURCES:
        raise ValueError(f"unknown job {job!r}: expected one of {', '.join(JOB_SOURCES)}")
    if options.lateness_hours is not None and job != LISTENS_JOB:
        raise JobArgumentError(f"--lateness_hours is an argument of {LISTENS_JOB} only, not of {job}")
    prepare_session(spark)
    started = dt.datetime.now(dt.timezone.utc)
    processing_timestamp = started.strftime("%Y-%m-%d %H:%M:%S.%f")
    if job == LISTENS_JOB:
        tables = ensure_tables(spark, options, JOB_SOURCES[job])
        counts = run_listens_job(spark, options, tables, processing_timestamp)
        log.info(
            "%s %s: objects=%d read=%d written=%d (late %d) quarantined=%d duplicates_dropped=%d other_dates=%d -> %s",
            job, options.run_date, counts["objects"], counts["read"], counts["written"], counts["late"],
            counts["quarantined"], counts["duplicates_dropped"], counts["other_dates"], counts["table"],
        )
        # The contract's counts at the top of the job's document, and per source as the other jobs write them.
        return report_job(spark, options, job, started, processing_timestamp, {"listens": counts}, counts)
    log.info("%s %s: checking extracts under %s", job, options.run_date, options.landing_path)
    extracts: List[LandedExtract] = [check_extract(spark, options, source) for source in JOB_SOURCES[job]]
    windows = concert_windows_of(extracts)
    # Every source is read and checked against its manifest before any table is written.
    loads: List[PreparedLoad] = []
    sources: Dict[str, Dict[str, object]] = {}
    try:
        for extract in extracts:
            loads.append(prepare_load(spark, extract, options.run_date, processing_timestamp))
        tables = ensure_tables(spark, options, JOB_SOURCES[job], JOB_EXTRA_TABLES.get(job, ()))
        if windows is not None:
            frame = enrichment.concert_windows_frame(spark, windows, options.run_date)
            iceberg.replace_partition(frame, tables[WINDOWS_TABLE], {"ingest_on": options.ingest_on})
            log.info("%s %s: %d concert windows -> %s", job, options.run_date, len(windows), tables[WINDOWS_TABLE])
        for load in loads:
            counts = write_load(options, load, tables)
            sources[load.extract.source] = counts
            log.info(
                "%s %s %s: read=%d written=%d quarantined=%d duplicates_dropped=%d -> %s",
                job, options.run_date, load.extract.source, counts["read"], counts["written"],
                counts["quarantined"], counts["duplicates_dropped"], counts["table"],
            )
    finally:
        for load in loads:
            load.classified.unpersist()
    extra = {}
    if windows is not None:
        extra["concert_windows"] = {
            "windows": len(windows),
            "total_elements": sum(window[3] for window in windows),
            "table": tables[WINDOWS_TABLE],
        }
    return report_job(spark, options, job, started, processing_timestamp, sources, extra)


def report_job(
    spark: SparkSession, options: JobOptions, job: str, started: dt.datetime, processing_timestamp: str,
    sources: Dict[str, Dict[str, object]], extra: Dict[str, object],
) -> Dict[str, object]:
    """Writes the job's counts (see ``results_paths``) and returns them with where they are."""
    result = {
        **extra,
        "job": job,
        "run_date": options.run_date,
        "processing_timestamp": processing_timestamp,
        "duration_seconds": round((dt.datetime.now(dt.timezone.utc) - started).total_seconds(), 3),
        "sources": sources,
    }
    paths = results_paths(options, job)
    for source, counts in sources.items():
        storage.write_json(spark, paths[source], {"job": job, "source": source, "run_date": options.run_date, **counts})
    storage.write_json(spark, paths["job"], result)
    result["results_path"] = paths["job"]
    log.info("%s %s: done in %.1f s, counts in %s", job, options.run_date, result["duration_seconds"], paths["job"])
    return result
