"""The package works as AWS Glue ships it: zipped, passed with --extra-py-files, without awsglue arguments
surprises."""
import argparse
import pathlib
import subprocess
import sys
import zipfile

import pytest

from deftunes_glue import options as job_options

GLUE_SCRIPTS = pathlib.Path(__file__).resolve().parents[2] / "glue-scripts"


def test_the_package_imports_from_a_zip(tmp_path):
    archive = tmp_path / "deftunes_glue.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for source in (GLUE_SCRIPTS / "deftunes_glue").rglob("*.py"):
            zipped.write(source, source.relative_to(GLUE_SCRIPTS).as_posix())
    code = (
        "import deftunes_glue.jobs, deftunes_glue.entrypoint; "
        "assert '.zip' in deftunes_glue.jobs.__file__, deftunes_glue.jobs.__file__; "
        "print(sorted(deftunes_glue.schemas.TABLE_SCHEMAS))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env={"PYTHONPATH": str(archive)}, capture_output=True, text=True, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == (
        "['artist_stats', 'concert_windows', 'concerts', 'listens', 'quarantine', 'sessions', 'songs', 'users']"
    )


def fake_get_resolved_options(argv, names):
    """awsglue.utils.getResolvedOptions' contract: every asked name is required, others are ignored."""
    parser = argparse.ArgumentParser()
    for name in names:
        parser.add_argument(f"--{name}", required=True)
    known, _ = parser.parse_known_args(argv[1:])
    return vars(known)


def test_on_glue_optional_arguments_are_asked_for_only_when_given(monkeypatch):
    monkeypatch.setattr(job_options, "glue_resolver", lambda: fake_get_resolved_options)
    argv = ["script.py", "--JOB_NAME", "TransformApi", "--run_date", "2020-02-01", "--landing_path", "s3://l",
            "--warehouse_path", "s3://t/warehouse", "--database", "deftunes_transform_dev",
            "--job-bookmark-option", "job-bookmark-disable"]
    options, local_data_dir = job_options.resolve_job_options(argv)
    assert (options.database, options.catalog_name, options.results_path, local_data_dir) == (
        "deftunes_transform_dev", "glue_catalog", "s3://t/warehouse/_job_results", None
    )


def test_awsglue_is_not_needed_locally():
    with pytest.raises(ImportError):
        import awsglue  # noqa: F401
    assert job_options.glue_resolver() is None


def test_the_glue_catalog_is_configured_only_where_the_job_conf_did_not(spark):
    from deftunes_glue.entrypoint import configure_glue_catalog

    spark.conf.set("spark.sql.catalog.probe_catalog.warehouse", "s3://from-conf/warehouse")
    configure_glue_catalog(spark, "probe_catalog", "s3://from-args/warehouse")
    assert spark.conf.get("spark.sql.catalog.probe_catalog") == "org.apache.iceberg.spark.SparkCatalog"
    assert spark.conf.get("spark.sql.catalog.probe_catalog.catalog-impl") == "org.apache.iceberg.aws.glue.GlueCatalog"
    assert spark.conf.get("spark.sql.catalog.probe_catalog.io-impl") == "org.apache.iceberg.aws.s3.S3FileIO"
    assert spark.conf.get("spark.sql.catalog.probe_catalog.warehouse") == "s3://from-conf/warehouse"
