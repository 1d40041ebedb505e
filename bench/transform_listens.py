"""Benchmark of transform_listens on local Spark: a synthetic window of Firehose objects in, listens out.

Prints data sizes, wall times and throughput with the machine; asserts nothing.

    .venv/bin/python bench/transform_listens.py [small|medium|<plays per day>] ...    (default: small)

A day of P plays lands as 4 objects per arrival hour (Firehose's 15-minute buffer), with the stream's faults
at the simulator's rates (docs/listening-events.md, Local): 1% duplicates, 3% late within the window, 0.3%
beyond it, 0.1% clock skew, 0.2% bad lines. The run for D reads 36 arrival hours (lateness 12): D's plays
and the first 12 hours of D+1's, about 1.5 P lines.
"""
import gzip
import os
import platform
import random
import shutil
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "glue-scripts"), str(ROOT / "lib" / "local" / "spark")]
sys.path.insert(0, str(ROOT / "bench"))

from transform_jobs import cpu_model  # noqa: E402
from deftunes_glue.jobs import run_job  # noqa: E402
from deftunes_glue.listens import LANDING_PREFIX, window_of  # noqa: E402
from deftunes_glue.listens_job import window_objects  # noqa: E402
from local_session import build_local_spark_session, local_paths  # noqa: E402
from deftunes_glue.options import options_from_mapping  # noqa: E402
from deftunes_glue.schemas import LISTENS_LANDING_SCHEMA  # noqa: E402

RUN_DATE = datetime(2020, 2, 1)
SCALES = {"small": 200_000, "medium": 2_000_000}
OBJECTS_PER_HOUR, LATENESS_HOURS = 4, 12
DUPLICATE, LATE, BEYOND, SKEW, BAD = 0.01, 0.03, 0.003, 0.001, 0.002
DEVICES = ("ios", "android", "web", "desktop", "speaker")
LINE = '{{"event_id":"{}","user_id":"{}","track_id":"{}","listened_at":"{}Z","ms_played":{},"device":"{}"}}'


def arrival_of(listened: datetime, rng: random.Random) -> datetime:
    """When the play reaches the landing zone: minutes after it, hours when late, before it when skewed."""
    roll = rng.random()
    if roll < SKEW:
        return listened - timedelta(hours=rng.uniform(1.5, 3))
    if roll < SKEW + BEYOND:
        return listened + timedelta(hours=rng.uniform(LATENESS_HOURS + 24, LATENESS_HOURS + 36))
    if roll < SKEW + BEYOND + LATE:
        return listened + timedelta(hours=rng.uniform(1, LATENESS_HOURS))
    return listened + timedelta(minutes=rng.uniform(0, 10))


