"""After a model or extractor upgrade every text is due again; the latest analysis is what the views show."""
import pyarrow as pa

from schemas.tables import ARTICLES, NLP_DOCS
from tasks import pipeline as P
from tasks.catalog import open_catalog, refresh_catalog
from tasks.nlp import Analysis
from tasks.storage import Lake


def seed(lake: Lake) -> None:
    rows = [{"article_id": f"a{i}", "url": f"http://x/{i}", "content_hash": f"c{i}", "text_hash": f"h{i}", "story_id": "s1",
             "text": f"Text number {i}.", "removed": [], "run_id": "r1"} for i in range(3)]
    lake.append(ARTICLES, pa.Table.from_pylist(rows, schema=ARTICLES.schema), partition_values=["2026-11-20"] * 3)
    old = [Analysis(f"h{i}", 3, [{"text": "Old", "norm": "Old", "label": "ORG", "start_char": 0, "end_char": 3}], [])
           for i in range(3)]
    lake.append(NLP_DOCS, P.nlp_table(old, "en_core_web_sm-3.7.0", "nlp-1", "r1"))


def test_a_new_model_makes_every_text_pending_again(tmp_path):
    lake = Lake(str(tmp_path))
    seed(lake)
    assert P.pending_texts(lake, "en_core_web_sm-3.7.0", "nlp-1") == []
    assert [h for h, _, _ in P.pending_texts(lake, "en_core_web_sm-3.8.0", "nlp-1")] == ["h0", "h1", "h2"]
    assert len(P.pending_texts(lake, "en_core_web_sm-3.7.0", "nlp-2")) == 3


def test_views_show_the_latest_analysis_and_its_model(tmp_path):
    lake = Lake(str(tmp_path / "lake"))
    seed(lake)
    new = [Analysis(f"h{i}", 3, [{"text": "New", "norm": "New", "label": "PERSON", "start_char": 0, "end_char": 3}], [])
           for i in range(3)]
    lake.append(NLP_DOCS, P.nlp_table(new, "en_core_web_sm-3.8.0", "nlp-1", "r2"))
    refresh_catalog(lake, str(tmp_path / "news.duckdb"))
    con = open_catalog(str(tmp_path / "news.duckdb"))
    assert con.execute("SELECT DISTINCT text, nlp_run_id FROM entities").fetchall() == [("New", "r2")]
    assert con.execute("SELECT DISTINCT model FROM nlp_docs").fetchall() == [("en_core_web_sm-3.8.0",)]
