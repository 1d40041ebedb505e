"""Profile of a local day's four transform jobs on one local Spark session, per job and per Spark stage.

Reads the landing zone of a data directory a local run filled (``deftunes run --data-dir D``), and runs the
jobs of each date, in the pipeline's order, into a fresh warehouse (the landing is linked, never written).
Spark's event log gives each Glue job's Spark jobs, stages and tasks; the rest of a job's wall time is the
driver's (planning, Iceberg catalog calls, Py4J). Prints figures with the machine; asserts nothing.

    .venv/bin/python bench/transform_day.py --data-dir data/demo [--dates 2020-02-01,2020-02-02]
        [--conf spark.key=value ...] [--empty]

``--empty`` runs the jobs on an empty day instead (every extract empty, no listening events): the fixed cost
of each job, whatever the data. ``--conf`` overrides the local session's settings, to compare them.
"""
import argparse
import gzip
import hashlib
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "glue-scripts"), str(ROOT / "lib" / "local" / "spark")]
sys.path.insert(0, str(ROOT / "bench"))

from transform_jobs import cpu_model, write_extract  # noqa: E402
from deftunes_glue.jobs import run_job  # noqa: E402
from local_session import build_local_spark_session, local_paths  # noqa: E402
from deftunes_glue.options import options_from_mapping  # noqa: E402

JOBS = ("transform_api", "transform_songs", "transform_enrichment", "transform_listens")