def synthesize(landing: Path, plays_per_day: int) -> dict:
    """Writes the objects of RUN_DATE's window; returns lines, objects and gzipped bytes."""
    rng = random.Random(42)
    users = [str(uuid.UUID(int=rng.getrandbits(128))) for _ in range(max(1000, plays_per_day // 20))]
    tracks = ["TR" + "".join(rng.choices("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", k=16)) for _ in range(10_000)]
    window_start, window_end = RUN_DATE, RUN_DATE + timedelta(days=1, hours=LATENESS_HOURS)
    buckets = {}
    # Plays of D-1, D and D+1: the window holds D's, the late ones of D-1 and the start of D+1.
    for day in (-1, 0, 1):
        for _ in range(plays_per_day):
            listened = RUN_DATE + timedelta(days=day, seconds=rng.uniform(0, 86_400))
            arrival = arrival_of(listened, rng)
            if not window_start <= arrival < window_end:
                continue
            line = LINE.format(uuid.UUID(int=rng.getrandbits(128)), rng.choice(users), rng.choice(tracks),
                               listened.isoformat(timespec="milliseconds"), rng.randrange(0, 400_000),
                               rng.choice(DEVICES))
            if rng.random() < BAD:
                line = line[: rng.randrange(1, len(line))]
            copies = [arrival] + ([arrival + timedelta(minutes=rng.uniform(1, 30))] if rng.random() < DUPLICATE else [])
            for copy in copies:
                if copy < window_end:
                    hour = copy.replace(minute=0, second=0, microsecond=0)
                    buckets.setdefault((hour, copy.minute * OBJECTS_PER_HOUR // 60), []).append(line)
    lines = size = 0
    for (hour, part), bucket in buckets.items():
        rng.shuffle(bucket)
        folder = landing / f"{LANDING_PREFIX}/arrived_on={hour:%Y-%m-%d}/hour={hour:%H}"
        folder.mkdir(parents=True, exist_ok=True)
        data = gzip.compress(("\n".join(bucket) + "\n").encode(), compresslevel=6, mtime=0)
        (folder / f"deftunes-listens-1-{hour:%Y-%m-%d-%H}-{part * 15:02d}-00-{part}.jsonl.gz").write_bytes(data)
        lines, size = lines + len(bucket), size + len(data)
    return {"lines": lines, "objects": len(buckets), "bytes": size}


def read_and_parse_seconds(spark, landing: Path) -> float:
    """The same-run limit: the window's objects read and every line parsed against the landing schema, by
    one Spark job that writes nothing (the floor of any Spark job over these lines on this machine)."""
    from pyspark.sql import functions as F

    paths = window_objects(spark, str(landing), window_of(f"{RUN_DATE:%Y-%m-%d}", LATENESS_HOURS))
    started = time.perf_counter()
    parsed = spark.read.text(paths).select(F.from_json("value", LISTENS_LANDING_SCHEMA).alias("r"))
    # A hash of the whole record: every field is parsed (a count alone lets Spark prune the JSON schema).
    parsed.agg(F.sum(F.xxhash64("r"))).first()
    return time.perf_counter() - started


def main() -> None:
    scales = sys.argv[1:] or ["small"]
    print(f"machine: {os.cpu_count()} CPUs, {cpu_model()}, "
          f"load average {os.getloadavg()[0]:.1f}, Python {platform.python_version()}")
    data_dir = Path(tempfile.mkdtemp(prefix="deftunes-bench-listens-"))
    started = time.perf_counter()
    spark = build_local_spark_session(str(data_dir), str(ROOT / ".jars"), app_name="bench-listens")
    print(f"spark session start: {time.perf_counter() - started:.1f} s (Spark {spark.version}, local[2], "
          f"{spark.conf.get('spark.driver.memory')} driver)")
    for scale in scales:
        plays = SCALES.get(scale) or int(scale)
        landing = data_dir / f"landing-{plays}"
        started = time.perf_counter()
        landed = synthesize(landing, plays)
        print(f"{scale} ({plays:,} plays/day): {landed['lines']:,} lines in the window, {landed['objects']} objects, "
              f"{landed['bytes'] / 2**20:.1f} MiB gzipped (generated in {time.perf_counter() - started:.0f} s)")
        options = options_from_mapping({"run_date": f"{RUN_DATE:%Y-%m-%d}", "landing_path": str(landing),
                                         "warehouse_path": local_paths(str(data_dir))["warehouse"],
                                         "database": f"bench_{plays}", "lateness_hours": LATENESS_HOURS})
        for attempt in ("first run", "re-run"):
            started = time.perf_counter()
            result = run_job(spark, "transform_listens", options)
            seconds = time.perf_counter() - started
            limit = read_and_parse_seconds(spark, landing)
            print(f"  {attempt}: {seconds:.1f} s, {result['read'] / seconds:,.0f} lines/s; read + parse alone "
                  f"{limit:.1f} s, ratio {seconds / limit:.2f}")
            print(f"    "
                  f"({result['written'] / seconds:,.0f} events written/s); written {result['written']:,} "
                  f"(late {result['late']:,}), duplicates {result['duplicates_dropped']:,}, "
                  f"quarantined {result['quarantined']:,}, other dates {result['other_dates']:,}, "
                  f"load average {os.getloadavg()[0]:.1f}")
    spark.stop()
    shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
