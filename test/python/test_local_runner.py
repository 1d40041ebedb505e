"""The local runner's requests, on the shared test session (the JSON-lines process is tested from jest)."""
import os
import shlex
import subprocess
import sys
import time

import pytest
from pyspark.sql import functions as F

import landing_fixtures as L
import local_runner
from local_runner import RequestError, Runner, as_local_path, describe_error, take_lock

D1 = "2020-02-01"


@pytest.fixture
def runner(spark, spark_data_dir):
    return Runner(spark, str(spark_data_dir))


def test_run_job_defaults_to_the_data_directory_and_list_data_files_lists_the_current_snapshot(
    runner, spark, spark_data_dir, database, tmp_path
):
    landing = tmp_path / "landing"
    L.write_extract(landing, "songs", D1, [L.song(), L.song("TRAAABD128F429CF47")])
    args = {"run_date": D1, "landing_path": str(landing), "database": database}
    first = runner.handle({"op": "run_job", "job": "transform_songs", "args": args})
    assert first["sources"]["songs"]["written"] == 2
    assert first["results_path"].startswith(str(spark_data_dir / "transform" / "warehouse" / "_job_results"))
    before = runner.handle({"op": "list_data_files", "tables": ["songs"], "database": database})["songs"]

    runner.handle({"op": "run_job", "job": "transform_songs", "args": args})
    files = runner.handle({"op": "list_data_files", "tables": ["songs"], "database": database})["songs"]

    assert files and all(os.path.isfile(f) and f.endswith(".parquet") for f in files)
    assert all(f.startswith(str(spark_data_dir / "transform" / "warehouse")) for f in files)
    # The re-run replaced the partition: the old files are still on disk but no longer current.
    assert not set(files) & set(before)
    assert all(os.path.isfile(f) for f in before)
    assert spark.read.parquet(*files).count() == 2
    assert spark.read.parquet(*files).where(F.col("ingest_on") == D1).count() == 2


def test_the_enrichment_job_runs_by_name_and_its_tables_list_their_files(runner, database, tmp_path):
    landing = tmp_path / "landing"
    L.write_extract(landing, "concerts", D1, [L.concert()], manifest_overrides={"windows": [L.window()]})
    L.write_extract(landing, "artist_stats", D1, [L.artist_stats()])
    args = {"run_date": D1, "landing_path": str(landing), "database": database}
    result = runner.handle({"op": "run_job", "job": "transform_enrichment", "args": args})
    assert {source: counts["written"] for source, counts in result["sources"].items()} == {
        "concerts": 2, "artist_stats": 1,
    }
    tables = ["concerts", "concert_windows", "artist_stats", "listens"]
    listed = runner.handle({"op": "list_data_files", "tables": tables, "database": database})
    assert sorted(listed) == sorted(tables)
    assert all(listed[table] for table in tables[:3]), listed
    assert listed["listens"] == []  # not created yet: its job has not run


@pytest.mark.parametrize(
    "request_, message",
    [
        ({"op": "explode"}, "unknown op 'explode'"),
        ({"op": "run_job", "job": "transform_everything", "args": {}}, "unknown job 'transform_everything'"),
        ({"op": "run_job", "job": "transform_api", "args": {}}, "missing job arguments: --run_date"),
        ({"op": "run_job", "job": "transform_api", "args": {"run_date": D1, "catalog_name": "x"}}, "catalog is glue_catalog"),
        ({"op": "list_data_files", "tables": ["users; DROP"]}, "invalid table"),
        ({"op": "list_data_files", "tables": ["users"], "database": "x.y"}, "invalid database 'x.y'"),
        ({"op": "list_data_files", "table": "users"}, "needs tables"),
    ],
)
def test_bad_requests_fail_with_a_clear_message(runner, request_, message):
    with pytest.raises(Exception, match=message):
        runner.handle(request_)


def test_a_table_not_created_yet_has_no_data_files(runner, database):
    assert runner.handle({"op": "list_data_files", "tables": ["users"], "database": database})["users"] == []


def test_a_missing_extract_is_reported_by_path(runner, database, tmp_path):
    with pytest.raises(Exception) as error:
        runner.handle({"op": "run_job", "job": "transform_songs",
                       "args": {"run_date": D1, "landing_path": str(tmp_path), "database": database}})
    assert describe_error(error.value).startswith(f"manifest {tmp_path}/db/songs/ingest_on={D1}/_manifest.json not found")


def test_java_errors_are_reduced_to_the_java_message(spark):
    with pytest.raises(Exception) as error:
        spark.sql("SELECT * FROM glue_catalog.no_such_db.no_such_table").collect()
    message = describe_error(error.value)
    assert "no_such_table" in message
    assert "\tat org." not in message and "at py4j" not in message


def test_one_runner_per_data_directory(tmp_path):
    held = take_lock(str(tmp_path))
    try:
        with pytest.raises(SystemExit, match=f"another local Spark runner is using {tmp_path}"):
            take_lock(str(tmp_path))
    finally:
        held.close()
    take_lock(str(tmp_path)).close()


def test_file_uris_become_local_paths():
    assert as_local_path("file:/data/x.parquet") == "/data/x.parquet"
    assert as_local_path("file:///data/x.parquet") == "/data/x.parquet"
    assert as_local_path("/data/x.parquet") == "/data/x.parquet"
    assert local_runner.DEFAULT_CATALOG == "glue_catalog"


def test_a_runner_whose_client_was_killed_exits_and_frees_the_lock(tmp_path):
    # A client (bash) starts a runner stand-in that locks the directory and watches its parent as main()
    # does, then sleeps as a runner busy in a long job would; the client is killed with SIGKILL.
    runner_dir = os.path.dirname(os.path.abspath(local_runner.__file__))
    code = (
        f"import sys, time; sys.path.insert(0, {runner_dir!r}); import local_runner as r; "
        f"lock = r.take_lock({str(tmp_path)!r}); r.watch_parent(0.1); print('locked', flush=True); time.sleep(120)"
    )
    client = subprocess.Popen(
        ["bash", "-c", f"{shlex.quote(sys.executable)} -c {shlex.quote(code)} & wait"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert client.stdout.readline().strip() == "locked"
        with pytest.raises(SystemExit, match="another local Spark runner"):
            take_lock(str(tmp_path))
    finally:
        client.kill()
        client.wait()
    # The orphaned runner notices within its interval and exits: the next runner gets the lock.
    deadline = time.monotonic() + 15
    while True:
        try:
            take_lock(str(tmp_path)).close()
            break
        except SystemExit:
            assert time.monotonic() < deadline, "the orphaned runner still holds the lock"
            time.sleep(0.1)
