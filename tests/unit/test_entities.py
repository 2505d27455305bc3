"""Entity extraction: trimming, normalization and merging within one article."""
from __future__ import annotations

import pytest

from tasks.entities import extract_entities, normalize_name
from tests.unit._nlp import load_english


@pytest.fixture(scope="session")
def nlp():
    return load_english()


def _triples(nlp, text: str) -> list[tuple[str, str, str]]:
    return [(e["text"], e["norm"], e["label"]) for e in extract_entities(nlp(text))]


@pytest.mark.parametrize(
    ("written", "kwargs", "norm"),
    [
        ("Kadhafi’s", {}, "Kadhafi"),
        ("Reuters'", {}, "Reuters"),
        ("the United States", {}, "United States"),
        ("The  European\nUnion", {}, "European Union"),
        ("US", {}, "United States"),
        ("U.S.", {}, "United States"),
        ("UN", {}, "United Nations"),
        ("Mr. Jean Dupont", {}, "Jean Dupont"),
        ("Nattaya “Nat” Srisuk", {}, "Nattaya Srisuk"),
        ("NEW YORK", {"title_case_caps": True}, "New York"),
        ("NATO", {}, "NATO"),
        ("Prime Minister Elena Castaño", {"strip_titles": True}, "Elena Castaño"),
        ("Prime Minister Elena Castaño", {}, "Prime Minister Elena Castaño"),
    ],
)
def test_normalize_name(written, kwargs, norm):
    assert normalize_name(written, **kwargs) == norm


def test_wire_story_entities_are_trimmed_normalized_and_merged(nlp):
    text = (
        "WASHINGTON (AFP) – US envoys met representatives of Moamer Kadhafi’s regime on Saturday. "
        "The United States wants Kadhafi to step down, NATO said."
    )
    got = extract_entities(nlp(text))
    assert [(e["text"], e["norm"], e["label"]) for e in got] == [
        ("WASHINGTON", "Washington", "GPE"),
        ("US", "United States", "GPE"),
        ("Moamer Kadhafi", "Moamer Kadhafi", "PERSON"),
        ("The United States", "United States", "GPE"),
        ("Kadhafi", "Moamer Kadhafi", "PERSON"),
        ("NATO", "NATO", "ORG"),
    ]
    for ent in got:
        assert text[ent["start_char"]:ent["end_char"]] == ent["text"]
    # Neither the agency tag of the dateline nor the date is an entity.
    assert all(e["text"] != "AFP" and e["label"] != "DATE" for e in got)


def test_credit_lines_give_no_entities(nlp):
    text = "Photo: Lena Marsh © AFP\nThe European Union and the UK signed the pact in Brussels on 3 May."
    assert _triples(nlp, text) == [
        ("The European Union", "European Union", "ORG"),
        ("UK", "United Kingdom", "GPE"),
        ("Brussels", "Brussels", "GPE"),
    ]


def test_titles_stay_in_text_but_leave_the_norm(nlp):
    text = "Lawyer Kenji Morimoto spoke in Osaka. Morimoto said the ruling was fair."
    assert _triples(nlp, text) == [
        ("Lawyer Kenji Morimoto", "Kenji Morimoto", "PERSON"),
        ("Osaka", "Osaka", "GPE"),
        ("Morimoto", "Kenji Morimoto", "PERSON"),
    ]


def test_reuters_dateline_place_is_title_cased_and_tag_dropped(nlp):
    text = "NEW YORK (Reuters) - The New York Times reported that Mayor Eric Dunn had resigned."
    assert _triples(nlp, text) == [
        ("NEW YORK", "New York", "GPE"),
        ("The New York Times", "New York Times", "ORG"),
        ("Eric Dunn", "Eric Dunn", "PERSON"),
    ]


def test_empty_text_has_no_entities(nlp):
    assert extract_entities(nlp("")) == []


@pytest.mark.parametrize(
    ("text", "surname", "full"),
    [
        ("U.S. Attorney Walter P. Dunmore Jr. filed the case on Monday. Dunmore said the evidence was strong.",
         "Dunmore", "Walter P. Dunmore Jr."),
        ("The actor Pieter Van Der Hoek won the prize. Van Der Hoek thanked his family.",
         "Van Der Hoek", "Pieter Van Der Hoek"),
    ],
    ids=["generational-suffix", "three-word-surname"],
)
def test_surnames_reach_full_names_with_suffixes_and_particles(nlp, text, surname, full):
    norms = {e["text"]: e["norm"] for e in extract_entities(nlp(text)) if e["label"] == "PERSON"}
    assert norms.get(surname) == full
