"""Quote extraction: every quote shape, distractors, speaker resolution (real spaCy model)."""
from __future__ import annotations

import pytest

from tasks.quotes import CUE_LEMMA, extract_quotes
from tests.unit._nlp import load_english


@pytest.fixture(scope="session")
def nlp():
    return load_english()


def _quotes(nlp, text: str) -> list[dict]:
    return extract_quotes(nlp(text))


def _span(text: str, quote: str) -> tuple[int, int]:
    start = text.index(quote)
    return start, start + len(quote)


SAID_AFTER = "“We will rebuild the bridge before winter,” Mayor Ana Ruiz said on Monday."
SAID_COLON = "Mayor Ana Ruiz said: “We will rebuild the bridge before winter.”"
SAID_INVERTED = "“We will rebuild the bridge before winter,” said Mayor Ana Ruiz."
TOLD_PAREN = "“We will rebuild the bridge before winter” (Ana Ruiz told AFP)."
ACCORDING = "“We will rebuild the bridge before winter,” according to Mayor Ana Ruiz."
STRAIGHT = '"We will rebuild the bridge before winter," Mayor Ana Ruiz said.'
GUILLEMETS = "« We will rebuild the bridge before winter », Mayor Ana Ruiz said."
PARTIAL = "Mayor Ana Ruiz said the plan was “the only sensible option” for the town."


@pytest.mark.parametrize(
    ("text", "quote", "speaker", "cue", "kind"),
    [
        (SAID_AFTER, "We will rebuild the bridge before winter", "Mayor Ana Ruiz", "say", "direct"),
        (SAID_COLON, "We will rebuild the bridge before winter.", "Mayor Ana Ruiz", "say", "direct"),
        (SAID_INVERTED, "We will rebuild the bridge before winter", "Mayor Ana Ruiz", "say", "direct"),
        (TOLD_PAREN, "We will rebuild the bridge before winter", "Ana Ruiz", "tell", "direct"),
        (ACCORDING, "We will rebuild the bridge before winter", "Mayor Ana Ruiz", "according to", "direct"),
        (STRAIGHT, "We will rebuild the bridge before winter", "Mayor Ana Ruiz", "say", "direct"),
        (GUILLEMETS, "We will rebuild the bridge before winter", "Mayor Ana Ruiz", "say", "direct"),
        (PARTIAL, "the only sensible option", "Mayor Ana Ruiz", "say", "partial"),
    ],
    ids=["said-after", "said-colon", "said-inverted", "told-paren", "according-to", "straight", "guillemets", "partial"],
)
def test_quote_shapes(nlp, text, quote, speaker, cue, kind):
    start, end = _span(text, quote)
    assert _quotes(nlp, text) == [
        {
            "text": quote,
            "speaker": speaker,
            "speaker_resolved": "Ana Ruiz",
            "speaker_entity": None,
            "cue": cue,
            "kind": kind,
            "start_char": start,
            "end_char": end,
        }
    ]


def test_quote_split_around_attribution(nlp):
    text = "“The lava is slow,” volcanologist Anna Berg said, “but it will not stop soon.”"
    got = _quotes(nlp, text)
    assert [(q["text"], q["speaker"], q["speaker_resolved"], q["kind"]) for q in got] == [
        ("The lava is slow", "volcanologist Anna Berg", "Anna Berg", "direct"),
        ("but it will not stop soon.", "volcanologist Anna Berg", "Anna Berg", "direct"),
    ]


def test_quote_spanning_paragraphs_drops_the_reopening_mark(nlp):
    text = (
        "Mayor Ana Ruiz spoke to residents.\n"
        "“The bridge will be ready in May. The budget is approved.\n"
        "“Nobody will pay more tax,” she said."
    )
    start = text.index("The bridge")
    end = text.index(" tax") + len(" tax")
    assert _quotes(nlp, text) == [
        {
            "text": "The bridge will be ready in May. The budget is approved.\nNobody will pay more tax",
            "speaker": "she",
            "speaker_resolved": "Ana Ruiz",
            "speaker_entity": None,
            "cue": "say",
            "kind": "direct",
            "start_char": start,
            "end_char": end,
        }
    ]


def test_follow_on_quote_keeps_the_previous_speaker(nlp):
    text = (
        "Rescue chief Tomas Brandl spoke after the flood.\n"
        "“We saved 200 people today,” Brandl said.\n"
        "“Tomorrow we start on the northern villages.”"
    )
    got = _quotes(nlp, text)
    assert [(q["text"], q["speaker"], q["speaker_resolved"], q["speaker_entity"]) for q in got] == [
        ("We saved 200 people today", "Brandl", "Tomas Brandl", "Tomas Brandl"),
        ("Tomorrow we start on the northern villages.", "Brandl", "Tomas Brandl", "Tomas Brandl"),
    ]
    for q in got:
        assert text[q["start_char"]:q["end_char"]] == q["text"]


@pytest.mark.parametrize(
    "text",
    [
        "The town, nicknamed “Little Venice,” voted on Sunday.",
        "Pupils read the novel “The Grey River” in school, the teacher said.",
        "The so-called “reform” failed, the minister said.",
        "Ruiz said the “experts” were wrong.",
        "Fans packed the cinema for “Night Harbour,” which opened on Friday.",
        "Former activist Nattaya “Nat” Srisuk said the count was flawed.",
        "Locals still call the old bridge “the grey lady.”",
    ],
    ids=["nickname-place", "book-title", "so-called", "scare-word", "film-title", "nickname-person", "naming"],
)
def test_titles_nicknames_and_scare_quotes_are_not_quotes(nlp, text):
    assert _quotes(nlp, text) == []


