"""Texts analysed through their paragraphs' parses: the same mentions as the whole text, each paragraph parsed once."""
import concurrent.futures as cf

import pytest

from tasks.nlp import analyze_docs
from tasks.paragraphs import (AssemblyError, ParagraphStats, analyze_by_paragraph, assemble, paragraph_key,
                              paragraphs_of, paragraphs_table, parse_paragraphs, plan_jobs, split_paragraphs,
                              stored_parses)
from tasks.storage import Lake
from tests.unit._nlp import load_english
from tasks.paragraphs import PARAGRAPHS

# Fictional wire copy: a quote over two paragraphs, a pronoun speaker resolved from an earlier
# paragraph, a lone surname pointing at the full name given two paragraphs before.
STORY = ("OSLO (Reuters) - Fishing crews in northern Norway stayed in port on Tuesday after a storm "
         "damaged the harbour at Tromsvik, the coast guard said.\n"
         "\u201cWe have never seen waves like these,\u201d said harbour master Ingrid Solheim. \u201cThe "
         "breakwater is gone.\n"
         "\u201cIt will take months to rebuild,\u201d she added.\n"
         "Solheim said the town had asked the government in Oslo for emergency funds.")
UPDATE = STORY + "\nThe Norwegian Fisheries Ministry said it would send engineers on Wednesday."


def whole(nlp, key, text):
    return analyze_docs(nlp, [(key, text)])[0]


def test_paragraphs_are_the_runs_between_line_breaks():
    text = "One.\n\nTwo two.\nThree\n"
    assert [text[s:e] for s, e in split_paragraphs(text)] == ["One.", "Two two.", "Three"]
    assert split_paragraphs("") == [] and split_paragraphs("\n\n") == []


def test_assembled_text_has_the_mentions_of_the_whole_text():
    nlp = load_english()
    parses = parse_paragraphs(nlp, list(paragraphs_of(UPDATE)))
    doc = assemble(nlp.vocab, UPDATE, parses)
    assert doc.text == UPDATE
    from tasks.paragraphs import analyse_doc

    got, want = analyse_doc("u", doc), whole(nlp, "u", UPDATE)
    assert got.entities == want.entities and got.quotes == want.quotes and got.n_words == want.n_words
    # The document-level steps ran on the assembled text: a quote over two paragraphs, "she"
    # resolved from the paragraph before, "Solheim" merged with the full name.
    texts = {q["text"]: q for q in got.quotes}
    assert "The breakwater is gone.\nIt will take months to rebuild" in texts
    assert texts["The breakwater is gone.\nIt will take months to rebuild"]["speaker_resolved"] == "Ingrid Solheim"
    assert {e["norm"] for e in got.entities if e["text"] == "Solheim"} == {"Ingrid Solheim"}


def test_a_missing_parse_is_an_error_naming_the_paragraph():
    nlp = load_english()
    parses = parse_paragraphs(nlp, list(paragraphs_of(STORY)))
    with pytest.raises(AssemblyError, match="Norwegian Fisheries"):
        assemble(nlp.vocab, UPDATE, parses)


def test_each_new_paragraph_goes_to_one_job_and_cached_ones_to_none():
    a, b = "Alpha one two.", "Beta three four."
    texts = [("t1", f"{a}\n{b}"), ("t2", f"{b}\nGamma five."), ("t3", f"{a}\nDelta six.")]
    jobs, deferred = plan_jobs(texts, cached={paragraph_key(a)}, chunk_words=1)
    parsed = [p for j in jobs for p in j.parse]
    assert sorted(parsed) == sorted([b, "Gamma five.", "Delta six."])   # a is cached, b parsed once
    # t2 needs b, which the first job parses: it waits for that job instead of parsing b again.
    assert [k for k, _ in deferred] == ["t2"]
    assert [k for j in jobs for k, _ in j.texts] == ["t1", "t3"]


def test_a_second_run_parses_only_the_new_paragraph_and_gets_the_same_analysis():
    nlp = load_english()
    store: dict[str, bytes] = {}
    first = ParagraphStats()
    got1 = {a.key: a for a in analyze_by_paragraph([("s", STORY)], lambda keys: {k: store[k] for k in keys if k in store},
                                                    on_parsed=store.update, stats=first)}
    assert first.paragraphs_parsed == 4 and first.paragraphs_cached == 0
    second = ParagraphStats()
    # A worker pool of threads: jobs go through the executor as they would to processes.
    with cf.ThreadPoolExecutor(2) as pool:
        got2 = {a.key: a for a in analyze_by_paragraph([("s", STORY), ("u", UPDATE)],
                                                        lambda keys: {k: store[k] for k in keys if k in store},
                                                        on_parsed=store.update, stats=second, pool=pool)}
    assert second.paragraphs_parsed == 1 and second.paragraphs_cached == 4
    assert got2["s"].entities == got1["s"].entities and got2["s"].quotes == got1["s"].quotes
    want = whole(nlp, "u", UPDATE)
    assert got2["u"].entities == want.entities and got2["u"].quotes == want.quotes


def test_parses_round_trip_through_the_lake_per_model_and_version(tmp_path):
    nlp = load_english()
    lake = Lake(str(tmp_path / "lake"))
    parses = parse_paragraphs(nlp, list(paragraphs_of(STORY)))
    lake.append(PARAGRAPHS, paragraphs_table(parses, "m-1", "nlp-2", "run1"), name="run1")
    keys = set(parses) | {paragraph_key("never stored")}
    assert stored_parses(lake, keys, "m-1", "nlp-2") == parses
    assert stored_parses(lake, keys, "m-2", "nlp-2") == {}
    assert stored_parses(lake, keys, "m-1", "nlp-3") == {}
    assert stored_parses(Lake(str(tmp_path / "empty")), keys, "m-1", "nlp-2") == {}
