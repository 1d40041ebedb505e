"""The local toolchain matches AWS Glue 5.0, so what passes here behaves the same when deployed."""
import hashlib
import pathlib
import sys

import pyspark

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_python_and_spark_match_glue_5():
    assert sys.version_info[:2] == (3, 11)
    assert pyspark.__version__ == "3.5.4"


def test_jars_are_present_and_match_the_lock():
    for line in (ROOT / "jars.lock").read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        coordinate, sha256 = line.split()
        _, artifact, version = coordinate.split(":")
        jar = ROOT / ".jars" / f"{artifact}-{version}.jar"
        assert jar.is_file(), f"{jar} is missing: run npm run setup"
        assert hashlib.sha256(jar.read_bytes()).hexdigest() == sha256, f"{jar} does not match jars.lock"