def test_wire_story_speakers_resolve_like_the_syndicated_original(nlp):
    # Fictional twin of a real AFP story: a described official, "the official", "she",
    # then a second official identified by a relative clause.
    text = (
        "GENEVA (AFP) – Envoys from Norland met rebel leaders over the weekend and urged them to join talks, "
        "a Norland official said Monday.\n"
        "Norland diplomats “delivered a clear message that the fighting must stop,” the Norland official said "
        "on condition of anonymity.\n"
        "“This was not a negotiation. It was a warning,” the official said.\n"
        "“We do not plan to meet them again,” she said.\n"
        "Another Norland official, who was traveling with Foreign Minister Petra Lund in Oslo, said the rebels "
        "had asked for more time.\n"
        "The rebels agreed that the talks were “a useful first contact,” said the Norland official who was "
        "traveling with Lund."
    )
    got = _quotes(nlp, text)
    assert [(q["text"], q["speaker"], q["speaker_resolved"], q["kind"]) for q in got] == [
        ("delivered a clear message that the fighting must stop", "the Norland official", "a Norland official", "partial"),
        ("This was not a negotiation. It was a warning", "the official", "a Norland official", "direct"),
        ("We do not plan to meet them again", "she", "a Norland official", "direct"),
        ("a useful first contact", "the Norland official who was traveling with Lund",
         "the Norland official who was traveling with Lund", "partial"),
    ]


def test_pronouns_follow_known_gender(nlp):
    text = (
        "Farm union spokeswoman Maria Okafor said tariffs were ruining growers.\n"
        "Trade minister Daniel Weber said he would review them.\n"
        "“Next year is too late,” she said.\n"
        "“It is the fastest we can go,” he said."
    )
    got = _quotes(nlp, text)
    assert [(q["speaker"], q["speaker_resolved"]) for q in got] == [
        ("she", "Maria Okafor"),
        ("he", "Daniel Weber"),
    ]


def test_name_in_appositive_resolves_the_description(nlp):
    text = "The chief negotiator for Vardia, Helene Sarrot, told AFP: “We came with maps and figures.”"
    (quote,) = _quotes(nlp, text)
    assert (quote["speaker"], quote["speaker_resolved"], quote["speaker_entity"], quote["cue"]) == (
        "The chief negotiator for Vardia", "Helene Sarrot", "Helene Sarrot", "tell",
    )


def test_short_description_resolves_to_earlier_one(nlp):
    text = (
        "The health ministry said in a statement: “The outbreak is under control.”\n"
        "“Schools will reopen on Monday,” the ministry said."
    )
    got = _quotes(nlp, text)
    assert [(q["speaker"], q["speaker_resolved"]) for q in got] == [
        ("The health ministry", "The health ministry"),
        ("the ministry", "The health ministry"),
    ]


def test_no_marks_no_quotes(nlp):
    assert _quotes(nlp, "") == []
    assert _quotes(nlp, "The minister said the talks would resume on Friday.") == []


@pytest.mark.parametrize(("form", "lemma"), [("said", "say"), ("told", "tell"), ("adds", "add"), ("wrote", "write")])
def test_cue_lemmas_come_from_the_table_not_the_lemmatizer(form, lemma):
    assert CUE_LEMMA[form] == lemma


def _eval_module():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "bench" / "quotes_eval.py"
    spec = importlib.util.spec_from_file_location("quotes_eval", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_gold_set_is_valid_and_in_sync_with_its_sources():
    ev = _eval_module()
    records = ev.load_gold()  # re-checks text[start:end] == quote for every quote
    rebuilt = [r for split, path in ev.SOURCES.items() for r in ev.parse_source(path, split)]
    assert records == rebuilt, "gold.jsonl is stale: run bench/quotes_eval.py --build-gold"
    assert len(records) >= 40


def test_gold_set_meets_the_quality_targets(nlp):
    ev = _eval_module()
    metrics = ev.evaluate(ev.load_gold(), nlp, show_errors=False)["all"]
    assert metrics["precision"] >= 0.92
    assert metrics["recall"] >= 0.88
    assert metrics["speaker_resolved_acc"] >= 0.90


@pytest.mark.parametrize(
    ("gold", "pred", "expected"),
    [((0, 10), (0, 10), 1.0), ((0, 10), (0, 8), 0.8), ((0, 10), (0, 20), 0.5), ((0, 10), (10, 20), 0.0)],
)
def test_overlap_is_shared_chars_over_longer_span(gold, pred, expected):
    assert _eval_module().overlap(gold, pred) == expected


def test_guillemets_keep_an_inner_curly_quote(nlp):
    text = "« We told them “never again” and we meant it », union leader Paul Roux said."
    (quote,) = _quotes(nlp, text)
    assert (quote["text"], quote["speaker"], quote["speaker_resolved"]) == (
        "We told them “never again” and we meant it", "union leader Paul Roux", "Paul Roux",
    )


def test_french_copy_does_not_break_the_extractor(nlp):
    # No French model yet: French attributions are not recognised, but nothing is invented.
    assert _quotes(nlp, "« Le ministre a dit “non” hier soir », a déclaré Jean Martin.") == []


def test_precomputed_entities_give_the_same_result(nlp):
    from tasks.entities import extract_entities

    doc = nlp(SAID_AFTER)
    assert extract_quotes(doc, extract_entities(doc)) == extract_quotes(doc)
