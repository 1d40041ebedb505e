"""Local Spark runner: one SparkSession for a whole local pipeline run, driven by JSON lines.

    .venv/bin/python lib/local/spark/local_runner.py --data-dir data [--jars-dir .jars]

Protocol (one JSON object per line; stdout carries only protocol lines, logs go to stderr):
    first line:  {"event": "ready", "spark_version": "3.5.4", "data_dir": ..., "catalog": ...}
    requests:    {"id": 1, "op": "run_job", "job": "transform_api", "args": {"run_date": "2020-02-01", ...}}
                 {"id": 2, "op": "list_data_files", "tables": ["sessions", "users"]}
                   (result: {"sessions": [absolute paths of the current data files], ...}; [] if no table)
                 {"id": 3, "op": "ping"}
                 {"id": 4, "op": "shutdown"}
    responses:   {"id": 1, "ok": true, "result": ...} or {"id": 1, "ok": false, "error": "..."}
Requests run one at a time, in order. End of input is a shutdown.

With ``--table-maintenance '<cdk.json icebergMaintenance as JSON>'``, each job is followed by the Iceberg
maintenance of the tables it wrote (deftunes_glue.maintenance, the local Glue table optimizers); its counts
are in the job's result under ``maintenance``.

One runner per data directory: SQLite allows one writer at a time, and the runner holds an exclusive
lock on <data-dir>/transform/.spark-runner.lock for its whole life, so a second one fails at once.
The lock is an flock: the kernel drops it when the runner exits, however it exits. What could keep it
held is a runner that outlives its client: a client killed with SIGKILL closes the runner's stdin, but a
runner busy starting Spark or running a job reads stdin only when done, and would hold the lock (and
write to the catalog) for minutes with nobody listening. So a watchdog thread exits the runner as soon
as its parent process is gone.
"""
import argparse
import fcntl
import json
import logging
import os
import sys
import threading
import time
import traceback

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
# The jobs' package ships to Glue from glue-scripts/; this runner and its session stay local (lib/local/spark/).
sys.path[:0] = [os.path.dirname(os.path.abspath(__file__)), os.path.join(ROOT, "glue-scripts")]

from local_session import build_local_spark_session, local_paths  # noqa: E402
from deftunes_glue.maintenance import maintain_job_tables, settings_from_mapping  # noqa: E402
from deftunes_glue.options import DEFAULT_CATALOG, DEFAULT_DATABASE, options_from_mapping  # noqa: E402

log = logging.getLogger("deftunes_glue.local_runner")
TABLE_NAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789_")


class RequestError(Exception):
    pass


def protocol_output():
    """A private copy of stdout for protocol lines; fd 1 then points at stderr, so anything else that
    writes to stdout (the JVM, a stray print) ends in the log instead of corrupting the protocol."""
    out = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return out


def take_lock(data_dir: str):
    path = os.path.join(local_paths(data_dir)["transform"], ".spark-runner.lock")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    handle = open(path, "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        raise SystemExit(
            f"another local Spark runner is using {data_dir} (lock {path} held by pid {handle.read().strip() or '?'})"
        ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()))
    handle.flush()
    return handle


def watch_parent(interval_seconds: float = 0.5) -> threading.Thread:
    """Exits the process (releasing the lock) when the parent that started it is gone: a dead parent's
    children are re-parented, so getppid() changes. os._exit, not sys.exit: the main thread may be deep in
    a Spark job; the JVM exits on its own when its Python driver goes."""
    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(interval_seconds)
            if os.getppid() != parent:
                log.error("the client (pid %s) is gone: exiting and releasing the lock", parent)
                os._exit(3)

    thread = threading.Thread(target=watch, name="parent-watchdog", daemon=True)
    thread.start()
    return thread


def describe_error(error: BaseException) -> str:
    """One readable message: a Java exception's own message, not the Py4J envelope and stack."""
    java_exception = getattr(error, "java_exception", None)
    if java_exception is not None:
        return str(java_exception.toString())
    text = str(error).strip()
    return text.splitlines()[0] if text.startswith("An error occurred while calling") else text or type(error).__name__


def as_local_path(location: str) -> str:
    for prefix in ("file://", "file:"):
        if location.startswith(prefix):
            return location[len(prefix):]
    return location


