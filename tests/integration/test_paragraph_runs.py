"""The NLP stage: a later run parses only paragraphs no run parsed before, and reads like a fresh analysis."""
from __future__ import annotations

import pyarrow as pa
import pytest

from flows.ingest import analyze
from flows.settings import SettingsError, load_settings
from schemas.tables import ARTICLES
from tasks.nlp import NLP_VERSION
from tasks.paragraphs import analyze_texts
from tasks.storage import Lake
from tests.unit._nlp import load_english
from tests.unit.test_paragraphs import STORY, UPDATE


def add_article(lake: Lake, article_id: str, text: str, story_id: str, run_id: str) -> None:
    row = {"article_id": article_id, "text": text, "text_hash": f"h-{article_id}", "story_id": story_id,
           "run_id": run_id}
    lake.append(ARTICLES, pa.Table.from_pylist([row], schema=ARTICLES.schema), partition_values=["2026-12-01"])


def nlp_rows(lake: Lake) -> dict[str, dict]:
    return {r["text_hash"]: r for r in lake.read_table("nlp_docs").to_pylist()}


def test_a_write_through_parses_its_new_paragraph_only_and_reads_like_a_fresh_analysis(tmp_path):
    settings = load_settings(str(tmp_path), {"n_process": 1})
    lake = Lake(settings.lake_root)
    add_article(lake, "a1", STORY, "s1", "run1")
    first = analyze.fn(lake, settings, "run1", {"en": (None, "model-1")})
    assert (first["texts_analyzed"], first["paragraphs_parsed"], first["paragraphs_reused"]) == (1, 4, 0)

    add_article(lake, "a2", UPDATE, "s1", "run2")   # the agency's update: one paragraph more
    second = analyze.fn(lake, settings, "run2", {"en": (None, "model-1")})
    assert (second["texts_analyzed"], second["paragraphs_parsed"], second["paragraphs_reused"]) == (1, 1, 4)

    rows = nlp_rows(lake)
    want = analyze_texts(load_english(), [("h-a2", UPDATE)])[0]   # fresh: no stored parse
    assert rows["h-a2"]["entities"] == want.entities
    assert rows["h-a2"]["quotes"] == want.quotes
    assert {r["nlp_version"] for r in rows.values()} == {NLP_VERSION}
    assert lake.read_table("nlp_paragraphs").num_rows == 5


def test_an_old_settings_file_with_paragraph_nlp_warns_and_runs(tmp_path):
    (tmp_path / "newsflow.toml").write_text("paragraph_nlp = false\nn_process = 1\n")
    with pytest.warns(UserWarning, match="paragraph_nlp.*ignored.*paragraphs"):
        settings = load_settings(str(tmp_path))
    assert settings.n_process == 1 and not hasattr(settings, "paragraph_nlp")
    (tmp_path / "newsflow.toml").write_text("paragraph_nlpp = true\n")   # a typo is still an error
    with pytest.raises(SettingsError, match="unknown setting 'paragraph_nlpp'"):
        load_settings(str(tmp_path))


FRENCH = ("Le ministre de l'Intérieur, Jean Dumont, a annoncé mardi à Lyon un plan contre les inondations.\n\n"
          "« Nous ne céderons pas », a déclaré Claire Roux, la maire de Marseille, devant le conseil municipal.")


def test_each_language_gets_its_own_model_and_parse_cache(tmp_path):
    settings = load_settings(str(tmp_path), {"n_process": 1})
    lake = Lake(settings.lake_root)
    add_article(lake, "a1", STORY, "s1", "run1")
    row = {"article_id": "f1", "text": FRENCH, "text_hash": "h-f1", "story_id": "s2", "run_id": "run1",
           "language": "fr"}
    lake.append(ARTICLES, pa.Table.from_pylist([row], schema=ARTICLES.schema), partition_values=["2026-12-01"])
    counts = analyze.fn(lake, settings, "run1", {"en": (None, "model-en"), "fr": ("fr_core_news_sm", "model-fr")})
    assert counts["texts_analyzed"] == 2 and counts["texts_by_language"] == {"en": 1, "fr": 1}
    rows = nlp_rows(lake)
    assert (rows["h-a1"]["model"], rows["h-f1"]["model"]) == ("model-en", "model-fr")
    assert "PER" in {e["label"] for e in rows["h-f1"]["entities"]}
    # Each model's parses are cached under its own id.
    assert set(lake.read_table("nlp_paragraphs").column("model").to_pylist()) == {"model-en", "model-fr"}


def test_rounds_of_stories_parse_each_paragraph_once_and_give_the_analyses_of_one_round(tmp_path):
    """The NLP stage reads its texts a round of whole stories at a time (flows.ingest.analyze's
    texts_per_round): a paragraph two rounds share is parsed by the first and read back from the
    cache by the second, a short copy is still mapped from its story's full text, and every text's
    analysis is what one round over all of them gives."""
    short = STORY.split("\n")[0]
    results = {}
    for per_round in (1, 100):
        settings = load_settings(str(tmp_path / str(per_round)), {"n_process": 1})
        lake = Lake(settings.lake_root)
        add_article(lake, "a1", STORY, "s1", "run1")
        add_article(lake, "a1c", short, "s1", "run1")      # a copy cut to its first paragraph
        add_article(lake, "a2", UPDATE, "s2", "run1")      # shares four paragraphs with s1's text
        counts = analyze.fn(lake, settings, "run1", {"en": (None, "model-1")}, texts_per_round=per_round)
        rows = nlp_rows(lake)
        results[per_round] = (counts, {h: (r["entities"], r["quotes"], r["derived_from"]) for h, r in rows.items()})
    (rounds, by_round), (one, by_one) = results[1], results[100]
    assert (rounds["texts_analyzed"], rounds["texts_mapped"], rounds["paragraphs_parsed"]) == (2, 1, 5)
    assert (rounds["paragraphs_reused"], one["paragraphs_reused"]) == (4, 0)
    assert (one["texts_analyzed"], one["texts_mapped"], one["paragraphs_parsed"]) == (2, 1, 5)
    assert by_round == by_one and by_round["h-a1c"][2] == "h-a1"
