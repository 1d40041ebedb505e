"""Benchmark of the transform zone's cost with history: N consecutive days of transform_api and
transform_songs at `tiny`, on one local Spark session, into two databases of the same catalog: one left
alone, one maintained after each job (deftunes_glue.maintenance, the local Glue table optimizers). The two
run day by day in turn, so the machine's load falls on both alike.

Prints, per day and database: the jobs' time, the maintenance's time, and the Iceberg state of the tables
written (snapshots, live data files, files on disk, metadata files and bytes, the current metadata file's
size); then day N against day 2. Asserts nothing.

    .venv/bin/python bench/iceberg_history.py [days] [--budget-minutes M]      (default: 40 days, 30 minutes)

Settings: cdk.json `dev`'s icebergMaintenance, except snapshotRetentionDays: a bench day lasts seconds, not
a day, so snapshots are kept by count only (the newest snapshotsToRetain), which is what N days of retention
amount to once the history is longer than N days. Orphan files keep their retention (at least a day), so the
bench deletes none; it creates none either.
"""
import argparse
import datetime as dt
import json
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "glue-scripts"), str(ROOT / "lib" / "local" / "spark")]
sys.path.insert(0, str(ROOT / "test" / "python"))

from landing_fixtures import write_extract  # noqa: E402  (an extract and its manifest, as the extraction writes them)

from deftunes_glue.jobs import run_job  # noqa: E402
from local_session import build_local_spark_session, local_paths  # noqa: E402
from deftunes_glue.maintenance import job_tables, maintain_job_tables, settings_from_mapping  # noqa: E402
from deftunes_glue.options import options_from_mapping  # noqa: E402

FIRST_DATE = dt.date(2020, 2, 3)
JOBS = ("transform_api", "transform_songs")
# `tiny` (lib/local/simulator/scale.ts): 300 songs, 100 users at the epoch, about 200 session items a day.
TINY = {"songs": 300, "users": 100, "sessions": 70}


def synthesize_day(landing: Path, day: int, run_date: str) -> None:
    """The day's extracts: the full songs table and users snapshot (as the extraction takes them every day),
    the day's sessions; the users grow a little every day."""
    rng = random.Random(day)
    tracks = [f"TR{i:016d}" for i in range(TINY["songs"])]
    users = [f"{i:032x}" for i in range(TINY["users"] + 2 * day)]
    write_extract(landing, "songs", run_date, [
        {"track_id": t, "title": f"Song {i}", "song_id": f"SO{i:016d}", "release": "R", "artist_id": f"AR{i % 90:016d}",
         "artist_mbid": None, "artist_name": f"Artist {i % 90}", "duration": 200.5, "artist_familiarity": 0.5,
         "artist_hotttnesss": 0.4, "year": 2005, "track_7digitalid": i + 1, "shs_perf": -1, "shs_work": 0}
        for i, t in enumerate(tracks)])
    write_extract(landing, "users", run_date, [
        {"user_id": u, "user_name": "N", "user_lastname": "L",
         "user_location": ["48.85", "2.35", "Paris", "FR", "Europe/Paris"], "user_since": "2020-01-01T10:00:00Z"}
        for u in users])
    write_extract(landing, "sessions", run_date, [
        {"user_id": rng.choice(users), "session_id": f"{day:04d}{n:04d}-0000-0000-0000-000000000000",
         "session_items": [{"song_id": rng.choice(tracks), "song_name": "S", "artist_id": "AR1", "artist_name": "A",
                            "price": 0.99, "currency": "USD", "liked": False, "liked_since": None}
                           for _ in range(rng.randint(1, 5))],
         "user_agent": "Mozilla/5.0", "session_start_time": f"{run_date}T{rng.randrange(24):02d}:00:00Z"}
        for n in range(TINY["sessions"])])


