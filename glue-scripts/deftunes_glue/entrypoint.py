"""The thin part of a Glue job: arguments, Spark session, run, report. The same on Glue and locally."""
import json
import logging
import os
import sys
from typing import Optional, Sequence

from .jobs import run_job
from .options import glue_resolver, resolve_job_options


def _configure_logging() -> None:
    """The jobs' INFO lines on stderr (CloudWatch on Glue), whatever the root logger was set up as."""
    logger = logging.getLogger("deftunes_glue")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False


def configure_glue_catalog(spark, catalog: str, warehouse_path: str) -> None:
    """Makes ``catalog`` the Glue Data Catalog with Iceberg, unless the job's --conf already did.

    Catalog settings are read when the catalog is first used, so setting them here, before any query,
    is equivalent to passing them as --conf.
    """
    prefix = f"spark.sql.catalog.{catalog}"
    defaults = {
        prefix: "org.apache.iceberg.spark.SparkCatalog",
        f"{prefix}.catalog-impl": "org.apache.iceberg.aws.glue.GlueCatalog",
        f"{prefix}.io-impl": "org.apache.iceberg.aws.s3.S3FileIO",
        f"{prefix}.warehouse": warehouse_path,
    }
    for key, value in defaults.items():
        if spark.conf.get(key, None) is None:
            spark.conf.set(key, value)


def _local_spark_session(data_dir: str, app_name: str):
    """The local stand-in session, from the checkout's lib/local/spark/: it is not part of the package
    shipped to Glue, so it is looked up beside this file only when a job runs with --local_data_dir."""
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
    local_spark_dir = os.path.normpath(os.path.join(root, "lib", "local", "spark"))
    if local_spark_dir not in sys.path:
        sys.path.insert(0, local_spark_dir)
    from local_session import build_local_spark_session  # type: ignore[import-not-found]

    jars_dir = os.environ.get("DEFTUNES_JARS_DIR", os.path.join(root, ".jars"))
    return build_local_spark_session(data_dir, jars_dir, app_name=app_name)


def main(job: str, argv: Optional[Sequence[str]] = None) -> dict:
    _configure_logging()
    options, local_data_dir = resolve_job_options(argv)
    glue_job = None
    if glue_resolver() is not None:
        from awsglue.context import GlueContext  # type: ignore[import-not-found]
        from awsglue.job import Job  # type: ignore[import-not-found]
        from pyspark.context import SparkContext

        glue_context = GlueContext(SparkContext.getOrCreate())
        spark = glue_context.spark_session
        configure_glue_catalog(spark, options.catalog_name, options.warehouse_path)
        glue_job = Job(glue_context)
        job_args = glue_resolver()(list(sys.argv if argv is None else argv), ["JOB_NAME"])
        glue_job.init(job_args["JOB_NAME"], job_args)
    elif local_data_dir:
        spark = _local_spark_session(local_data_dir, app_name=job)
    else:
        from pyspark.sql import SparkSession

        # spark-submit with the catalog given as --conf
        spark = SparkSession.builder.appName(job).getOrCreate()
    result = run_job(spark, job, options)
    print(json.dumps(result, sort_keys=True), file=sys.stderr)
    if glue_job is not None:
        glue_job.commit()
    return result
