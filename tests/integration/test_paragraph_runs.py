"""The NLP stage with the paragraph_nlp setting: a later run parses only paragraphs no run parsed before."""
from __future__ import annotations

import pyarrow as pa

from flows.ingest import analyze
from flows.settings import load_settings
from schemas.tables import ARTICLES
from tasks.nlp import analyze_docs
from tasks.storage import Lake
from tests.unit._nlp import load_english
from tests.unit.test_paragraphs import STORY, UPDATE


def add_article(lake: Lake, article_id: str, text: str, story_id: str, run_id: str) -> None:
    row = {"article_id": article_id, "text": text, "text_hash": f"h-{article_id}", "story_id": story_id,
           "run_id": run_id}
    lake.append(ARTICLES, pa.Table.from_pylist([row], schema=ARTICLES.schema), partition_values=["2026-12-01"])


def nlp_rows(lake: Lake) -> dict[str, dict]:
    return {r["text_hash"]: r for r in lake.read_table("nlp_docs").to_pylist()}


def test_a_write_through_parses_its_new_paragraph_only_and_reads_like_the_whole_text(tmp_path):
    settings = load_settings(str(tmp_path), {"paragraph_nlp": True, "n_process": 1})
    lake = Lake(settings.lake_root)
    add_article(lake, "a1", STORY, "s1", "run1")
    first = analyze.fn(lake, settings, "run1", "model-1")
    assert (first["texts_analyzed"], first["paragraphs_parsed"], first["paragraphs_reused"]) == (1, 4, 0)

    add_article(lake, "a2", UPDATE, "s1", "run2")   # the agency's update: one paragraph more
    second = analyze.fn(lake, settings, "run2", "model-1")
    assert (second["texts_analyzed"], second["paragraphs_parsed"], second["paragraphs_reused"]) == (1, 1, 4)

    rows = nlp_rows(lake)
    want = analyze_docs(load_english(), [("h-a2", UPDATE)])[0]
    assert rows["h-a2"]["entities"] == want.entities
    assert rows["h-a2"]["quotes"] == want.quotes
    # Analyses made through paragraphs say so: switching the setting analyses the texts again.
    assert {r["nlp_version"] for r in rows.values()} == {"nlp-2+paragraphs"}
    assert lake.read_table("nlp_paragraphs").num_rows == 5


def test_without_the_setting_texts_are_analysed_whole_and_no_parse_is_kept(tmp_path):
    settings = load_settings(str(tmp_path), {"n_process": 1})
    lake = Lake(settings.lake_root)
    add_article(lake, "a1", STORY, "s1", "run1")
    counts = analyze.fn(lake, settings, "run1", "model-1")
    assert (counts["texts_analyzed"], counts["paragraphs_parsed"]) == (1, 0)
    assert {r["nlp_version"] for r in nlp_rows(lake).values()} == {"nlp-2"}
    assert lake.read_table("nlp_paragraphs") is None