def table_state(spark, database: str) -> dict:
    """Iceberg's own view (snapshots, live data files, metadata log) and the disk's (files and bytes)."""
    state = {"snapshots": 0, "data_files": 0, "disk_files": 0, "metadata_files": 0, "metadata_bytes": 0,
             "current_metadata_bytes": 0}
    tables = sorted({t for job in JOBS for t in job_tables(job)})
    for table in tables:
        name = f"glue_catalog.{database}.{table}"
        state["snapshots"] += spark.sql(f"SELECT count(*) FROM {name}.snapshots").first()[0]
        state["data_files"] += spark.sql(f"SELECT count(*) FROM {name}.data_files").first()[0]
        current = spark.sql(f"SELECT file FROM {name}.metadata_log_entries ORDER BY timestamp DESC LIMIT 1").first()[0]
        current = current.replace("file:", "")
        state["current_metadata_bytes"] += os.path.getsize(current)
        for folder, _, files in os.walk(os.path.dirname(os.path.dirname(current))):  # <table>/metadata/<file>
            visible = [f for f in files if not f.startswith(".")]
            state["disk_files"] += len(visible)
            if os.path.basename(folder) == "metadata":
                state["metadata_files"] += len(visible)
                state["metadata_bytes"] += sum(os.path.getsize(os.path.join(folder, f)) for f in visible)
    return state


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("days", nargs="?", type=int, default=40)
    parser.add_argument("--budget-minutes", type=float, default=30.0)
    args = parser.parse_args()
    environment = json.loads((ROOT / "cdk.json").read_text())["context"]["deftunes:environments"]["dev"]
    configured = environment["icebergMaintenance"]
    settings = settings_from_mapping({**configured, "snapshotRetentionDays": 0})
    print(f"Iceberg history benchmark: {args.days} days at tiny ({TINY}), jobs {', '.join(JOBS)}")
    print(f"machine: {os.cpu_count()} vCPU, load average {open('/proc/loadavg').read().split()[:3]}")
    print(f"maintenance (cdk.json dev, retention by count): {settings}")
    data_dir = Path(tempfile.mkdtemp(prefix="deftunes-iceberg-history-"))
    landing, warehouse = (Path(local_paths(str(data_dir))[zone]) for zone in ("landing", "warehouse"))
    spark = build_local_spark_session(str(data_dir), str(ROOT / ".jars"), app_name="bench-iceberg-history")
    variants = {"plain": "bench_plain", "maintained": "bench_maintained"}
    rows = []
    started = time.monotonic()
    try:
        for day in range(1, args.days + 1):
            run_date = (FIRST_DATE + dt.timedelta(days=day - 1)).isoformat()
            synthesize_day(landing, day, run_date)
            for variant, database in variants.items():
                options = options_from_mapping({"run_date": run_date, "landing_path": str(landing),
                                                "warehouse_path": str(warehouse), "database": database,
                                                "job_results_path": str(data_dir / "results" / database)})
                jobs_s = maintenance_s = 0.0
                for job in JOBS:
                    t0 = time.monotonic()
                    run_job(spark, job, options)
                    jobs_s += time.monotonic() - t0
                    if variant == "maintained":
                        t0 = time.monotonic()
                        maintain_job_tables(spark, job, options, settings)
                        maintenance_s += time.monotonic() - t0
                state = table_state(spark, database)
                rows.append({"day": day, "variant": variant, "jobs_s": jobs_s, "maintenance_s": maintenance_s,
                             "load": float(open("/proc/loadavg").read().split()[0]), **state})
                print(json.dumps(rows[-1]), flush=True)
            if time.monotonic() - started > args.budget_minutes * 60:
                print(f"time budget of {args.budget_minutes} min reached after day {day}")
                break
    finally:
        spark.stop()
        shutil.rmtree(data_dir, ignore_errors=True)
    report(rows)


def report(rows) -> None:
    last = min(max(r["day"] for r in rows if r["variant"] == v) for v in ("plain", "maintained"))
    print(f"\nday 2 and day {last} (tables users, sessions, songs, quarantine together)")
    columns = ("jobs_s", "maintenance_s", "snapshots", "data_files", "disk_files", "metadata_files", "metadata_bytes",
               "current_metadata_bytes")
    print("| variant | day | " + " | ".join(columns) + " | load |")
    for variant in ("plain", "maintained"):
        by_day = {r["day"]: r for r in rows if r["variant"] == variant}
        for day in (2, last):
            r = by_day[day]
            print(f"| {variant} | {day} | " + " | ".join(
                f"{r[c]:.2f}" if c.endswith("_s") else str(r[c]) for c in columns) + f" | {r['load']:.1f} |")
        total = {d: by_day[d]["jobs_s"] + by_day[d]["maintenance_s"] for d in by_day}
        first_week = [total[d] for d in range(2, min(last, 8) + 1)]
        last_week = [total[d] for d in range(max(2, last - 6), last + 1)]
        weeks = (sum(last_week) / len(last_week)) / (sum(first_week) / len(first_week))
        print(f"  {variant}: day {last} / day 2 (jobs + maintenance) {total[last] / total[2]:.2f}; "
              f"mean of the last 7 days / mean of days 2-8 {weeks:.2f}")
    plain = {r["day"]: r for r in rows if r["variant"] == "plain"}
    kept = {r["day"]: r for r in rows if r["variant"] == "maintained"}
    print(f"  same-run limit, day {last}: maintained jobs {kept[last]['jobs_s']:.2f} s vs plain "
          f"{plain[last]['jobs_s']:.2f} s (ratio {kept[last]['jobs_s'] / plain[last]['jobs_s']:.2f})")


if __name__ == "__main__":
    main()
