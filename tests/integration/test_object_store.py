"""The lake, raw captures, the catalog and WARC globs on an S3 server (moto on loopback), request by request."""
from __future__ import annotations

import gzip
import io
from datetime import datetime, timezone

import pyarrow as pa
import pytest

from bench.s3server import CountingS3Server
from schemas.tables import RUNS
from tasks.catalog import catalog_lake_root, open_catalog, refresh_catalog
from tasks.raw import get_raw, put_raw
from tasks.storage import LakeUnavailable

BUCKET = "lake-bucket"


@pytest.fixture(scope="module")
def s3():
    import boto3

    with CountingS3Server() as server:
        boto3.client("s3", endpoint_url=server.endpoint, region_name="us-east-1", aws_access_key_id="testing",
                     aws_secret_access_key="testing").create_bucket(Bucket=BUCKET)
        yield server


@pytest.fixture
def aws_env(s3, monkeypatch):
    for k in ("AWS_ENDPOINT_URL_S3", "AWS_PROFILE", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3.endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    s3.reset()
    return s3


def run_row(run_id: str) -> pa.Table:
    return pa.Table.from_pylist([{"run_id": run_id, "flow": "ingest", "status": "ok",
                                  "started_at": datetime(2026, 11, 20, tzinfo=timezone.utc)}], schema=RUNS.schema)


def test_every_write_is_one_put_at_its_final_key(aws_env, tmp_path):
    from flows.objectstore import open_lake

    lake = open_lake(f"s3://{BUCKET}/t1")
    lake.check()
    aws_env.reset()
    lake.append(RUNS, run_row("r1"), name="r1")
    sha = put_raw(lake, b"<html>page</html>")
    assert dict(aws_env.counts) == {"PUT": 2}
    assert aws_env.keys_written == [f"/{BUCKET}/t1/runs/r1.parquet",
                                    f"/{BUCKET}/t1/raw/{sha[:2]}/{sha[2:4]}/{sha}.gz"]
    assert get_raw(lake, sha) == b"<html>page</html>"
    assert lake.read_table("runs", schema=RUNS.schema).column("run_id").to_pylist() == ["r1"]
    assert lake.list_files("") == ["raw/" + f"{sha[:2]}/{sha[2:4]}/{sha}.gz", "runs/r1.parquet"]


def test_a_second_reader_sees_new_files_at_once(aws_env):
    """Listings are not cached: files another machine writes show up in the next read."""
    from flows.objectstore import open_lake

    reader, writer = open_lake(f"s3://{BUCKET}/t2"), open_lake(f"s3://{BUCKET}/t2")
    writer.append(RUNS, run_row("a"), name="a")
    assert reader.read_table("runs", schema=RUNS.schema).num_rows == 1
    writer.append(RUNS, run_row("b"), name="b")
    assert sorted(reader.read_table("runs", schema=RUNS.schema).column("run_id").to_pylist()) == ["a", "b"]


def test_a_missing_bucket_is_named(aws_env):
    from flows.objectstore import open_lake

    with pytest.raises(LakeUnavailable, match=r"^cannot use the lake s3://no-bucket/x: bucket 'no-bucket' does not exist"):
        open_lake("s3://no-bucket/x").check()


def test_the_catalog_reads_the_object_store_lake(aws_env, tmp_path):
    from flows.objectstore import open_lake, register_lake_filesystem

    lake = open_lake(f"s3://{BUCKET}/t3")
    lake.append(RUNS, run_row("r9"), name="r9")
    db = str(tmp_path / "news.duckdb")
    refresh_catalog(lake, db)
    con = open_catalog(db)
    try:
        assert catalog_lake_root(con) == f"s3://{BUCKET}/t3"
        register_lake_filesystem(con, catalog_lake_root(con))
        assert con.execute("SELECT run_id, status FROM runs").fetchall() == [("r9", "ok")]
    finally:
        con.close()


def test_warc_globs_on_s3_and_disk(aws_env, tmp_path):
    import boto3

    from flows.backfill import resolve_warc_paths

    c = boto3.client("s3", endpoint_url=aws_env.endpoint, region_name="us-east-1", aws_access_key_id="testing",
                     aws_secret_access_key="testing")
    for name in ("cc/news-2.warc.gz", "cc/news-1.warc.gz", "cc/other.txt"):
        c.put_object(Bucket=BUCKET, Key=name, Body=gzip.compress(b"x"))
    for name in ("b.warc", "a.warc"):
        (tmp_path / name).write_bytes(b"x")
    got = resolve_warc_paths([f"s3://{BUCKET}/cc/news-*.warc.gz", str(tmp_path / "*.warc")])
    assert got == [f"s3://{BUCKET}/cc/news-1.warc.gz", f"s3://{BUCKET}/cc/news-2.warc.gz",
                   str(tmp_path / "a.warc"), str(tmp_path / "b.warc")]
    with pytest.raises(FileNotFoundError, match=r"^no WARC file matches s3://lake-bucket/cc/none-\*$"):
        resolve_warc_paths([f"s3://{BUCKET}/cc/none-*"])
    with pytest.raises(FileNotFoundError, match="^no WARC file matches "):
        resolve_warc_paths([str(tmp_path / "missing.warc")])


def test_a_warc_on_s3_is_imported_by_a_job(aws_env, tmp_path):
    from warcio.warcwriter import WARCWriter
    from warcio.statusandheaders import StatusAndHeaders

    from flows.objectstore import open_lake, s3_filesystem
    from tasks import pipeline as P

    buf = io.BytesIO()
    writer = WARCWriter(buf, gzip=True)
    html = (b"<html><head><title>Ferry times change</title></head><body><article><h1>Ferry times change</h1>"
            + b"".join(b"<p>The harbor council approved new ferry times for the eastern pier on Tuesday, "
                       b"after a long debate about the winter timetable, part %d.</p>" % i for i in range(5))
            + b"</article></body></html>")
    rec = writer.create_warc_record("https://www.harbor-gazette.example/2026/11/20/ferry", "response",
                                    payload=io.BytesIO(html),
                                    http_headers=StatusAndHeaders("200 OK", [("Content-Type", "text/html")],
                                                                  protocol="HTTP/1.1"),
                                    warc_headers_dict={"WARC-Date": "2026-11-20T10:00:00Z"})
    writer.write_record(rec)
    fs = s3_filesystem()
    fs.pipe(f"{BUCKET}/warcs/one.warc.gz", buf.getvalue())
    lake = open_lake(f"s3://{BUCKET}/t4")
    work = P.import_warc(lake, f"s3://{BUCKET}/warcs/one.warc.gz", lambda: datetime.now(timezone.utc), fs.open)
    [art] = work.results
    assert art.url == "https://www.harbor-gazette.example/2026/11/20/ferry"
    assert "eastern pier" in P.unpack_text(art.text) and art.published_at.isoformat().startswith("2026-11-20")
    [cap] = work.captures
    assert cap["feed_url"] == "warc:one.warc.gz" and get_raw(lake, cap["sha256"]) == html
