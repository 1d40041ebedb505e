"""The local stand-in for a Glue job's Spark: one small SparkSession with the ``glue_catalog`` catalog as
an Iceberg JDBC catalog on SQLite, and the Iceberg and SQLite jars from a local folder (never the network).

Not used on AWS, where Glue provides the session and its catalog (see glue-scripts/README.md).
"""
import os
import sys
from pathlib import Path
from typing import Dict, Optional

from pyspark.sql import SparkSession

from deftunes_glue.options import DEFAULT_CATALOG

REQUIRED_JARS = ("iceberg-spark-runtime-3.5_2.12-1.7.1.jar", "sqlite-jdbc-3.50.3.0.jar")


class LocalSparkSetupError(RuntimeError):
    pass


def local_paths(data_dir: str) -> Dict[str, str]:
    """The same layout as lib/local/data-dir.ts (test/contracts/platform-names.test.ts compares the two)."""
    root = os.path.abspath(data_dir)
    transform = os.path.join(root, "transform")
    return {
        "root": root,
        "landing": os.path.join(root, "landing"),
        "transform": transform,
        "warehouse": os.path.join(transform, "warehouse"),
        "catalog": os.path.join(transform, "catalog.sqlite"),
    }


def find_jars(jars_dir: str) -> list:
    jars = [os.path.join(os.path.abspath(jars_dir), name) for name in REQUIRED_JARS]
    missing = [jar for jar in jars if not os.path.isfile(jar)]
    if missing:
        raise LocalSparkSetupError(f"Spark jars missing: {', '.join(missing)}; run npm run setup")
    return jars


def local_spark_conf(data_dir: str, jars_dir: str, catalog: str = DEFAULT_CATALOG, cores: int = 2,
                     driver_memory: str = "1g") -> Dict[str, str]:
    paths = local_paths(data_dir)
    prefix = f"spark.sql.catalog.{catalog}"
    utc = "-Duser.timezone=UTC"
    return {
        "spark.master": f"local[{cores}]",
        "spark.jars": ",".join(find_jars(jars_dir)),
        "spark.driver.memory": driver_memory,
        "spark.driver.host": "127.0.0.1",
        "spark.driver.bindAddress": "127.0.0.1",
        "spark.driver.extraJavaOptions": utc,
        "spark.executor.extraJavaOptions": utc,
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.shuffle.partitions": str(cores),
        # Lists a read's files on the driver: above the default 32 paths Spark lists them with a Spark job of
        # a task per path, and transform_listens reads about 144 objects (local files, listed in a blink).
        "spark.sql.sources.parallelPartitionDiscovery.threshold": "1024",
        "spark.default.parallelism": str(cores),
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.warehouse.dir": os.path.join(paths["transform"], "spark-warehouse"),
        "spark.sql.extensions": "org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions",
        prefix: "org.apache.iceberg.spark.SparkCatalog",
        f"{prefix}.catalog-impl": "org.apache.iceberg.jdbc.JdbcCatalog",
        f"{prefix}.uri": f"jdbc:sqlite:{paths['catalog']}",
        f"{prefix}.warehouse": paths["warehouse"],
        # V1 catalog tables (with view support); set on a new catalog it also silences the migration warning.
        f"{prefix}.jdbc.schema-version": "V1",
        # Passed to the SQLite driver: wait for a lock rather than fail at once. Two processes committing to
        # one catalog still fail (SQLITE_BUSY on lock upgrade): the local runner allows one per data dir.
        f"{prefix}.jdbc.busy_timeout": "10000",
    }


def remember_py4j_lookups() -> None:
    """Makes the driver's lookups of JVM packages, classes and static methods by name one Py4J round trip
    the first time and none after.

    Py4J asks the JVM on every lookup: ``F.col(...)`` finds ``org.apache.spark.sql.functions`` and then its
    ``col`` (two round trips on a local socket) before the call itself, ``Window.partitionBy`` walks
    ``org.apache.spark.sql.expressions.Window`` a segment at a time. A job builds its expressions with
    thousands of such calls, and on this shared 2-core machine each round trip waits for the scheduler: they
    were most of a small job's time (bench/README.md, A local day at small: tuning). A package, a class or
    a method found by name stays the same for the life of the JVM, so the lookup object keeps it; a static
    field's value (which may change) and a failed lookup are never kept. Local only: Glue runs PySpark as
    it is.
    """
    from py4j.java_gateway import JavaClass, JavaMember, JavaPackage, JVMView

    def remembering(lookup, kept_types):
        def remembered_lookup(self, name):
            found = lookup(self, name)
            if isinstance(found, kept_types):
                self.__dict__[name] = found  # found by ordinary attribute access from now on
            return found

        remembered_lookup.remembers = True
        return remembered_lookup

    for owner, kept_types in (
        (JVMView, (JavaPackage, JavaClass)),
        (JavaPackage, (JavaPackage, JavaClass)),
        (JavaClass, (JavaClass, JavaMember)),
    ):
        if not getattr(owner.__getattr__, "remembers", False):
            owner.__getattr__ = remembering(owner.__getattr__, kept_types)


def build_local_spark_session(data_dir: str, jars_dir: str, app_name: str = "deftunes-local",
                              cores: int = 2, driver_memory: Optional[str] = None,
                              extra_conf: Optional[Dict[str, str]] = None) -> SparkSession:
    """Starts (or returns the running) local session; the data directory's transform folder is created.
    ``extra_conf`` overrides or adds settings (the benchmarks compare settings, or turn the event log on)."""
    conf = local_spark_conf(
        data_dir, jars_dir, cores=cores,
        driver_memory=driver_memory or os.environ.get("DEFTUNES_SPARK_DRIVER_MEMORY", "1g"),
    )
    conf.update(extra_conf or {})
    Path(local_paths(data_dir)["warehouse"]).mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.appName(app_name)
    for key, value in conf.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    remember_py4j_lookups()
    spark.sparkContext.setLogLevel(os.environ.get("DEFTUNES_SPARK_LOG_LEVEL", "WARN"))
    return spark
