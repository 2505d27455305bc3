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


def _mention(norm: str, label: str, start: int) -> dict:
    return {"text": norm, "norm": norm, "label": label, "start_char": start, "end_char": start + len(norm),
            "label_std": "PERSON" if label == "PERSON" else "LOC"}


def test_entity_counts_count_each_norm_and_label_once_in_order_of_first_mention():
    from tasks.nlp import entity_counts

    mentions = [_mention("Mirela Vos", "PERSON", 0), _mention("Port Kessel", "GPE", 30),
                _mention("Mirela Vos", "PERSON", 60), _mention("Port Kessel", "ORG", 90),
                {"text": "it", "norm": None, "label": "GPE", "start_char": 99, "end_char": 101}]
    assert entity_counts(mentions) == [{"norm": "Mirela Vos", "label": "PERSON", "n": 2},
                                       {"norm": "Port Kessel", "label": "GPE", "n": 1},
                                       {"norm": "Port Kessel", "label": "ORG", "n": 1},
                                       {"norm": None, "label": "GPE", "n": 1}]
    assert entity_counts([]) == []


def test_story_entities_read_stored_counts_and_count_rows_written_before_them_the_same(tmp_path):
    """Texts analysed by this release (entity_counts stored), by an older one (files without the
    column) and re-analysed by a later run: story_entities counts each text's latest mentions."""
    import pyarrow.parquet as pq

    from tasks.nlp import Analysis
    from tasks.pipeline import nlp_table

    lake = Lake(str(tmp_path / "lake"))
    spec = TABLES["articles"]
    rows = [{**ARTICLE, "article_id": aid, "story_id": story, "text_hash": th, "run_id": "r1"}
            for aid, story, th in [("a1", "s1", "t1"), ("a2", "s1", "t1"), ("a3", "s1", "t2"), ("b1", "s2", "t3")]]
    lake.append(spec, pa.Table.from_pylist(rows, schema=spec.schema), partition_values=["2026-11-20"] * 4)
    vos, kessel, harbour = (_mention("Mirela Vos", "PERSON", 0), _mention("Port Kessel", "GPE", 40),
                            _mention("Kessel Harbour Board", "ORG", 80))
    t1 = Analysis("t1", 90, [vos, kessel, vos, harbour])
    t2 = Analysis("t2", 40, [kessel])
    t3_old, t3_new = Analysis("t3", 60, [harbour]), Analysis("t3", 60, [vos, vos, vos])
    written = nlp_table([t1], "en_core_web_sm-3.8.0", "nlp-5", "r1")
    assert written.column("entity_counts").to_pylist() == [[
        {"norm": "Mirela Vos", "label": "PERSON", "n": 2}, {"norm": "Port Kessel", "label": "GPE", "n": 1},
        {"norm": "Kessel Harbour Board", "label": "ORG", "n": 1}]]
    lake.append(TABLES["nlp_docs"], written)
    # t2 and the first analysis of t3 as an older release wrote them: no entity_counts column.
    old = nlp_table([t2, t3_old], "en_core_web_sm-3.8.0", "nlp-4", "r1").drop_columns(["entity_counts"])
    pq.write_table(old, tmp_path / "lake" / "nlp_docs" / "older-release.parquet")
    lake.append(TABLES["nlp_docs"], nlp_table([t3_new], "en_core_web_sm-3.8.0", "nlp-5", "r2"))   # re-analysed
    refresh_catalog(lake, str(tmp_path / "news.duckdb"))
    con = open_catalog(str(tmp_path / "news.duckdb"))
    got = con.execute("SELECT story_id, entity, label, n_articles, n_mentions FROM story_entities ORDER BY ALL").fetchall()
    assert got == [("s1", "Kessel Harbour Board", "ORG", 2, 1), ("s1", "Mirela Vos", "PERSON", 2, 2),
                   ("s1", "Port Kessel", "GPE", 3, 1), ("s2", "Mirela Vos", "PERSON", 1, 3)]
    assert [d[1] for d in con.execute("DESCRIBE story_entities").fetchall()] == [
        "VARCHAR", "VARCHAR", "VARCHAR", "BIGINT", "BIGINT", "TIMESTAMP WITH TIME ZONE"]
    # nlp_docs shows each text's latest analysis, without the stored counts.
    assert con.execute("SELECT text_hash, run_id, n_entities FROM nlp_docs ORDER BY 1").fetchall() == [
        ("t1", "r1", 4), ("t2", "r1", 1), ("t3", "r2", 3)]
    assert "entity_counts" not in [d[0] for d in con.execute("DESCRIBE nlp_docs").fetchall()]


