"""Benchmark of the transform jobs on local Spark: synthetic landing extracts in, Iceberg tables out.

Prints data sizes, wall times and throughput with the machine; asserts nothing.

    .venv/bin/python bench/transform_jobs.py [sessions] [users] [songs]    (default: 20000 5000 10000)
"""
import gzip
import hashlib
import json
import os
import platform
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "glue-scripts"), str(ROOT / "lib" / "local" / "spark")]

from deftunes_glue.jobs import run_job  # noqa: E402
from local_session import build_local_spark_session, local_paths  # noqa: E402
from deftunes_glue.options import options_from_mapping  # noqa: E402

RUN_DATE = "2020-02-01"
PREFIXES = {"users": "api/users", "sessions": "api/sessions", "songs": "db/songs"}


def track_id(rng):
    return "TR" + "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") for _ in range(16))


def write_extract(landing: Path, source: str, records, run_date: str = RUN_DATE) -> int:
    prefix = f"{PREFIXES[source]}/ingest_on={run_date}"
    (landing / prefix).mkdir(parents=True, exist_ok=True)
    data = gzip.compress("".join(json.dumps(r) + "\n" for r in records).encode(), mtime=0)
    (landing / prefix / f"{source}.jsonl.gz").write_bytes(data)
    manifest = {"manifest_version": 1, "entity": source, "run_date": run_date, "key": f"{prefix}/{source}.jsonl.gz",
                "records": len(records), "rejected": 0, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    (landing / prefix / "_manifest.json").write_text(json.dumps(manifest))
    return len(data)


def synthesize(landing: Path, sessions: int, users: int, songs: int):
    rng = random.Random(42)
    tracks = [track_id(rng) for _ in range(songs)]
    user_ids = [f"{rng.getrandbits(128):032x}" for _ in range(users)]
    song_rows = [{"track_id": t, "title": f"Song {i}", "song_id": "SO" + t[2:], "release": "R", "artist_id": f"AR{i % 900:016d}",
                  "artist_mbid": None, "artist_name": f"Artist {i % 900}", "duration": round(rng.uniform(60, 600), 5),
                  "artist_familiarity": rng.random(), "artist_hotttnesss": rng.random(), "year": rng.choice([0, 1999, 2005]),
                  "track_7digitalid": rng.randrange(1, 9_000_000), "shs_perf": -1, "shs_work": 0} for i, t in enumerate(tracks)]
    user_rows = [{"user_id": u, "user_name": "N", "user_lastname": "L",
                  "user_location": [f"{rng.uniform(-90, 90):.5f}", f"{rng.uniform(-180, 180):.5f}", "Place", "US", "America/New_York"],
                  "user_since": "2019-05-01T10:00:00Z"} for u in user_ids]
    session_rows = []
    for n in range(sessions):
        items = [{"song_id": rng.choice(tracks), "song_name": "S", "artist_id": "AR1", "artist_name": "A",
                  "price": rng.choice([0.49, 0.99, 1.29, 1.99]), "currency": "USD", "liked": rng.random() < 0.3,
                  "liked_since": None} for _ in range(rng.randint(1, 5))]
        session_rows.append({"user_id": rng.choice(user_ids), "session_id": f"{n:08d}-{rng.getrandbits(64):016x}",
                             "session_items": items, "user_agent": "Mozilla/5.0",
                             "session_start_time": f"2020-02-01T{rng.randrange(24):02d}:{rng.randrange(60):02d}:00Z"})
    return {"users": (len(user_rows), write_extract(landing, "users", user_rows)),
            "sessions": (len(session_rows), write_extract(landing, "sessions", session_rows)),
            "songs": (len(song_rows), write_extract(landing, "songs", song_rows))}


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.machine()


def main() -> None:
    sessions, users, songs = (int(a) for a in (sys.argv[1:] + ["20000", "5000", "10000"][len(sys.argv) - 1:])[:3])
    data_dir = Path(tempfile.mkdtemp(prefix="deftunes-bench-transform-"))
    paths = local_paths(str(data_dir))
    sizes = synthesize(Path(paths["landing"]), sessions, users, songs)
    print(f"machine: {os.cpu_count()} CPUs, {cpu_model()}, "
          f"load average {os.getloadavg()[0]:.1f}, Python {platform.python_version()}")
    for source, (records, size) in sizes.items():
        print(f"landing {source}: {records} records, {size / 2**20:.2f} MiB gzipped")
    started = time.perf_counter()
    spark = build_local_spark_session(str(data_dir), str(ROOT / ".jars"), app_name="bench-transform")
    print(f"spark session start: {time.perf_counter() - started:.1f} s (Spark {spark.version}, local[2], 1g driver)")
    options = options_from_mapping({"run_date": RUN_DATE, "landing_path": paths["landing"],
                                    "warehouse_path": paths["warehouse"]})
    for attempt in ("first run", "re-run"):
        for job in ("transform_songs", "transform_api"):
            started = time.perf_counter()
            result = run_job(spark, job, options)
            seconds = time.perf_counter() - started
            for source, counts in result["sources"].items():
                print(f"{attempt} {job} {source}: read {counts['read']} records, wrote {counts['written']} rows, "
                      f"quarantined {counts['quarantined']}")
            read = sum(c["read"] for c in result["sources"].values())
            print(f"{attempt} {job}: {seconds:.1f} s, {read / seconds:,.0f} landing records/s")
    spark.stop()
    shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
