"""Iceberg tables of the transform zone: created once, then written one partition at a time."""
from typing import Dict, Sequence

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

TABLE_PROPERTIES = {
    "format-version": "2",
    # Copy-on-write: a delete, update or merge rewrites data files instead of adding delete files, so
    # readers that only list data files (Redshift Spectrum, DuckDB over the listed files) see every change.
    "write.delete.mode": "copy-on-write",
    "write.update.mode": "copy-on-write",
    "write.merge.mode": "copy-on-write",
    # Snappy rather than Iceberg's zstd default: read by every engine we serve (Spectrum, DuckDB, Athena).
    "write.parquet.compression-codec": "snappy",
}


class TableSchemaMismatch(RuntimeError):
    pass


def table_name(catalog: str, database: str, table: str) -> str:
    return f"{catalog}.{database}.{table}"


def _ddl_columns(schema: T.StructType) -> str:
    return ", ".join(f"`{field.name}` {field.dataType.simpleString()}" for field in schema.fields)


def ensure_table(
    spark: SparkSession, catalog: str, database: str, table: str, schema: T.StructType, partition_by: Sequence[str]
) -> str:
    """Creates the namespace and table if missing; fails, naming the differences, if the table's columns
    are not the expected ones (a schema change needs a migration, not a silent cast). Returns its name."""
    spark.sql(f"CREATE NAMESPACE IF NOT EXISTS `{catalog}`.`{database}`")
    name = table_name(catalog, database, table)
    properties = ", ".join(f"'{k}'='{v}'" for k, v in TABLE_PROPERTIES.items())
    spark.sql(
        f"CREATE TABLE IF NOT EXISTS {name} ({_ddl_columns(schema)}) USING iceberg "
        f"PARTITIONED BY ({', '.join(f'`{c}`' for c in partition_by)}) TBLPROPERTIES ({properties})"
    )
    actual = [(f.name, f.dataType.simpleString()) for f in spark.table(name).schema.fields]
    expected = [(f.name, f.dataType.simpleString()) for f in schema.fields]
    if actual != expected:
        raise TableSchemaMismatch(
            f"table {name} has columns {actual}, the job writes {expected}: migrate the table first"
        )
    return name


def replace_partition(df: DataFrame, table: str, partition: Dict[str, object]) -> None:
    """Replaces exactly the rows of ``partition`` (e.g. {"ingest_on": date}) with ``df``, in one commit.

    An overwrite by filter rather than a dynamic partition overwrite: it also empties the partition when
    ``df`` is empty, so a re-run that finds fewer rows never leaves the previous run's rows behind.
    Iceberg checks that every written row matches the filter.
    """
    condition = None
    for column, value in partition.items():
        clause = F.col(column) == F.lit(value)
        condition = clause if condition is None else condition & clause
    df.writeTo(table).overwrite(condition)