def test_the_canonical_copy_is_the_one_with_fewer_removed_lines_in_its_latest_version(tmp_path):
    lake = Lake(str(tmp_path / "lake"))
    spec = TABLES["articles"]
    text = "KESSEL (AFP) - The harbour board met on Tuesday."

    def copy(aid: str, removed: list[str], run: str) -> dict:
        return {**ARTICLE, "article_id": aid, "text": text, "word_count": 9, "removed": removed, "run_id": run}

    first = [copy("k1", ["Share this article"], "r1"), copy("k2", ["Share this article", "Read more: ferries"], "r1")]
    lake.append(spec, pa.Table.from_pylist(first, schema=spec.schema), partition_values=["2026-11-20"] * 2)
    refresh_catalog(lake, str(tmp_path / "news.duckdb"))
    query = "SELECT article_id FROM articles WHERE is_canonical"
    assert open_catalog(str(tmp_path / "news.duckdb")).execute(query).fetchall() == [("k1",)]
    # A later run re-derives k1 with a longer wrapper: k2 now lost fewer lines.
    again = [copy("k1", ["Share this article", "Subscribe", "Follow us"], "r2")]
    lake.append(spec, pa.Table.from_pylist(again, schema=spec.schema), partition_values=["2026-11-20"])
    refresh_catalog(lake, str(tmp_path / "news.duckdb"))
    con = open_catalog(str(tmp_path / "news.duckdb"))
    assert con.execute(query).fetchall() == [("k2",)]
    assert con.execute("SELECT article_id, len(removed) FROM articles ORDER BY 1").fetchall() == [("k1", 3), ("k2", 2)]


def test_story_quotes_merge_a_quote_over_copies_by_its_folded_words(tmp_path):
    from tasks.nlp import Analysis
    from tasks.pipeline import nlp_table

    lake = Lake(str(tmp_path / "lake"))
    spec = TABLES["articles"]
    rows = [{**ARTICLE, "article_id": aid, "site": site, "story_id": "s1", "text_hash": th, "run_id": "r1"}
            for aid, site, th in [("k1", "kessel-post.example", "t1"), ("k2", "harbour-news.example", "t2"),
                                  ("k3", "harbour-news.example", "t3")]]
    lake.append(spec, pa.Table.from_pylist(rows, schema=spec.schema), partition_values=["2026-11-20"] * 3)

    def quote(text: str, speaker: str | None) -> dict:
        return {"text": text, "speaker": speaker, "speaker_resolved": speaker, "speaker_entity": speaker,
                "speaker_kind": "person" if speaker else "unknown", "cue": "say", "kind": "direct",
                "start_char": 0, "end_char": len(text)}

    ferry = [Analysis("t1", 40, [], [quote("The ferry will run again in May", "Mirela Vos")]),
             Analysis("t2", 40, [], [quote("The ferry will run again in May.", "Mirela Vos")]),
             Analysis("t3", 40, [], [quote("the ferry will run AGAIN in May", None),
                                     quote("Tolls stay as they are", "Kessel Harbour Board")])]
    lake.append(TABLES["nlp_docs"], nlp_table(ferry, "en_core_web_sm-3.8.0", "nlp-5", "r1"))
    refresh_catalog(lake, str(tmp_path / "news.duckdb"))
    con = open_catalog(str(tmp_path / "news.duckdb"))
    got = con.execute("SELECT quote_key, text, speaker_resolved, speaker_kind, n_articles, n_sites "
                      "FROM story_quotes ORDER BY quote_key").fetchall()
    assert got == [("the ferry will run again in may", "The ferry will run again in May.", "Mirela Vos", "person", 3, 2),
                   ("tolls stay as they are", "Tolls stay as they are", "Kessel Harbour Board", "person", 1, 1)]