def empty_landing(landing: Path, date: str) -> None:
    """Every extract of ``date`` with no record (the concerts manifest with no window), no listens."""
    for source in ("users", "sessions", "songs"):
        write_extract(landing, source, [], date)
    for source, prefix in (("concerts", "ext/concerts"), ("artist_stats", "ext/artist_stats")):
        folder = landing / f"{prefix}/ingest_on={date}"
        folder.mkdir(parents=True, exist_ok=True)
        data = gzip.compress(b"", mtime=0)
        (folder / f"{source}.jsonl.gz").write_bytes(data)
        manifest = {"manifest_version": 1, "entity": source, "run_date": date,
                    "key": f"{prefix}/ingest_on={date}/{source}.jsonl.gz", "records": 0, "rejected": 0,
                    "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
        if source == "concerts":
            manifest["windows"] = []
        (folder / "_manifest.json").write_text(json.dumps(manifest))


def read_event_log(log_dir: Path) -> list:
    """The events of the one application that logged into ``log_dir`` (read after the session stops)."""
    events = []
    for path in log_dir.iterdir():
        with open(path, encoding="utf-8") as handle:
            events.extend(json.loads(line) for line in handle if line.strip())
    return events


def spark_work_by_group(events: list) -> dict:
    """Per job group (one Glue job run): Spark jobs, their summed wall time, stages, tasks, top stages."""
    group_of_job, job_start, stage_group = {}, {}, {}
    groups = defaultdict(lambda: {"jobs": 0, "job_ms": 0, "stages": 0, "tasks": 0, "stage_list": []})
    for event in events:
        kind = event["Event"]
        if kind == "SparkListenerJobStart":
            group = (event.get("Properties") or {}).get("spark.jobGroup.id", "?")
            group_of_job[event["Job ID"]] = group
            job_start[event["Job ID"]] = event["Submission Time"]
            for stage in event.get("Stage IDs", []):
                stage_group[stage] = group
        elif kind == "SparkListenerJobEnd":
            group = group_of_job.get(event["Job ID"], "?")
            groups[group]["jobs"] += 1
            groups[group]["job_ms"] += event["Completion Time"] - job_start.get(event["Job ID"], event["Completion Time"])
        elif kind == "SparkListenerStageCompleted":
            info = event["Stage Info"]
            group = stage_group.get(info["Stage ID"], "?")
            ms = (info.get("Completion Time") or 0) - (info.get("Submission Time") or 0)
            groups[group]["stages"] += 1
            groups[group]["tasks"] += info["Number of Tasks"]
            groups[group]["stage_list"].append((ms, info["Number of Tasks"], info["Stage Name"].split(" at ")[0]))
    return groups


class Py4jCalls:
    """Counts the Python driver's calls into the JVM (each a round trip on a local socket)."""

    def __init__(self) -> None:
        from py4j import clientserver

        self.count = 0
        original = clientserver.ClientServerConnection.send_command

        def counted(connection, command, *rest, **named):
            self.count += 1
            return original(connection, command, *rest, **named)

        clientserver.ClientServerConnection.send_command = counted


def cpu_seconds() -> float:
    """CPU seconds (user + system) of this process and its descendants (the JVM), from /proc (Linux)."""
    ticks = os.sysconf("SC_CLK_TCK")
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue  # ended between the listing and the read
        fields = stat[stat.rindex(")") + 2:].split()
        table[int(entry)] = (int(fields[1]), int(fields[11]) + int(fields[12]))
    family, total, grew = {os.getpid()}, table.get(os.getpid(), (0, 0))[1], True
    while grew:
        grew = False
        for pid, (parent, used) in table.items():
            if parent in family and pid not in family:
                family.add(pid)
                total += used
                grew = True
    return total / ticks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", help="a data directory whose landing a local run filled")
    parser.add_argument("--dates", default="2020-02-01,2020-02-02,2020-02-03")
    parser.add_argument("--conf", action="append", default=[], help="spark.key=value, over the local settings")
    parser.add_argument("--empty", action="store_true", help="an empty day: each job's fixed cost")
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory (prints where)")
    args = parser.parse_args()
    if not args.empty and not args.data_dir:
        parser.error("--data-dir is needed (or --empty)")
    scratch = Path(tempfile.mkdtemp(prefix="deftunes-bench-day-"))
    dates = args.dates.split(",")
    paths = local_paths(str(scratch))
    if args.empty:
        for date in dates:
            empty_landing(Path(paths["landing"]), date)
    else:
        os.symlink(local_paths(args.data_dir)["landing"], paths["landing"])
    log_dir = scratch / "eventlog"
    log_dir.mkdir()
    overrides = dict(item.split("=", 1) for item in args.conf)
    overrides.update({"spark.eventLog.enabled": "true", "spark.eventLog.dir": f"file://{log_dir}"})
    print(f"machine: {os.cpu_count()} CPUs, {cpu_model()}, load average {os.getloadavg()[0]:.2f} "
          f"(/proc/loadavg), Python {platform.python_version()}")
    print(f"overrides: {args.conf or 'none'}")
    started = time.perf_counter()
    spark = build_local_spark_session(str(scratch), str(ROOT / ".jars"), app_name="bench-day", extra_conf=overrides)
    print(f"spark session start: {time.perf_counter() - started:.1f} s")
    walls, calls = [], Py4jCalls()
    for date in dates:
        day_started, cpu_before = time.perf_counter(), cpu_seconds()
        for job in JOBS:
            options = options_from_mapping({"run_date": date, "landing_path": paths["landing"],
                                            "warehouse_path": paths["warehouse"]})
            group = f"{date} {job}"
            spark.sparkContext.setJobGroup(group, group)
            job_started, calls_before = time.perf_counter(), calls.count
            run_job(spark, job, options)
            walls.append((group, time.perf_counter() - job_started, calls.count - calls_before))
        print(f"day {date}: four jobs {time.perf_counter() - day_started:.1f} s, "
              f"CPU {cpu_seconds() - cpu_before:.1f} s (driver and JVM), load average {os.getloadavg()[0]:.2f}")
    spark.stop()
    work = spark_work_by_group(read_event_log(log_dir))
    print(f"{'job':36} {'wall':>6} {'spark':>6} {'driver':>6} {'py4j':>6} {'jobs':>5} {'stages':>6} {'tasks':>6}")
    for group, wall, py4j_calls in walls:
        w = work[group]
        print(f"{group:36} {wall:6.1f} {w['job_ms'] / 1000:6.1f} {wall - w['job_ms'] / 1000:6.1f} {py4j_calls:6d} "
              f"{w['jobs']:5d} {w['stages']:6d} {w['tasks']:6d}")
        for ms, tasks, name in sorted(w["stage_list"], reverse=True)[:3]:
            print(f"    stage {ms / 1000:5.1f} s {tasks:4d} tasks  {name}")
    if args.keep:
        print(f"kept {scratch}")
    else:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
