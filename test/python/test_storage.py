"""Small objects through Spark's Hadoop FileSystem (the same calls read s3:// on Glue)."""
import hashlib
import json

from deftunes_glue import storage


def test_join_keeps_the_scheme_and_single_slashes():
    assert storage.join("s3://bucket/", "/api/users/", "x.json") == "s3://bucket/api/users/x.json"
    assert storage.join("/data/landing", "db/songs") == "/data/landing/db/songs"


def test_write_json_replaces_the_document_whole_without_side_files(spark, tmp_path):
    target = tmp_path / "results" / "job" / "ingest_on=2020-02-01.json"
    storage.write_json(spark, str(target), {"read": 1})
    storage.write_json(spark, str(target), {"read": 2, "written": 2})
    assert json.loads(target.read_text()) == {"read": 2, "written": 2}
    assert sorted(p.name for p in target.parent.iterdir()) == [target.name]  # no .crc, no .tmp


def test_exists_size_sha256_and_read_text(spark, tmp_path):
    data = b'{"a": 1}\n' * 1000
    path = tmp_path / "object.bin"
    path.write_bytes(data)
    assert storage.exists(spark, str(path)) and not storage.exists(spark, str(tmp_path / "missing"))
    assert storage.size(spark, str(path)) == len(data)
    assert storage.sha256_hex(spark, str(path)) == hashlib.sha256(data).hexdigest()
    assert storage.read_text(spark, str(path)) == data.decode()
