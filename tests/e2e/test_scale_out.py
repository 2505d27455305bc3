"""More machines: a Dask cluster and an S3 lake give the tables a local run gives; worker loss,
object-store writes, politeness across workers, and one run per lake through a shared Prefect server.

Everything runs on loopback: moto's S3 server, a `dask scheduler` with two `dask worker`
processes, the bundled sample sites, a fault server and a Prefect server.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.daskcluster import LoopbackCluster
from bench.s3server import CountingS3Server
from tests.integration.faultserver import ALL_PATHS, FaultServer, rss_feed, slow, static

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "sample"
BUCKET = "news"


def newsflow(*args: str, env: dict | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flows.cli", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)


def rows(data: Path, query: str, env: dict | None = None) -> list[dict]:
    res = newsflow("sql", "--data", str(data), "--format", "json", query, env=env)
    assert res.returncode == 0, res.stderr
    return [json.loads(line) for line in res.stdout.splitlines()]


# What must be equal between two runs over the same feeds (run ids and fetch times differ).
TABLES = {
    "articles": "SELECT article_id, url, canonical_url, site, content_hash, text_hash, text, story_id, dedup_method, "
                "is_canonical, wire_agency FROM articles ORDER BY article_id",
    "stories": "SELECT story_id, n_articles, n_sites, wire_agency, canonical_article_id FROM stories ORDER BY story_id",
    "entities": "SELECT article_id, text, norm, label, start_char, end_char FROM entities "
                "ORDER BY article_id, start_char, end_char, label",
    "quotes": "SELECT quote_id, article_id, text, speaker, speaker_resolved, cue, kind, start_char, end_char "
              "FROM quotes ORDER BY quote_id",
}


def tables(data: Path, env: dict | None = None) -> dict[str, list[dict]]:
    return {name: rows(data, q, env) for name, q in TABLES.items()}


@pytest.fixture(scope="module")
def s3():
    """(server, environment for newsflow and workers) with bucket `news` on a loopback S3 server."""
    import boto3

    with CountingS3Server() as server:
        env = {"AWS_ENDPOINT_URL": server.endpoint, "AWS_ACCESS_KEY_ID": "testing",
               "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1"}
        boto3.client("s3", endpoint_url=server.endpoint, region_name="us-east-1", aws_access_key_id="testing",
                     aws_secret_access_key="testing").create_bucket(Bucket=BUCKET)
        yield server, env


@pytest.fixture(scope="module")
def base_env(s3, tmp_path_factory):
    """The environment of every newsflow process here: the S3 variables, no inherited newsflow settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSFLOW_", "PREFECT_", "AWS_"))}
    env.update(s3[1], PYTHONPATH=str(ROOT), NEWSFLOW_CACHE=str(tmp_path_factory.mktemp("cache")))
    return env


@pytest.fixture(scope="module")
def cluster(base_env, tmp_path_factory):
    with LoopbackCluster(base_env, tmp_path_factory.mktemp("dask")) as c:
        yield c


