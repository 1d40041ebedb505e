"""The job ``transform_listens`` (docs/listening-events.md, Transform): the Firehose objects of a date's
window in, the ``listens`` partition ``listen_date = D`` and the quarantine partition ``(D, 'listens')`` out.

All the window's objects are read by one ``spark.read.text`` over the listed paths, parsed and classified
once (cached, slimmed to what is still needed), counted in one pass. Each partition is replaced in one
Iceberg commit; the rows written are counted in the committed partition.
"""
import logging
from typing import Dict, List

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from . import iceberg, storage
from . import listens as L
from .options import JobOptions

log = logging.getLogger("deftunes_glue")


def window_objects(spark: SparkSession, landing_path: str, window: L.ListenWindow) -> List[str]:
    """The objects of the window's arrival hours, listed hour by hour (a quiet hour has no folder)."""
    paths: List[str] = []
    for prefix in window.prefixes():
        paths.extend(storage.list_files(spark, storage.join(landing_path, prefix)))
    return paths


def read_lines(spark: SparkSession, paths: List[str]) -> DataFrame:
    """Every line of ``paths`` with the path it came from, in one read; empty (typed) without paths."""
    if not paths:
        return spark.createDataFrame([], f"value string, {L.PATH_COLUMN} string")
    return spark.read.text(paths).select("value", F.col("_metadata.file_path").alias(L.PATH_COLUMN))


def run_listens_job(
    spark: SparkSession, options: JobOptions, tables: Dict[str, str], processing_timestamp: str
) -> Dict[str, object]:
    """Reads, classifies and writes the window of ``options.run_date``; returns the job's counts."""
    lateness = L.DEFAULT_LATENESS_HOURS if options.lateness_hours is None else options.lateness_hours
    window = L.window_of(options.run_date, lateness)
    paths = window_objects(spark, options.landing_path, window)
    log.info(
        "transform_listens %s: %d objects in the arrival hours [%s, %s)",
        options.run_date, len(paths), *window.describe().values(),
    )
    classified = L.slim(L.classify_listens(L.located_lines(read_lines(spark, paths)), window))
    # Parsed and classified once (the floor of the job's cost): the counts, the kept events and the
    # quarantined copies all read the cache. On disk: as fast here, and MEMORY_AND_DISK ran out of a 1 GiB
    # heap at medium (3M lines) when it promoted a spilled block back into memory.
    classified = classified.persist(StorageLevel.DISK_ONLY)
    quarantined = None
    try:
        lines = L.line_counts(classified)
        kept = L.shape_listens(L.kept_listens(classified), window, processing_timestamp)
        iceberg.replace_partition(kept, tables[L.SOURCE], {"listen_date": window.run_date})
        quarantined = L.quarantined_copies(classified).persist(StorageLevel.MEMORY_AND_DISK)
        iceberg.replace_partition(
            L.quarantine_rows(quarantined, window, processing_timestamp),
            tables["quarantine"],
            {"ingest_on": window.run_date, "source": L.SOURCE},
        )
        # Rows written counted in the partition just committed (a pruned read of one column), rather than
        # by caching them before the write.
        written = spark.table(tables[L.SOURCE]).where(F.col("listen_date") == F.lit(window.run_date))
        counts = L.job_counts(lines, L.row_counts(written, quarantined))
    finally:
        classified.unpersist()
        if quarantined is not None:
            quarantined.unpersist()
    return {
        "objects": len(paths),
        **counts,
        "window": window.describe(),
        "lateness_hours": lateness,
        "table": tables[L.SOURCE],
        "quarantine_table": tables["quarantine"],
    }
