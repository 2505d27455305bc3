import os

import pyarrow as pa

from schemas.tables import TABLES
from schemas.views import VIEWS
from tasks.catalog import open_catalog, refresh_catalog
from tasks.storage import Lake

ARTICLE = {"article_id": "a1", "url": "http://x/1", "canonical_url": "http://x/1", "site": "x", "feed_url": "http://x/feed",
           "title": "T", "text": "GENEVA (AFP) - Words here.", "removed": ["© AFP"], "word_count": 5, "content_hash": "h1",
           "story_id": "s1", "wire_agency_detected": "AFP", "run_id": "r"}


def test_every_view_exists_and_is_typed_before_any_data(tmp_path):
    lake = Lake(str(tmp_path / "lake"))
    refresh_catalog(lake, str(tmp_path / "news.duckdb"))
    con = open_catalog(str(tmp_path / "news.duckdb"))
    for view in VIEWS:
        assert con.execute(f"SELECT count(*) FROM {view}").fetchone() == (0,)
    cols = {r[0]: r[1] for r in con.execute("DESCRIBE articles").fetchall()}
    assert cols["published_at"] == "TIMESTAMP WITH TIME ZONE"
    assert cols["removed"] == "VARCHAR[]"


def test_views_work_from_any_current_directory(tmp_path, monkeypatch):
    lake = Lake(str(tmp_path / "lake"))
    spec = TABLES["articles"]
    lake.append(spec, pa.Table.from_pylist([ARTICLE], schema=spec.schema), partition_values=["2026-11-20"])
    refresh_catalog(lake, str(tmp_path / "news.duckdb"))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    con = open_catalog(str(tmp_path / "news.duckdb"))
    row = con.execute("SELECT story_id, wire_agency, is_canonical, published_date::VARCHAR FROM articles").fetchone()
    assert row == ("s1", "AFP", True, "2026-11-20")
    assert con.execute("SELECT n_articles, sites FROM stories").fetchone() == (1, ["x"])


def test_catalog_is_read_only(tmp_path):
    lake = Lake(str(tmp_path / "lake"))
    refresh_catalog(lake, str(tmp_path / "news.duckdb"))
    con = open_catalog(str(tmp_path / "news.duckdb"))
    try:
        con.execute("CREATE TABLE x (a INT)")
    except Exception as e:  # duckdb raises InvalidInputException for writes on read-only files
        assert "read-only" in str(e)
    else:
        raise AssertionError("write succeeded on a read-only catalog")
    assert not [f for f in os.listdir(tmp_path) if f.endswith(".tmp")]


def test_story_entities_counts_articles_and_mentions_per_story(tmp_path):
    from datetime import datetime, timezone

    lake = Lake(str(tmp_path / "lake"))
    spec = TABLES["articles"]

    def art(aid: str, story: str, text_hash: str, day: int) -> dict:
        return {**ARTICLE, "article_id": aid, "story_id": story, "text_hash": text_hash,
                "published_at": datetime(2026, 11, day, 9, tzinfo=timezone.utc)}

    # Two copies of one text and a third copy with another text in story s1; one article in s2.
    rows = [art("a1", "s1", "t1", 20), art("a2", "s1", "t1", 21), art("a3", "s1", "t2", 22), art("b1", "s2", "t3", 23)]
    lake.append(spec, pa.Table.from_pylist(rows, schema=spec.schema), partition_values=["2026-11-20"] * 4)

    def ent(norm: str, label: str = "GPE") -> dict:
        return {"text": norm, "norm": norm, "label": label, "start_char": 0, "end_char": len(norm)}

    docs = [{"text_hash": "t1", "entities": [ent("Geneva"), ent("Geneva"), ent("WHO", "ORG")], "run_id": "r"},
            {"text_hash": "t2", "entities": [ent("Geneva")], "run_id": "r"},
            {"text_hash": "t3", "entities": [ent("Geneva")], "run_id": "r"}]
    nlp = TABLES["nlp_docs"]
    lake.append(nlp, pa.Table.from_pylist(docs, schema=nlp.schema), name="r")
    refresh_catalog(lake, str(tmp_path / "news.duckdb"))
    con = open_catalog(str(tmp_path / "news.duckdb"))
    got = con.execute("SELECT story_id, entity, label, n_articles, n_mentions, day(first_seen_at) "
                      "FROM story_entities ORDER BY ALL").fetchall()
    assert got == [("s1", "Geneva", "GPE", 3, 2, 20), ("s1", "WHO", "ORG", 2, 1, 20), ("s2", "Geneva", "GPE", 1, 1, 23)]


def test_a_refresh_removes_the_temporaries_of_dead_builds_only(tmp_path):
    import subprocess
    import sys

    lake = Lake(str(tmp_path / "lake"))
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()   # its pid now names no process
    left = [tmp_path / f".news.duckdb.{dead.pid}.0a1b.tmp", tmp_path / f".news.duckdb.{dead.pid}.0a1b.tmp.wal"]
    live = tmp_path / f".news.duckdb.{os.getpid()}.2c3d.tmp"   # a build going on in a live process
    for p in [*left, live]:
        p.write_bytes(b"partial")
    refresh_catalog(lake, str(tmp_path / "news.duckdb"))
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["lake", "news.duckdb", live.name])