class Runner:
    def __init__(self, spark, data_dir: str, maintenance=None):
        self.spark = spark
        self.paths = local_paths(data_dir)
        self.maintenance = maintenance

    def run_job(self, request: dict):
        from deftunes_glue.jobs import JOB_SOURCES, run_job

        job = request.get("job")
        if job not in JOB_SOURCES:
            raise RequestError(f"unknown job {job!r}: expected one of {', '.join(JOB_SOURCES)}")
        args = dict(request.get("args") or {})
        if args.get("catalog_name", DEFAULT_CATALOG) != DEFAULT_CATALOG:
            raise RequestError(f"the local runner's catalog is {DEFAULT_CATALOG}")
        args.setdefault("landing_path", self.paths["landing"])
        args.setdefault("warehouse_path", self.paths["warehouse"])
        options = options_from_mapping(args)
        result = run_job(self.spark, job, options)
        if self.maintenance is not None:
            result["maintenance"] = maintain_job_tables(self.spark, job, options, self.maintenance)
        return result

    def list_data_files(self, request: dict):
        """{table: the absolute paths of its current data files} for each of ``tables`` ([] for a table not
        created yet: its job has not run, no data). Read from Iceberg's own ``data_files`` metadata tables
        (never by parsing metadata files), all of them in one query: one Spark job per request, whatever the
        number of tables or files."""
        tables = request.get("tables")
        database = str(request.get("database") or DEFAULT_DATABASE)
        if not set(database) <= TABLE_NAME_CHARS or not database:
            raise RequestError(f"invalid database {database!r}")
        if not isinstance(tables, list) or not tables:
            raise RequestError("list_data_files needs tables: a non-empty list of table names")
        for table in tables:
            if not isinstance(table, str) or not table or not set(table) <= TABLE_NAME_CHARS:
                raise RequestError(f"invalid table {database}.{table}")
        listed = {table: [] for table in tables}
        names = {table: f"{DEFAULT_CATALOG}.{database}.{table}" for table in listed}
        existing = [table for table, name in names.items() if self.spark.catalog.tableExists(name)]
        if existing:
            query = " UNION ALL ".join(
                f"SELECT '{table}' AS table_name, file_path FROM {names[table]}.data_files" for table in existing
            )
            for row in self.spark.sql(query).collect():
                listed[row.table_name].append(as_local_path(row.file_path))
        return {table: sorted(paths) for table, paths in listed.items()}

    def handle(self, request: dict):
        op = request.get("op")
        if op == "run_job":
            return self.run_job(request)
        if op == "list_data_files":
            return self.list_data_files(request)
        if op == "ping":
            return {"spark_version": self.spark.version}
        raise RequestError(f"unknown op {op!r}: expected run_job, list_data_files, ping or shutdown")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--jars-dir", default=os.path.join(ROOT, ".jars"))
    parser.add_argument("--driver-memory", default=None, help="default: $DEFTUNES_SPARK_DRIVER_MEMORY or 1g")
    parser.add_argument("--table-maintenance", default=None, help="cdk.json icebergMaintenance (JSON); default: none")
    args = parser.parse_args()
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    out = protocol_output()

    def send(message: dict) -> None:
        out.write(json.dumps(message, default=str) + "\n")
        out.flush()

    maintenance = settings_from_mapping(json.loads(args.table_maintenance)) if args.table_maintenance else None
    lock = take_lock(args.data_dir)
    watch_parent()
    try:
        spark = build_local_spark_session(args.data_dir, args.jars_dir, driver_memory=args.driver_memory)
    except Exception as error:  # noqa: BLE001 - reported to the client, then exit
        send({"event": "failed", "error": f"local Spark did not start: {describe_error(error)}"})
        log.error("local Spark did not start\n%s", traceback.format_exc())
        return 1
    runner = Runner(spark, args.data_dir, maintenance)
    send(
        {"event": "ready", "spark_version": spark.version, "data_dir": runner.paths["root"], "catalog": DEFAULT_CATALOG}
    )
    try:
        for line in sys.stdin:
            if not line.strip():
                continue
            request_id = None
            try:
                request = json.loads(line)
                if not isinstance(request, dict):
                    raise RequestError("a request must be a JSON object")
                request_id = request.get("id")
                if request.get("op") == "shutdown":
                    send({"id": request_id, "ok": True, "result": None})
                    break
                send({"id": request_id, "ok": True, "result": runner.handle(request)})
            except Exception as error:  # noqa: BLE001 - every failure becomes an error response
                log.error("request %s failed\n%s", request_id, traceback.format_exc())
                send({"id": request_id, "ok": False, "error": describe_error(error)})
    finally:
        spark.stop()
        lock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
