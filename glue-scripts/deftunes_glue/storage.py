"""Small objects (manifests, job results) through Spark's own Hadoop FileSystem.

The same calls read ``s3://`` on Glue (EMRFS/S3A, with the job role) and plain paths locally, so the job
needs no boto3 and no second set of credentials.
"""
import json
from typing import Any, Dict, List, Tuple
from urllib.parse import urlparse

from pyspark.sql import SparkSession


def join(base: str, *parts: str) -> str:
    """Joins path segments with '/', keeping the base's scheme (``s3://bucket/x`` or ``/local/x``)."""
    path = base.rstrip("/")
    for part in parts:
        path = f"{path}/{part.strip('/')}"
    return path


class _JvmHandles:
    """The Hadoop ``Path`` class and the FileSystem of each scheme and authority, looked up once per
    SparkContext: a lookup by name (``_jvm.org.apache.hadoop.fs.Path``) costs a Py4J round trip per name
    segment, and a job checks and lists dozens of paths."""

    def __init__(self) -> None:
        self.context = None
        self.path_class = None
        self.filesystems: Dict[Tuple[str, str], Any] = {}

    def for_context(self, spark: SparkSession) -> "_JvmHandles":
        if self.context is not spark.sparkContext:
            self.context = spark.sparkContext
            self.path_class = spark.sparkContext._jvm.org.apache.hadoop.fs.Path
            self.filesystems = {}
        return self


_HANDLES = _JvmHandles()


def _filesystem(spark: SparkSession, path: str):
    handles = _HANDLES.for_context(spark)
    hadoop_path = handles.path_class(path)
    parsed = urlparse(path)
    key = (parsed.scheme, parsed.netloc)
    fs = handles.filesystems.get(key)
    if fs is None:
        fs = hadoop_path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
        # The local filesystem is checksummed: it would leave a .crc file beside every object we write.
        if fs.getUri().getScheme() == "file":
            try:
                fs = fs.getRawFileSystem()
            except Exception:  # noqa: BLE001 - a local filesystem without checksums already
                pass
        handles.filesystems[key] = fs
    return fs, hadoop_path


def exists(spark: SparkSession, path: str) -> bool:
    fs, hadoop_path = _filesystem(spark, path)
    return bool(fs.exists(hadoop_path))


def list_files(spark: SparkSession, folder: str) -> List[str]:
    """The objects directly under ``folder``, sorted; none when it does not exist (an S3 prefix without
    objects does not). Hidden names (``.``, ``_``) are skipped, as Spark skips them when it lists a folder."""
    fs, hadoop_path = _filesystem(spark, folder)
    if not fs.exists(hadoop_path):
        return []
    return sorted(
        str(status.getPath().toString())
        for status in fs.listStatus(hadoop_path)
        if status.isFile() and not status.getPath().getName().startswith((".", "_"))
    )


def size(spark: SparkSession, path: str) -> int:
    fs, hadoop_path = _filesystem(spark, path)
    return int(fs.getFileStatus(hadoop_path).getLen())


def sha256_hex(spark: SparkSession, path: str) -> str:
    """SHA-256 of the stored bytes, computed in the JVM (streamed, never held whole in Python)."""
    fs, hadoop_path = _filesystem(spark, path)
    stream = fs.open(hadoop_path)
    try:
        return str(spark.sparkContext._jvm.org.apache.commons.codec.digest.DigestUtils.sha256Hex(stream))
    finally:
        stream.close()


def read_text(spark: SparkSession, path: str) -> str:
    fs, hadoop_path = _filesystem(spark, path)
    stream = fs.open(hadoop_path)
    try:
        return bytes(spark.sparkContext._jvm.org.apache.commons.io.IOUtils.toByteArray(stream)).decode("utf-8")
    finally:
        stream.close()


def write_json(spark: SparkSession, path: str, document: Any) -> None:
    """Writes a small JSON document, replacing any at ``path``.

    On S3 the object appears whole when the stream closes; on a local disk it is written beside and
    renamed into place, so a reader never sees half a document.
    """
    data = bytearray((json.dumps(document, indent=2, sort_keys=True) + "\n").encode("utf-8"))
    fs, hadoop_path = _filesystem(spark, path)
    is_local = fs.getUri().getScheme() == "file"
    target = _HANDLES.for_context(spark).path_class(path + ".tmp") if is_local else hadoop_path
    if is_local:
        # Object stores need no folders; EMRFS would write folder markers outside the job's own prefix.
        fs.mkdirs(hadoop_path.getParent())
    out = fs.create(target, True)
    try:
        out.write(data)
    finally:
        out.close()
    if is_local:
        fs.delete(hadoop_path, False)
        if not fs.rename(target, hadoop_path):
            raise IOError(f"could not move {target} to {path}")