@pytest.fixture(scope="module")
def feeds(sample_server, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("feeds") / "feeds.txt"
    path.write_text(sample_server.render((SAMPLE / "feeds.txt").read_text(encoding="utf-8")), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def local_run(feeds, base_env, tmp_path_factory):
    """The sample sites ingested the ordinary way: local lake, local worker processes."""
    data = tmp_path_factory.mktemp("local")
    res = newsflow("ingest", "--feeds", str(feeds), "--data", str(data), "--allow-private", env=base_env)
    assert res.returncode == 0, res.stderr
    return data, tables(data, base_env)


def test_dask_s3_run_gives_the_local_run_tables(local_run, feeds, cluster, s3, base_env, tmp_path):
    server, _ = s3
    server.reset()
    data = tmp_path / "data"
    res = newsflow("ingest", "--feeds", str(feeds), "--data", str(data), "--allow-private",
                   "--lake", f"s3://{BUCKET}/lake-a", "--dask", cluster.address, env=base_env)
    assert res.returncode == 0, res.stderr
    counts = dict(server.counts)
    got = tables(data, base_env)   # `newsflow sql` reads the S3 lake through the catalog's views
    _, want = local_run
    assert len(want["articles"]) == 37 and want["entities"] and want["quotes"]
    for name in TABLES:
        assert got[name] == want[name], name
    # Object-store writes: every file one PUT at its final key; no copies, deletes, multipart
    # uploads, temporaries or directory markers.
    assert counts.get("PUT", 0) > 0
    for kind in ("COPY", "DELETE", "POST multipart", "PUT part"):
        assert counts.get(kind, 0) == 0, (kind, counts)
    import boto3

    s3c = boto3.client("s3", endpoint_url=server.endpoint, region_name="us-east-1", aws_access_key_id="testing",
                       aws_secret_access_key="testing")
    keys = [o["Key"] for page in s3c.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix="lake-a/")
            for o in page.get("Contents", [])]
    assert any(k.startswith("lake-a/articles/") for k in keys) and any(k.startswith("lake-a/raw/") for k in keys)
    assert not [k for k in keys if k.endswith("/") or "/." in k], "directory markers or temporaries in the bucket"
    assert not (data / "lake").exists(), "the run wrote a local lake besides the S3 one"


def test_killed_worker_is_replaced_and_the_tables_are_unchanged(local_run, feeds, cluster, base_env, tmp_path):
    data = tmp_path / "data"
    proc = subprocess.Popen([sys.executable, "-m", "flows.cli", "ingest", "--feeds", str(feeds), "--data", str(data),
                             "--allow-private", "--lake", f"s3://{BUCKET}/lake-b", "--dask", cluster.address],
                            cwd=ROOT, env=base_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    killed: list[int] = []
    try:
        # Kill the worker process that is running a job of the run (the NLP jobs load the model
        # first, which gives a window of seconds), by its pid.
        deadline = time.monotonic() + 300
        while not killed and proc.poll() is None and time.monotonic() < deadline:
            busy = [w for w, keys in cluster.client.processing().items()
                    if any(str(k).startswith(("_work", "fetch_host_pages", "_clean_site")) for k in keys)]
            if busy:
                pids = cluster.client.run(os.getpid, workers=busy[:1])
                for pid in pids.values():
                    os.kill(pid, signal.SIGKILL)
                    killed.append(pid)
            time.sleep(0.05)
        out, err = proc.communicate(timeout=600)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert killed, "the run ended before a worker could be killed"
    assert proc.returncode == 0, err
    cluster.client.wait_for_workers(2, timeout=120)   # the nanny started a replacement
    assert killed[0] not in cluster.client.run(os.getpid).values()
    got = tables(data, base_env)
    _, want = local_run
    for name in TABLES:
        assert got[name] == want[name], name
    dups = rows(data, "SELECT count(*) AS n, count(DISTINCT article_id) AS d FROM articles", base_env)[0]
    assert dups["n"] == dups["d"] == 37


def test_missing_bucket_or_dead_endpoint_is_one_line_before_any_fetch(base_env, tmp_path):
    with FaultServer(routes={}) as server:
        server.routes["/feed.xml"] = static(rss_feed(3), content_type="application/rss+xml")
        feeds = tmp_path / "feeds.txt"
        feeds.write_text(server.url("/feed.xml") + "\n")
        res = newsflow("ingest", "--feeds", str(feeds), "--data", str(tmp_path / "d1"), "--allow-private",
                       "--lake", "s3://no-such-bucket/lake", env=base_env)
        assert res.returncode == 1
        assert res.stderr.strip().splitlines() == [
            "newsflow: LakeUnavailable: cannot use the lake s3://no-such-bucket/lake: bucket 'no-such-bucket' "
            "does not exist (create it first)"]
        dead = {**base_env, "AWS_ENDPOINT_URL": "http://127.0.0.1:9"}
        res = newsflow("ingest", "--feeds", str(feeds), "--data", str(tmp_path / "d2"), "--allow-private",
                       "--lake", f"s3://{BUCKET}/lake", env=dead)
        assert res.returncode == 1
        [line] = res.stderr.strip().splitlines()
        assert line.startswith(f"newsflow: LakeUnavailable: cannot use the lake s3://{BUCKET}/lake: ") and "127.0.0.1:9" in line
        assert server.hits("/feed.xml") == []


def test_unreachable_scheduler_is_one_line(sample_server, base_env, tmp_path):
    feeds = tmp_path / "feeds.txt"
    feeds.write_text(sample_server.render((SAMPLE / "feeds.txt").read_text(encoding="utf-8")), encoding="utf-8")
    res = newsflow("ingest", "--feeds", str(feeds), "--data", str(tmp_path / "d"), "--allow-private",
                   "--dask", "tcp://127.0.0.1:9", env=base_env)
    assert res.returncode == 1
    [line] = res.stderr.strip().splitlines()
    assert line.startswith("newsflow: ClusterUnavailable: cannot reach the Dask scheduler at tcp://127.0.0.1:9")


def test_politeness_holds_across_dask_workers(cluster, base_env, tmp_path):
    """Three feeds and 24 slow pages on one host, fetched by two workers: never more than
    per_host_concurrency (2) requests in flight to that host."""
    with FaultServer(routes={}) as server:
        for f in range(3):
            server.routes[f"/feed{f}.xml"] = static(rss_feed(8, title=f"Feed {f}", path_prefix=f"/f{f}/article/"),
                                                    content_type="application/rss+xml")
            for i in range(8):
                body = (f"<html><head><title>Report {f}-{i}</title></head><body><article><h1>Report {f}-{i}</h1>"
                        + "".join(f"<p>The harbor council met for session {i} of feed {f} and approved new ferry "
                                  f"times for the eastern pier, paragraph {p}.</p>" for p in range(6))
                        + "</article></body></html>").encode()
                server.routes[f"/f{f}/article/{i}"] = slow(0.3, body, content_type="text/html")
        feeds = tmp_path / "feeds.txt"
        feeds.write_text("".join(server.url(f"/feed{f}.xml") + "\n" for f in range(3)))
        res = newsflow("ingest", "--feeds", str(feeds), "--data", str(tmp_path / "d"), "--allow-private",
                       "--dask", cluster.address, env=base_env)
        assert res.returncode == 0, res.stderr
        pages = [r for r in server.requests if "/article/" in r.path]
        assert len({r.path for r in pages}) == 24
        assert server.peak_in_flight(ALL_PATHS) <= 2


def test_failed_pages_are_retried_by_the_host_jobs_into_an_s3_lake(cluster, base_env, tmp_path):
    """Issue #15 on the cluster: a page failing with 500 is retried by its host's job on the next
    run while the feed answers 304, and the queue lives in the S3 lake."""
    from tests.e2e.test_retry import feed, page
    from tests.integration.faultserver import sequence, status

    with FaultServer(routes={}) as server:
        server.routes.update({
            "/herald/feed.xml": static(feed(server.url(""), ("ferry.html",)), content_type="application/rss+xml",
                                       etag='"v1"'),
            "/herald/ferry.html": sequence([status(500), static(page("ferry"), content_type="text/html")]),
        })
        feeds = tmp_path / "feeds.txt"
        feeds.write_text(server.url("/herald/feed.xml") + "\n")
        env = {**base_env, "NEWSFLOW_PAGE_RETRY_BASE_MINUTES": "0"}
        ingest = ("ingest", "--feeds", str(feeds), "--data", str(tmp_path / "d"), "--allow-private",
                  "--lake", f"s3://{BUCKET}/lake-retry", "--dask", cluster.address)
        first = newsflow(*ingest, env=env)
        assert first.returncode == 0, first.stderr
        assert [r["attempts"] for r in rows(tmp_path / "d", "SELECT attempts FROM pending_pages", env)] == [1]
        second = newsflow(*ingest, env=env)
        assert second.returncode == 0, second.stderr
        assert len(server.hits("/herald/ferry.html")) == 2
    assert rows(tmp_path / "d", "SELECT last_status FROM feeds", env) == [{"last_status": "unchanged"}]
    assert [r["title"] for r in rows(tmp_path / "d", "SELECT title FROM articles", env)] == [
        "Ferry timetable changes after the winter storms"]
    assert rows(tmp_path / "d", "SELECT count(*) AS n FROM pending_pages", env) == [{"n": 0}]


@pytest.fixture(scope="module")
def shared_prefect(tmp_path_factory):
    """A Prefect server with its services (the lease repossessor every second), as a shared one would run."""
    from flows.prefect_api import LocalAPI

    home = tmp_path_factory.mktemp("prefect-shared")
    old = os.environ.get("PREFECT_SERVER_SERVICES_REPOSSESSOR_LOOP_SECONDS")
    os.environ["PREFECT_SERVER_SERVICES_REPOSSESSOR_LOOP_SECONDS"] = "1"
    try:
        api = LocalAPI(home, services=True)
    finally:
        if old is None:
            os.environ.pop("PREFECT_SERVER_SERVICES_REPOSSESSOR_LOOP_SECONDS")
        else:
            os.environ["PREFECT_SERVER_SERVICES_REPOSSESSOR_LOOP_SECONDS"] = old
    api.wait(120)
    yield api.url
    api.stop()


HOLD = """
import sys, time
from flows.lock import lake_lock
with lake_lock(sys.argv[1], float(sys.argv[2])):
    print("held", flush=True)
    time.sleep(float(sys.argv[3]))
print("released", flush=True)
"""


def test_one_run_per_lake_through_a_shared_prefect_server(shared_prefect, feeds, base_env, tmp_path):
    env = {**base_env, "PREFECT_API_URL": shared_prefect, "PREFECT_HOME": str(tmp_path / "client-home")}
    lake = f"s3://{BUCKET}/lake-locked"
    holder = subprocess.Popen([sys.executable, "-c", HOLD, lake, "60", "600"], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held", holder.stderr.read()
        # Another machine's run against the same lake (another data directory) is refused at once.
        res = newsflow("ingest", "--feeds", str(feeds), "--data", str(tmp_path / "other"), "--allow-private",
                       "--lake", lake, env=env)
        assert res.returncode == 75, res.stderr
        assert "another newsflow run holds the lake s3://news/lake-locked" in res.stderr
        # A run against another lake is not.
        other = subprocess.run([sys.executable, "-c", HOLD, f"s3://{BUCKET}/lake-free", "60", "0"], cwd=ROOT, env=env,
                               capture_output=True, text=True, timeout=120)
        assert other.stdout.split() == ["held", "released"], other.stderr
    finally:
        holder.send_signal(signal.SIGKILL)   # a crashed holder: its lease is never released
        holder.wait()
    # The lease (60 s, the shortest Prefect grants) runs out and the server frees the slot: the lake is usable again.
    deadline = time.monotonic() + 150
    while True:
        again = subprocess.run([sys.executable, "-c", HOLD, lake, "60", "0"], cwd=ROOT, env=env,
                               capture_output=True, text=True, timeout=120)
        if again.returncode == 0:
            assert again.stdout.split() == ["held", "released"]
            break
        assert "another newsflow run holds the lake" in again.stderr, again.stderr
        assert time.monotonic() < deadline, "the killed holder's slot was never freed"
        time.sleep(1)


def write_warc(path: Path, pages: list[Path]) -> None:
    """A WARC file with one HTML response per sample page (URLs on the page's own made-up site)."""
    import io

    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    with open(path, "wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        for p in pages:
            rel = p.relative_to(SAMPLE / "sites")
            base = f"https://{rel.parts[0]}.example"
            html = p.read_text(encoding="utf-8").replace("{{BASE_URL}}", base)
            headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(f"{base}/{rel.as_posix()}", "response",
                                                          payload=io.BytesIO(html.encode()), http_headers=headers,
                                                          warc_headers_dict={"WARC-Date": "2026-11-22T08:00:00Z"}))


def test_warc_backfill_from_s3_globs_on_the_cluster(cluster, s3, base_env, tmp_path):
    """Two WARC files in S3, named by a glob, one job each on the cluster: the articles a local
    backfill of the same files gives."""
    import boto3

    server, _ = s3
    pages = sorted(p for p in (SAMPLE / "sites").rglob("*.html") if "/2026/" in p.as_posix() and "/amp/" not in
                   p.as_posix())[:8]
    assert len(pages) == 8
    local_files = [tmp_path / "cc-news-1.warc.gz", tmp_path / "cc-news-2.warc.gz"]
    write_warc(local_files[0], pages[:4])
    write_warc(local_files[1], pages[4:])
    s3c = boto3.client("s3", endpoint_url=server.endpoint, region_name="us-east-1", aws_access_key_id="testing",
                       aws_secret_access_key="testing")
    for f in local_files:
        s3c.upload_file(str(f), BUCKET, f"cc/{f.name}")
    local = newsflow("backfill", "--data", str(tmp_path / "local"), "--warc", *map(str, local_files), env=base_env)
    assert local.returncode == 0, local.stderr
    dist = newsflow("backfill", "--data", str(tmp_path / "dask"), "--warc", f"s3://{BUCKET}/cc/cc-news-*.warc.gz",
                    "--lake", f"s3://{BUCKET}/lake-warc", "--dask", cluster.address, env=base_env)
    assert dist.returncode == 0, dist.stderr
    q = "SELECT url, content_hash, story_id, site FROM articles ORDER BY url"
    want = rows(tmp_path / "local", q, base_env)
    assert len(want) == 8
    assert rows(tmp_path / "dask", q, base_env) == want
    feeds = rows(tmp_path / "dask", "SELECT DISTINCT feed_url FROM captures ORDER BY 1", base_env)
    assert [r["feed_url"] for r in feeds] == ["warc:cc-news-1.warc.gz", "warc:cc-news-2.warc.gz"]
