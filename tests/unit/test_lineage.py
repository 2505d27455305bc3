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
    assert P.pending_texts(lake, {"en": "en_core_web_sm-3.7.0"}, "nlp-1") == ({}, {})
    todo, _ = P.pending_texts(lake, {"en": "en_core_web_sm-3.8.0"}, "nlp-1")
    assert todo["en"] == [("h0", "s1"), ("h1", "s1"), ("h2", "s1")]
    assert len(P.pending_texts(lake, {"en": "en_core_web_sm-3.7.0"}, "nlp-2")[0]["en"]) == 3


def test_texts_go_to_the_model_of_their_language_and_others_are_counted(tmp_path):
    lake = Lake(str(tmp_path))
    rows = [{"article_id": f"a{i}", "url": f"http://x/{i}", "content_hash": f"c{i}", "text_hash": f"h{i}",
             "story_id": f"s{i}", "text": f"Text {i}.", "removed": [], "run_id": "r1", "language": lang}
            for i, lang in enumerate(["fr", "en", None, "de", "fr", "en-US"])]
    lake.append(ARTICLES, pa.Table.from_pylist(rows, schema=ARTICLES.schema), partition_values=["2026-11-20"] * 6)
    lake.append(NLP_DOCS, P.nlp_table([Analysis("h4", 2)], "fr_core_news_sm-3.8.0", "nlp-3", "r1"))
    todo, without = P.pending_texts(lake, {"en": "en_core_web_sm-3.8.0", "fr": "fr_core_news_sm-3.8.0"}, "nlp-3")
    # h4 is analysed already; h2 has no language and goes to English; German has no model; h5
    # was stored by an older release with the code as declared ("en-US") and is English.
    assert {lang: [h for h, _ in items] for lang, items in todo.items()} == {"fr": ["h0"], "en": ["h1", "h2", "h5"]}
    assert without == {"de": 1}


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


def test_later_copies_are_never_mapped_onto_a_text_whose_analysis_failed(tmp_path):
    lake = Lake(str(tmp_path))
    seed(lake)   # h0, h1, h2 of story s1
    done = [Analysis("h0", 3, [{"text": "Text", "norm": "Text", "label": "ORG", "start_char": 0, "end_char": 4}], []),
            Analysis("h1", 0, error="IndexError: list index out of range")]
    lake.append(NLP_DOCS, P.nlp_table(done, "en_core_web_sm-3.8.0", "nlp-5", "r2"))
    sources, analyses = P.analysed_sources(lake, {"s1"}, "en_core_web_sm-3.8.0", "nlp-5")
    assert [h for h, _ in sources["s1"]] == ["h0"] and set(analyses) == {"h0"}
    # The failed text is not retried by later runs of this NLP version: it is recorded, not pending.
    todo, _ = P.pending_texts(lake, {"en": "en_core_web_sm-3.8.0"}, "nlp-5")
    assert [h for h, _ in todo["en"]] == ["h2"]


def test_pending_texts_come_in_rounds_of_whole_stories():
    items = [("h1", "s2"), ("h2", "s1"), ("h3", "s2"), ("h4", "s3"), ("h5", "s2"), ("h6", "s4")]
    rounds = list(P.story_rounds(items, max_texts=2))
    # s1 alone (s2 would make it 4), s2 whole although it is larger than a round, then s3 and s4.
    assert rounds == [[("h2", "s1")], [("h1", "s2"), ("h3", "s2"), ("h5", "s2")], [("h4", "s3"), ("h6", "s4")]]
    assert list(P.story_rounds(items, max_texts=100)) == [sorted(items, key=lambda hs: hs[1])]
