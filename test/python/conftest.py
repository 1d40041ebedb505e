"""One local SparkSession (one JVM) for the whole pytest session, with the local Iceberg catalog."""
import pathlib
import uuid

import pytest

from local_session import build_local_spark_session

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def spark_data_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("spark-data")


@pytest.fixture(scope="session")
def spark(spark_data_dir):
    session = build_local_spark_session(str(spark_data_dir), str(ROOT / ".jars"), app_name="deftunes-pytest")
    yield session
    session.stop()


@pytest.fixture
def database():
    """A fresh transform database per test: tests share the catalog, never tables."""
    return f"t_{uuid.uuid4().hex[:12]}"
