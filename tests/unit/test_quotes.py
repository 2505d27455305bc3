"""Quote extraction: every quote shape, distractors, speaker resolution (real spaCy model)."""
from __future__ import annotations

import json

import pytest

from tasks.quotes import extract_quotes
from tests.unit._cpu import least_cpu as _cpu
from tests.unit._nlp import load_english


@pytest.fixture(scope="session")
def nlp():
    return load_english()


def _quotes(nlp, text: str, entities: list[dict] | None = None) -> list[dict]:
    """Direct and partial quotes (the words in quote marks) only; `entities`: NER's output, as given."""
    return [q for q in extract_quotes(nlp(text), entities) if q["kind"] != "indirect"]


def _reported(nlp, text: str) -> list[dict]:
    """Indirect (reported) speech only."""
    return [q for q in extract_quotes(nlp(text)) if q["kind"] == "indirect"]


def _span(text: str, quote: str) -> tuple[int, int]:
    start = text.index(quote)
    return start, start + len(quote)


def _entity(text: str, name: str, label: str, norm: str | None = None, *, last: bool = False) -> dict:
    """An entity row for `name` (its first or last occurrence in `text`), as tasks.entities gives it."""
    at = text.rindex(name) if last else text.index(name)
    return {"text": name, "norm": norm or name, "label": label, "label_std": label, "start_char": at,
            "end_char": at + len(name)}


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
            "speaker_kind": "person",
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
            "speaker_kind": "person",
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
        "The farmer was diagnosed with what's called “thresher's cough,” a type of lung irritation.",
        "After playing “Down By the Harbour Wall,” the band's drummer told the crowd it was their last show.",
    ],
    ids=["nickname-place", "book-title", "so-called", "scare-word", "film-title", "nickname-person", "naming",
         "passive-naming", "title-mid-sentence"],
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


@pytest.mark.parametrize(("form", "lemma"), [
    ("said", "say"), ("says", "say"), ("told reporters", "tell"), ("tells reporters", "tell"), ("adds", "add"),
    ("added", "add"), ("wrote", "write"), ("writes", "write"), ("replied", "reply"), ("cried", "cry"),
    ("denied", "deny"), ("quipped", "quip"), ("texted", "text"), ("admitted", "admit"), ("insisted", "insist"),
])
def test_a_cue_form_gives_its_lemma_without_the_lemmatizer(nlp, form, lemma):
    assert "lemmatizer" not in nlp.pipe_names   # as in production: the lemma cannot come from spaCy
    text = f"“The bridge will reopen in March,” Mayor Ana Ruiz {form}."
    got = _one(nlp, text)
    assert (got["text"], got["speaker"], got["cue"]) == ("The bridge will reopen in March", "Mayor Ana Ruiz", lemma)


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
    fictional = [{k: v for k, v in r.items() if k not in ("set", "lang")} for r in records if r["set"] == "fictional"]
    rebuilt = [r for split, path in ev.SOURCES.items() for r in ev.parse_source(path, split)]
    assert fictional == rebuilt, "gold.jsonl is stale: run bench/quotes_eval.py --build-gold"
    assert len(fictional) >= 40
    texts = {}
    for line in ev.REAL_ARTICLES.read_text(encoding="utf-8").splitlines():
        art = json.loads(line)
        texts[art["id"]] = art
    real = [{k: v for k, v in r.items() if k not in ("set", "lang")} for r in records if r["set"] == "real"]
    rebuilt_real = [r for path in sorted(ev.REAL.glob("annotations_*.txt")) for r in ev.parse_real(path, texts)]
    assert real == rebuilt_real, "real/gold.jsonl is stale: run bench/quotes_eval.py --build-gold"
    split = json.loads(ev.REAL_SPLIT.read_text(encoding="utf-8"))
    assert sorted(r["id"] for r in real) == sorted(a["id"] for a in split)
    assert len(real) >= 80 and {r["split"] for r in real} == {"tune", "heldout", "fresh"}
    fresh = [r for r in real if r["split"] == "fresh"]
    assert len(fresh) == 20 and all(q["kind"] != "indirect" for r in fresh for q in r["quotes"])
    french = [{k: v for k, v in r.items() if k not in ("set", "lang", "split")} for r in records if r["set"] == "french"]
    assert french == [{k: v for k, v in r.items() if k != "split"} for path in ev.FR_SOURCES
                      for r in ev.parse_source(path, "")], "fr/gold.jsonl is stale: run bench/quotes_eval.py --build-gold"
    split = json.loads(ev.FR_SPLIT.read_text(encoding="utf-8"))
    assert sorted(i for name in ev.FR_SPLITS for i in split[name]) == sorted(r["id"] for r in french)
    assert len(french) >= 30 and sum(len(r["quotes"]) for r in french) >= 90


def test_real_gold_annotation_errors_name_the_article(tmp_path):
    ev = _eval_module()
    bad = tmp_path / "annotations_x.txt"
    bad.write_text("### a1\nQ | not in the text | X | X | direct | person | say\n", encoding="utf-8")
    with pytest.raises(ev.GoldFormatError, match="a1: span 'not in the text' not found"):
        ev.parse_real(bad, {"a1": {"url": "u", "split": "tune", "text": "“Something else,” X said."}})


def test_splits_without_reported_speech_score_no_indirect_task(nlp, tmp_path):
    # The fresh split has no reported-speech annotation: an I line there is an error, and the
    # extractor's indirect spans there are not scored (they would all count as false alarms).
    ev = _eval_module()
    text = "The mayor said the bridge would reopen in May. “It is safe,” she said."
    art = {"a1": {"url": "u", "split": "fresh", "text": text}}
    bad = tmp_path / "annotations_x.txt"
    bad.write_text("### a1\nI | the bridge would reopen in May | The mayor | mayor | indirect | person | say\n",
                   encoding="utf-8")
    with pytest.raises(ev.GoldFormatError, match="a1: split fresh is annotated without reported speech"):
        ev.parse_real(bad, art)
    good = tmp_path / "annotations_y.txt"
    good.write_text("### a1\nQ | It is safe | she | mayor | direct | person | say\n", encoding="utf-8")
    records = [dict(r, set="real", lang="en") for r in ev.parse_real(good, art)]
    metrics = ev.evaluate(records, {"en": nlp})
    assert ("real", "fresh", "indirect") not in metrics
    assert metrics[("real", "fresh", "quotes")]["gold"] == 1


def test_fictional_gold_set_meets_the_quality_targets(nlp):
    ev = _eval_module()
    records = [r for r in ev.load_gold() if r["set"] == "fictional"]
    metrics = ev.evaluate(records, {"en": nlp})[("fictional", "all", "quotes")]
    assert metrics["precision"] >= 0.92
    assert metrics["recall"] >= 0.88
    assert metrics["speaker_resolved_acc"] >= 0.90


@pytest.mark.slow
def test_real_gold_set_does_not_fall_below_the_measured_numbers(nlp):
    # Floors a little under the measured numbers (README): a guard against regressions, not
    # the targets themselves.
    ev = _eval_module()
    # The tune and held-out floors were measured on those two splits together, so the fresh split
    # (first run P .978 R .854 speaker .841) has floors of its own.
    records = [r for r in ev.load_gold() if r["set"] == "real"]
    metrics = ev.evaluate([r for r in records if r["split"] in ("tune", "heldout")], {"en": nlp})
    quotes, indirect = metrics[("real", "all", "quotes")], metrics[("real", "all", "indirect")]
    assert quotes["precision"] >= 0.94 and quotes["recall"] >= 0.91
    assert quotes["speaker_resolved_acc"] >= 0.87
    assert indirect["precision"] >= 0.75 and indirect["recall"] >= 0.65
    fresh = ev.evaluate([r for r in records if r["split"] == "fresh"], {"en": nlp})[("real", "fresh", "quotes")]
    assert fresh["precision"] >= 0.95 and fresh["recall"] >= 0.83
    assert fresh["speaker_resolved_acc"] >= 0.82


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


# Shapes of real copy (issue #14); every line below is written for these tests.


def _one(nlp, text: str) -> dict:
    (quote,) = _quotes(nlp, text)
    return quote


@pytest.mark.parametrize(
    ("text", "quote", "speaker", "cue"),
    [
        ("“Nobody was fired for speaking up,” the ministry pushed back in a reply on Friday.",
         "Nobody was fired for speaking up", "the ministry", "push"),
        ("“Our members will strike on Monday,” union leader Karin Holm texted.",
         "Our members will strike on Monday", "union leader Karin Holm", "text"),
        ("“We will not sell,” farmer Ida Lund lamented at the hearing.", "We will not sell", "farmer Ida Lund", "lament"),
    ],
    ids=["verb-from-the-parse", "texted", "lamented"],
)
def test_cue_verbs_beyond_the_old_table(nlp, text, quote, speaker, cue):
    got = _one(nlp, text)
    assert (got["text"], got["speaker"], got["cue"], got["kind"]) == (quote, speaker, cue, "direct")


def test_speaker_with_a_long_appositive_before_said(nlp):
    text = ("“The river has never been this low,” Inga Sorel, a hydrologist who has measured the Tarn for "
            "three decades at the regional water authority, said in a statement.")
    got = _one(nlp, text)
    assert (got["speaker"], got["speaker_resolved"], got["speaker_kind"]) == ("Inga Sorel", "Inga Sorel", "person")


@pytest.mark.parametrize(
    ("text", "quote", "speaker"),
    [
        ("Selling the stadium, the club's owner said, would “free money for the academy” within two seasons.",
         "free money for the academy", "the club's owner"),
        ("The coach issued a statement saying she did “not accept those results and will appeal them.”",
         "not accept those results and will appeal them", "The coach"),
        ("Calling the bypass “the best thing this valley has seen in fifty years,” Governor Ruth Amsel cut the "
         "ribbon on Monday.", "the best thing this valley has seen in fifty years", "Governor Ruth Amsel"),
    ],
    ids=["parenthetical-said", "statement-saying", "calling-it"],
)
def test_partial_quotes_inside_reported_speech(nlp, text, quote, speaker):
    got = _one(nlp, text)
    assert (got["text"], got["speaker"], got["kind"]) == (quote, speaker, "partial")


def test_quote_after_a_blank_line_inherits_the_speaker(nlp):
    text = "“We will fix every pothole by spring,” the mayor told residents on Tuesday.\n\n“Every single one.”"
    assert [(q["text"], q["speaker"]) for q in _quotes(nlp, text)] == [
        ("We will fix every pothole by spring", "the mayor"), ("Every single one.", "the mayor"),
    ]


def test_quote_over_paragraphs_separated_by_blank_lines(nlp):
    text = ("Deputy mayor Lena Koss wrote to the council on Monday.\n\n"
            "“The budget is short by four million. We cannot open the pool this summer.\n\n"
            "“I am sorry to write this,” she wrote.")
    got = _one(nlp, text)
    assert got["text"] == "The budget is short by four million. We cannot open the pool this summer.\n\nI am sorry to write this"
    assert (got["speaker_resolved"], got["cue"]) == ("Lena Koss", "write")


def test_header_in_quote_marks_is_not_a_quote(nlp):
    text = ("“We saved 200 people today,” rescue chief Tomas Brandl said.\n\n"
            "“A long night in the valley”\n\nThe rain stopped at dawn.")
    assert [q["text"] for q in _quotes(nlp, text)] == ["We saved 200 people today"]


@pytest.mark.parametrize(
    ("text", "speaker", "kind", "cue"),
    [
        ("Oskar Brandt, The Valley Courier: “The council voted before the public could speak.”",
         "Oskar Brandt", "person", ":"),
        ("The mayor hit back in a string of posts: “Nobody on my staff leaked anything. The story is false.”",
         "The mayor", "person", "hit"),
        ("The club put out the following statement: “The manager has left by mutual consent.”",
         "the following statement", "document", ":"),
    ],
    ids=["byline-header", "posts", "statement"],
)
def test_colon_attributions(nlp, text, speaker, kind, cue):
    got = _one(nlp, text)
    assert (got["speaker"], got["speaker_kind"], got["cue"], got["kind"]) == (speaker, kind, cue, "direct")


def test_documents_and_bodies_as_sources(nlp):
    got = _one(nlp, "“The contract was awarded without a tender,” said a joint statement from the two ministries.")
    assert (got["speaker"], got["speaker_entity"], got["speaker_kind"]) == (
        "a joint statement from the two ministries", None, "document")
    (audit,) = _reported(nlp, "The tender was never published, according to the audit.")
    assert (audit["text"], audit["speaker"], audit["speaker_kind"], audit["cue"]) == (
        "The tender was never published", "the audit", "document", "according to")


def test_ellipsis_inside_a_quote(nlp):
    got = _one(nlp, "“We have nothing to add … the matter is closed,” she said.")
    assert got["text"] == "We have nothing to add … the matter is closed"


@pytest.mark.parametrize(
    ("text", "content", "speaker", "resolved"),
    [
        ("Harbour master Tomas Wren said the ferry would resume on Thursday.",
         "the ferry would resume on Thursday", "Harbour master Tomas Wren", "Tomas Wren"),
        ("Harbour master Tomas Wren said that the ferry would resume on Thursday.",
         "the ferry would resume on Thursday", "Harbour master Tomas Wren", "Tomas Wren"),
        ("The ferry will resume on Thursday, the harbour master said.",
         "The ferry will resume on Thursday", "the harbour master", "the harbour master"),
        ("According to port officials, the ferry will resume on Thursday.",
         "the ferry will resume on Thursday", "port officials", "port officials"),
    ],
    ids=["said", "said-that", "clause-first", "according-to"],
)
def test_indirect_speech(nlp, text, content, speaker, resolved):
    (got,) = _reported(nlp, text)
    assert (got["text"], got["speaker"], got["speaker_resolved"], got["kind"]) == (content, speaker, resolved, "indirect")
    assert text[got["start_char"]:got["end_char"]] == content
    assert _quotes(nlp, text) == []


@pytest.mark.parametrize(
    "text",
    [
        "The minister asked whether the ferry would resume on Thursday.",
        "The council urged residents to stay indoors.",
        "“The ferry will resume on Thursday,” the harbour master said.",
    ],
    ids=["question", "urging", "direct-quote"],
)
def test_not_indirect_speech(nlp, text):
    assert _reported(nlp, text) == []


def test_reported_speech_passes_its_speaker_to_the_next_quote(nlp):
    text = ("Union leader Karin Holm said the talks had failed.\n\n"
            "“They offered us nothing. We will strike on Monday.”")
    assert [(q["text"], q["speaker_resolved"]) for q in _quotes(nlp, text)] == [
        ("They offered us nothing. We will strike on Monday.", "Karin Holm"),
    ]


def test_indirect_speech_stops_before_the_speakers_own_next_verb(nlp):
    text = "Councillor Ben Ashe said the city would have sold the land and voted against the plan."
    (got,) = _reported(nlp, text)
    assert got["text"] == "the city would have sold the land"


def test_a_lone_surname_resolves_to_the_full_name_the_model_missed(nlp):
    # As in real copy: NER misses "Jeff Sanborn" and tags the later "Sanborn" as an organisation.
    text = ("The pollster Jeff Sanborn has run surveys in the state for a decade. His firm advises both parties.\n"
            "“We tell clients the truth,” Sanborn said.")
    [quote] = extract_quotes(nlp(text), [_entity(text, "Sanborn", "ORG", last=True)])
    assert (quote["speaker"], quote["speaker_resolved"], quote["speaker_kind"]) == ("Sanborn", "Jeff Sanborn", "person")


@pytest.mark.parametrize("surname", ["Early", "Young"])
def test_a_surname_the_tagger_reads_as_an_adverb_still_speaks(nlp, surname):
    text = (f"Ubisoft executive Chris {surname} spoke at the fair on Tuesday.\n"
            f"“Streaming is somewhat binary,” {surname} said.")
    [quote] = _quotes(nlp, text)
    assert (quote["text"], quote["speaker"], quote["speaker_resolved"]) == (
        "Streaming is somewhat binary", surname, f"Chris {surname}")


def _resolved(nlp, text: str) -> list[tuple[str, str]]:
    return [(q["speaker"], q["speaker_resolved"]) for q in _quotes(nlp, text)]


def test_a_verb_the_model_glued_to_a_name_is_not_part_of_it(nlp):
    text = ("Martin Kell, 43, had been breathless for months.\n\n"
            "His doctor picked up the phone and rang Kell.\n\n"
            "“The course of steroids helped within two days,” Kell said.")
    assert _resolved(nlp, text) == [("Kell", "Martin Kell")]


def test_a_regnal_title_stays_with_a_lone_given_name(nlp):
    text = ("Prince Edmund, the younger brother of the heir, gave an interview on Saturday.\n\n"
            "“I regret nothing,” Edmund said.")
    assert _resolved(nlp, text) == [("Edmund", "Prince Edmund")]


def test_a_place_as_subject_is_not_a_he(nlp):
    text = ("When Afghan President Hamid Sarwar first announced the exchange last week, he said Kabul had "
            "ensured that the freed fighters would not return to the front line.\n\n"
            "He also said he hoped the swap would “open the door” for talks.")
    [quote] = _quotes(nlp, text)
    assert (quote["speaker"], quote["speaker_resolved"]) == ("he", "Hamid Sarwar")


@pytest.mark.parametrize(("role", "later"), [("patient", "man"), ("actor", "actor")])
def test_a_role_word_refers_to_the_person_described_or_named_before(nlp, role, later):
    text = ("A 43-year-old man who saw his doctor in November after three months of feeling tired and "
            "breathless was found to be allergic to his duvet.\n\n"
            f"“I could only manage two stairs at a time,” the {role} said.\n\n"
            f"“It does not affect me now,” the {later} wrote.")
    assert _resolved(nlp, text) == [(f"the {role}", "A 43-year-old man"), (f"the {later}", "A 43-year-old man")]
    named = ("Dana Keel has been voted off the dance show.\n\n"
             "“We lost the baby,” Keel said.\n\n"
             f"“It makes you more human,” said the {role}.")
    assert _resolved(nlp, named)[-1] == (f"the {role}", "Dana Keel")


def test_plural_role_words_refer_to_the_group_and_never_to_its_letter(nlp):
    text = ("A group of physicians, alarmed that detainees get no flu shots, offered to run a clinic.\n\n"
            "“Flu season has already begun,” the doctors stated.\n\n"
            "“This mortality rate is an emergency,” says the letter signed by seven physicians.\n\n"
            "“We have seen the effects of flu,” the physicians stated.")
    assert [r for _, r in _resolved(nlp, text)] == [
        "A group of physicians", "the letter signed by seven physicians", "A group of physicians"]


def test_a_document_named_with_its_day_resolves_without_the_day(nlp):
    text = ("The airline said in a statement on Wednesday that the plane had landed safely.\n\n"
            "“The cause of the fault is under investigation,” the statement said.")
    assert _resolved(nlp, text) == [("the statement", "a statement")]


def test_quote_closed_by_two_apostrophes_or_opened_by_a_closing_mark(nlp):
    # Wire copy converted by some CMSes: “…,’’ and a closing mark typed where an opening one belongs.
    text = ("“The bridge will reopen in March,’’ county engineer Dana Whitfield told reporters. "
            "“We are ahead of schedule.”\n"
            "Budget officers called the remaining funds ”barely enough for the winter.”")
    got = [(q["text"], q["speaker_resolved"]) for q in _quotes(nlp, text)]
    assert ("The bridge will reopen in March", "Dana Whitfield") in got
    assert ("We are ahead of schedule.", "Dana Whitfield") in got
    assert any(t.startswith("barely enough for the winter") for t, _ in got)


def test_a_review_signed_on_the_next_line_is_the_signers(nlp):
    text = ("Guests who saw the puppet show left their reviews on the booking site.\n\n"
            "“Lovely evening. The puppets were hand-made and the music was live!”\n\n"
            "– Ro** Ha***\n\n"
            "“Too long for small children, but the cafe was great.”\n\n"
            "— Marta V., Porto\n\n"
            "“Book early, because it sells out.”\n\n"
            "- The box office will reopen on Monday.")
    assert _resolved(nlp, text) == [("Ro** Ha***", "Ro** Ha***"), ("Marta V.", "Marta V.")]


def test_a_short_quote_inside_reported_speech_is_the_speakers_word(nlp):
    text = ("Union steward Lena Osei said the council had “ignored” night-shift workers for years.\n\n"
            "The ferry operator said in a statement that fares would rise only “slightly” next spring.\n\n"
            "Critics of the so-called “experts” said the panel was biased.")
    assert [(q["text"], q["kind"], q["speaker_resolved"]) for q in _quotes(nlp, text)] == [
        ("ignored", "partial", "Lena Osei"), ("slightly", "partial", "The ferry operator")]


def test_the_subject_after_the_quote_speaks_when_the_parse_gives_the_verb_one_inside_too(nlp):
    # The parser hangs "dive" (the quote's own subject) on "responded" as well as "Okafor".
    text = "“The dive I did accomplished the whole thing with one tank,” Okafor, a member of the Navy 5 crew, responded."
    [quote] = _quotes(nlp, text)
    assert (quote["speaker"], quote["cue"]) == ("Okafor", "respond")


def test_a_quote_without_attribution_goes_to_the_source_of_the_sentence_before_it(nlp):
    text = ("Rita Vance expects the depot to close by spring. “Moving the buses will take months.”\n\n"
            "The new pump, engineer Sam Okoro said, can clear a flooded basement in an hour. “Once the water "
            "drops below the float, the motor stops by itself.”\n\n"
            "“You do not want it running all night,” Okoro said. There could be damage “if the motor runs dry "
            "for too long.”\n\n"
            "The basement flooded twice last winter.\n\n"
            "The depot will close in spring. “Moving the buses will take months.”")
    assert [(q["kind"], q["speaker"], q["speaker_resolved"]) for q in _quotes(nlp, text)] == [
        ("direct", "Rita Vance", "Rita Vance"),
        ("direct", "engineer Sam Okoro", "Sam Okoro"),
        ("direct", "Okoro", "Sam Okoro"),
        ("partial", "Okoro", "Sam Okoro"),
    ]


def test_a_name_inside_a_description_is_not_its_appositive(nlp):
    text = ("The authors of the survey published in the journal Sleep Health argued that while the apps have "
            "provided \"real benefits, particularly for shift workers,\" they also cut sleep.")
    [quote] = _quotes(nlp, text)
    assert quote["speaker_resolved"].lower().startswith("the authors of the survey")


def test_a_lone_surname_is_the_source_met_earlier_not_another_full_name(nlp):
    # NER merges "Kale" with another full name in the article (the byline of an embedded post,
    # "Tom Kale"); the story's source is "Thomas Kale".
    text = ("Thomas Kale, a hydrologist at the state university, explained that the river had silted up.\n\n"
            "“You could walk across it in July,” Kale said.")
    entities = [_entity(text, "Thomas Kale", "PERSON"), _entity(text, "Kale", "PERSON", "Tom Kale", last=True)]
    quotes = _quotes(nlp, text, entities)
    assert [(q["speaker"], q["speaker_resolved"]) for q in quotes] == [("Kale", "Thomas Kale")]


def test_a_surname_read_as_an_adverb_reports_speech_and_is_the_later_he(nlp):
    text = ("Ubisoft executive Chris Early and Google's Jack Buser spoke at the fair.\n\n"
            "“The groundwork is there,” Buser says.\n\n"
            "While the lineup is thin (only three titles have been announced), Early says there is a chance "
            "that more games will come. “Our aim is to reach as many players as possible,” he says.\n\n"
            "In places like Lisbon and Oslo, bandwidth is less of an issue than in rural markets, but Early "
            "still says the studios are “believers” in streaming as the future of the industry.")
    got = extract_quotes(nlp(text))
    assert ("there is a chance that more games will come", "Chris Early") in [
        (q["text"], q["speaker_resolved"]) for q in got if q["kind"] == "indirect"]
    assert [(q["text"], q["speaker_resolved"]) for q in got if q["kind"] != "indirect"][1:] == [
        ("Our aim is to reach as many players as possible", "Chris Early"), ("believers", "Chris Early")]


def test_coordinated_role_words_refer_to_the_latest_person(nlp):
    text = ("Dana Rusk played the band's old hits at the Orpheum on Friday night.\n\n"
            "After the encore, the singer and bassist told the crowd, “we will be back next summer.”")
    assert _resolved(nlp, text) == [("the singer and bassist", "Dana Rusk")]


def test_a_description_named_further_down_is_that_person(nlp):
    text = ("Norway's ambassador to Chile warned that the fleet “will not wait for ever” on the quota.\n\n"
            "Norway's ambassador to Chile Ingrid Solberg has said the talks would resume in March.")
    [quote] = _quotes(nlp, text)
    assert (quote["speaker"], quote["speaker_resolved"]) == ("Norway's ambassador to Chile", "Ingrid Solberg")


def test_a_name_tagged_as_an_organisation_with_a_person_apposition_is_a_person(nlp):
    # As in real copy: NER tags "Ravi Menon" ORG; "a trade professor at Oxford" makes him a person.
    text = ("The mayor, Tom Reyes, spoke first. Ravi Menon, a trade professor at Oxford, said the tariffs had "
            "hurt exporters. “Setting goals that cannot be met makes a deal less likely,” he said.")
    [quote] = _quotes(nlp, text, [_entity(text, "Ravi Menon", "ORG")])
    assert (quote["speaker"], quote["speaker_resolved"], quote["speaker_kind"]) == ("he", "Ravi Menon", "person")


def test_a_verb_outside_the_cue_list_governs_a_quote_inside_its_sentence_only_with_a_source_as_subject(nlp):
    text = ("Economist Lars Berg reviewed the survey. But he said the figures also don't mean the plant should "
            "close, rather \"that for the few workers who lose their jobs retraining needs to be funded.\"\n\n"
            "“Built in 1962, the ferry has crossed the fjord more than 200,000 times,” the description on the "
            "company's website reads.")
    assert [r for _, r in _resolved(nlp, text)] == ["Lars Berg", "the description on the company's website"]


def test_the_nearest_verb_of_saying_before_the_quote_speaks_even_a_verb_of_urging(nlp):
    text = "The crowd laughed when she urged voters, “Look at what I promised and look at what I built.”"
    assert [q["speaker"] for q in _quotes(nlp, text)] == ["she"]


def test_a_lone_given_name_resolves_to_the_one_longer_name_that_starts_with_it(nlp):
    # The small model tags the full name ORG and the given name PERSON, as in real copy.
    text = ("The film follows Marisol Vega, a singer from Cork, on her way to Nashville.\n\n"
            "“I had to find my own road,” Marisol sings in the last scene.")
    entities = [_entity(text, "Marisol Vega", "ORG"), _entity(text, "Marisol", "PERSON", last=True)]
    [quote] = _quotes(nlp, text, entities)
    assert (quote["speaker"], quote["speaker_resolved"]) == ("Marisol", "Marisol Vega")


def test_a_multi_paragraph_quote_cut_by_an_embedded_post_ends_with_its_last_sentence(nlp):
    text = ("The club said in a statement: \"Ana is one of the most successful coaches in the league.\n\n"
            "\"She has won titles in three countries and built two academies.\n\n"
            "Club statement\n\n"
            "— Harbour City FC (@HarbourCityFC) May 2, 2024")
    [quote] = _quotes(nlp, text)
    assert quote["text"].startswith("Ana is one of") and quote["text"].endswith("two academies.")
    assert quote["speaker"] == "The club"


def test_a_relative_pronoun_speaks_for_the_noun_it_stands_for(nlp):
    text = ("The audit office released two sharply critical reports that described “serious delays, rising "
            "costs and poor oversight” on the rail project.")
    [quote] = _quotes(nlp, text)
    assert (quote["kind"], quote["speaker"]) == ("partial", "two sharply critical reports")


def test_a_common_noun_opening_a_sentence_is_not_a_surname(nlp):
    text = ("Thousands of nurses marched past the offices of the Northern State Nurses Union on Tuesday.\n\n"
            "Nurses chanted, “Safe staffing saves lives,” as the march reached the square.")
    assert _resolved(nlp, text) == [("Nurses", "Nurses")]


def test_a_surname_finds_a_full_name_ending_in_a_generational_suffix(nlp):
    text = ("Harold B. Quist Jr., 61, of Dover, pleaded guilty on Monday.\n\n"
            "“I regret the calls,” Quist said outside the courthouse.")
    entities = [_entity(text, "Harold B. Quist Jr.", "PERSON")]
    [quote] = _quotes(nlp, text, entities)
    assert quote["speaker_resolved"] == "Harold B. Quist Jr."


def test_the_verb_right_before_the_mark_introduces_a_quote_reported_inside_another_report(nlp):
    text = ("Dale Voss, 48, admitted the calls. On the phone, he named the clerk a “traitor” and said, "
            "“someone ought to teach her a lesson,” the sheriff’s office said.")
    quotes = _quotes(nlp, text)
    assert [(q["text"], q["speaker"]) for q in quotes][-1] == ("someone ought to teach her a lesson", "he")


def test_a_whole_sentence_quoted_after_a_colon_continues_the_previous_speaker(nlp):
    text = ("“I read the whole script twice before I wrote a note,” Hale said.\n\n"
            "That reading led her to one idea: “The song is a letter from a daughter to her mother.”")
    assert [r for _, r in _resolved(nlp, text)] == ["Hale", "Hale"]


def test_a_verb_of_saying_without_a_subject_passes_the_quote_up_to_the_one_it_hangs_on(nlp):
    text = ("Nurse Ida Holm testified, describing the ward as “calm and orderly” before describing for the jury "
            "the “terrible night” of the fire.")
    assert [(q["text"], q["speaker"]) for q in _quotes(nlp, text)] == [
        ("calm and orderly", "Nurse Ida Holm"), ("terrible night", "Nurse Ida Holm")]


def test_a_description_that_says_whose_is_its_own_source(nlp):
    text = ("Lena Ortiz, 9, was walking home with her mother when the van struck.\n\n"
            "The girl's mother testified on Tuesday. “She was brave until the end,” the girl's mother said.")
    assert [r for _, r in _resolved(nlp, text)] == ["the girl's mother"]


def test_any_verb_of_saying_after_a_quote_that_opens_its_sentence_attributes_it_unless_a_colon_follows(nlp):
    text = ("“I could only manage two stairs at a time and then needed to rest,” the patient described in "
            "the report.\n\n"
            "“It is a totally different muscle,” Ray said. “You have to step outside yourself a little.” "
            "Lind agreed: “It is a different job altogether.”")
    assert [s for s, _ in _resolved(nlp, text)] == ["the patient", "Ray", "Ray", "Lind"]


def test_a_list_of_titles_before_a_name_after_the_quote_is_the_speaker(nlp):
    # (as in real copy, the quote opens with a curly mark and closes with a straight one)
    text = ("“Our second quarter reflected broad-based growth across our business, yet sales were below our "
            "expectations driven by the timing of certain benefits associated with our strategic investments,\" "
            "chairman, CEO and president Martin Keller said in the earnings release.\n\n"
            "“We take really detailed histories” of the patients, Keller said.")
    got = _quotes(nlp, text)
    assert got[0]["speaker"] == "chairman, CEO and president Martin Keller"
    assert got[0]["speaker_resolved"] == "Martin Keller"


def test_it_quotes_the_text_just_put_out(nlp):
    text = ("The singer wrote a long post on Friday accusing the label of blocking her.\n\n"
            "Now the label has put out another statement, addressed to the awards organisers.\n\n"
            "“We have agreed to license all of her recordings for the show,” it said.")
    assert _resolved(nlp, text) == [("it", "another statement")]


def test_she_is_never_a_thing_an_it_stood_for(nlp):
    # "It" took up the script; "she" after it is the woman named before, not the script.
    text = ("Harper had fallen in love with an electric Nicole Taylor script called “Wild Rose.” Buckley had agreed "
            "to play Rose-Lynn Harlan.\n"
            "There was one problem: the script called for a soaring anthem that Rose-Lynn belts to a hometown crowd, "
            "but it had no song. The script was finished anyway.\n"
            "As the film ends, Rose-Lynn summons the strength to confront her regrets. It is an accordion, lighting "
            "her way home. “I pushed you away, then I got lost in the storm,” she sings.")
    (q,) = _quotes(nlp, text)
    assert (q["speaker"], q["speaker_resolved"]) == ("she", "Rose-Lynn Harlan")


def test_a_capitalized_modifier_tells_two_bodies_with_one_head_apart(nlp):
    text = ("Spain's interior ministry said it was “following the case closely.”\n\n"
            "The Portuguese interior ministry called the arrest “a serious mistake.”")
    assert [r for _, r in _resolved(nlp, text)] == ["Spain's interior ministry", "The Portuguese interior ministry"]


def test_a_description_refers_to_the_person_it_described_in_an_apposition_or_relative_clause(nlp):
    lede = ("A former port inspector told a tribunal on Monday that he had flagged the cargo twice.\n\n"
            "Harold Brinks, who worked as a senior inspector until May, said he kept notes.\n\n"
            "“I wrote down every container number,” the former inspector said.")
    assert _resolved(nlp, lede) == [("the former inspector", "Harold Brinks")]
    appos = ("Dr. Ines Worral, a virologist who did not take part in the trial, said the results were solid.\n\n"
             "“The sample is small, though,” the virologist said.")
    assert _resolved(nlp, appos) == [("the virologist", "Ines Worral")]


def test_a_description_by_age_refers_back_to_the_person_of_that_age(nlp):
    text = ("Veteran trainer Marco Bellandi has taken over at Harwick Athletic.\n\n"
            "The 61-year-old, who has coached in four countries, signed a two-year deal.\n\n"
            "Club director Susan Pyle said the board had acted quickly. “We wanted experience,” she said.\n\n"
            "“I am here to win things,” the 61-year-old added.")
    assert _resolved(nlp, text) == [("she", "Susan Pyle"), ("the 61-year-old", "Marco Bellandi")]
    given = ("Ruth Amsel, 44, and her lawyer, Tom Grady, spoke outside the court.\n\n"
             "Grady said an appeal was ready. “We are not done,” the 44-year-old said.")
    assert _resolved(nlp, given) == [("the 44-year-old", "Ruth Amsel")]
    possessive = ("Rafael Ortiz will replace Diego Salas as head coach of the national team.\n\n"
                  "Salas was dismissed on Sunday after a run of six defeats.\n\n"
                  "Talks between the federation and Ortiz's agent ended late on Monday.\n\n"
                  "The 49-year-old said: “I am proud to take this job.”")
    assert _resolved(nlp, possessive) == [("The 49-year-old", "Rafael Ortiz")]


def test_a_description_by_nationality_refers_back_to_the_person(nlp):
    text = ("Dutch cyclist Pieter Vos won the ninth stage on Sunday after a long breakaway.\n\n"
            "“My legs were good today,” the Dutchman said.")
    assert _resolved(nlp, text) == [("the Dutchman", "Pieter Vos")]
    two = ("Kenyan runner Paul Kiprono narrowly beat Briton Tom Hale in the final of the 1,500 metres.\n\n"
           "“I thought I had him at the bell,” the Briton said.")
    assert _resolved(nlp, two) == [("the Briton", "Tom Hale")]
    party = ("Prime Minister Anna Lestre defended the budget on Tuesday.\n\n"
             "The Democrats called it “a gift to the banks.”")
    assert _resolved(nlp, party) == [("The Democrats", "Democrats")]   # a party, not a person


def test_an_acronym_resolves_to_the_full_name_it_stands_for(nlp):
    text = ("The Northern Water Safety Board (NWSB) has closed four beaches after a spill near the harbour.\n\n"
            "“Nobody should swim until further notice,” the NWSB said.")
    assert _resolved(nlp, text) == [("the NWSB", "Northern Water Safety Board")]


def test_the_company_is_the_organisation_named_last_not_the_reporters_source(nlp):
    text = ("Talvers Outdoor said on Monday it would close 40 of its stores by March.\n\n"
            "A spokeswoman for Talvers confirmed to the Daily Ledger that staff had been told.\n\n"
            "“We regret the impact on our colleagues,” the company said in a statement.")
    assert _resolved(nlp, text) == [("the company", "Talvers Outdoor")]



def test_the_words_of_a_person_joined_to_a_name_do_not_give_its_gender(nlp):
    text = ("Council leader Peter Hollis and his sister, Ruth Hollis, run the family bakery in Ashby.\n\n"
            "“We have never raised prices twice in a year,” Peter Hollis said. “This is the first time,” he added.")
    assert _resolved(nlp, text) == [("Peter Hollis", "Peter Hollis"), ("he", "Peter Hollis")]

def test_a_gendered_title_picks_which_bearer_of_a_shared_surname_speaks(nlp):
    text = ("Council leader Peter Hollis and his sister, Ruth Hollis, run the family bakery in Ashby.\n\n"
            "“We have never raised prices twice in a year,” Peter Hollis said. “This is the first time,” he added.\n\n"
            "“Flour costs have doubled since spring,” Ms. Hollis said.")
    assert _resolved(nlp, text)[-1] == ("Ms. Hollis", "Ruth Hollis")


def test_a_possessive_in_a_persons_phrase_does_not_give_its_gender(nlp):
    text = ("Her business partner, Daniel Obi, agreed with the decision.\n\n"
            "“We never wanted to sell,” he said.")
    assert _resolved(nlp, text) == [("he", "Daniel Obi")]


def test_he_or_she_with_no_source_of_that_gender_yet_is_the_person_named_last_in_any_role(nlp):
    hired = ("The city council has appointed engineer Maria Lund to review the safety of the old bridge.\n\n"
             "“I will publish every finding, good or bad,” she said.")
    assert _resolved(nlp, hired) == [("she", "Maria Lund")]
    agent = ("The plan to close the Ravel pit was attacked on Friday by regional governor Ines Marr.\n\n"
             "“You cannot close a mine with a letter,” she said.")
    assert _resolved(nlp, agent) == [("she", "Ines Marr")]
    spouse = ("ASHFORD – The couple who run the village shop, Nora Haig and her husband, Simon Haig, will retire in May.\n\n"
              "“We have opened every morning at six for 30 years,” she said.")
    assert _resolved(nlp, spouse) == [("she", "Nora Haig")]


def test_a_surname_ner_gave_another_bearers_full_name_keeps_the_given_name_written_before_it(nlp):
    text = ("Greta Moss and her husband, Colin Moss, will close the ferry café in May.\n\n"
            "“We thought our son would take over,” she said.")
    entities = [_entity(text, "Moss", "PERSON", norm="Colin Moss"), _entity(text, "Colin Moss", "PERSON")]
    assert [(q["speaker"], q["speaker_resolved"]) for q in _quotes(nlp, text, entities)] == [("she", "Greta Moss")]


def test_a_role_word_after_a_possessive_is_the_person_named_with_that_role(nlp):
    text = ("Former mayor Dan Hoyle was charged with fraud on Monday.\n\n"
            "His lawyer, Clara Binns, said he would plead not guilty. Prosecutor Sam Reed declined to comment.\n\n"
            "“The evidence is thin and we will show it,” his lawyer said.")
    assert _resolved(nlp, text) == [("his lawyer", "Clara Binns")]




def test_a_title_right_before_a_name_is_that_persons_whatever_the_parse(nlp):
    # The parser makes "tenor" the sentence's root and the name the subject of a relative clause.
    text = ("MILAN – The Italian tenor Marco Ventura cancelled the rest of his Asian tour on Monday, citing a chest "
            "infection.\n\nThe promoter said refunds would be made within a week.\n\n"
            "“I will be back on stage in the autumn,” the tenor said.")
    assert _resolved(nlp, text)[-1] == ("the tenor", "Marco Ventura")


def test_a_ledes_description_is_the_person_named_after_it_doing_what_it_names(nlp):
    text = ("A former finance director of the city council has accused the mayor of hiding a deficit.\n\n"
            "Hannah Ocker, who directed the council's budget office until June, told councillors the accounts "
            "were wrong.\n\n"
            "“The figures were changed after I left,” the former director said.")
    assert _resolved(nlp, text)[-1] == ("the former director", "Hannah Ocker")


def test_a_person_whose_noun_gives_the_gender_in_the_sentence_before_beats_an_older_unknown_one(nlp):
    text = ("City manager Pat Lowry said the new parking rules would take effect in May.\n\n"
            "The LEDGER spoke to one mother, who drives her children to school along the street.\n\n"
            "“I will have to leave twenty minutes earlier,” she said.")
    assert _resolved(nlp, text) == [("she", "one mother")]



def test_a_noun_before_the_role_word_must_be_among_the_candidates_words(nlp):
    text = ("Jane Wells, the chief executive of the train operators' group, said the offer was fair.\n\n"
            "“There is no more money,” she said.\n\n"
            "Owen Pike, who has led the rail union since 2019, said members would decide.\n\n"
            "“It is their call,” the union chief said.")
    assert _resolved(nlp, text)[-1] == ("the union chief", "Owen Pike")


def test_a_name_with_an_age_in_apposition_is_a_person_whatever_ner_said(nlp):
    text = "Tomas Reyes, 51, walked out of the courthouse on Thursday.\n\n“I am going home,” Reyes said."
    entities = [_entity(text, "Tomas Reyes", "ORG"), _entity(text, "Reyes", "ORG", norm="Tomas Reyes", last=True)]
    [quote] = _quotes(nlp, text, entities)
    assert (quote["speaker_resolved"], quote["speaker_kind"]) == ("Tomas Reyes", "person")


def test_a_lone_surname_two_people_share_is_the_one_the_story_named_first(nlp):
    text = ("Dennis Frey, 47, was freed on Tuesday after 20 years in prison.\n\n"
            "His sister, Carla Frey, had campaigned for his release. “We never gave up,” she said.\n\n"
            "The prosecutor, Alex Moran, said the state would not appeal.\n\n"
            "“I want a normal life,” Frey said.")
    entities = [_entity(text, "Dennis Frey", "PERSON"), _entity(text, "Carla Frey", "PERSON"),
                _entity(text, "Frey", "PERSON", norm="Carla Frey", last=True)]
    assert [(q["speaker"], q["speaker_resolved"]) for q in _quotes(nlp, text, entities)] == [
        ("she", "Carla Frey"), ("Frey", "Dennis Frey")]


def test_the_company_is_the_employer_a_person_is_named_at(nlp):
    text = ("Federal prosecutors charged Dale Ormond, a vice president at Brackwater Energy, with lying to inspectors.\n\n"
            "His lawyer said he would plead not guilty.\n\n"
            "In a statement, the company said it had “strengthened its monitoring procedures.”")
    assert _resolved(nlp, text)[-1] == ("the company", "Brackwater Energy")


def test_a_position_in_capitals_before_a_given_name_is_no_part_of_the_name(nlp):
    text = ("Hawks WR Darnell Quincy was fined on Friday for a late hit.\n\n"
            "“I play hard, that is all,” Quincy said.")
    entities = [_entity(text, "Hawks WR Darnell Quincy", "PERSON"),
                _entity(text, "Quincy", "PERSON", norm="Hawks WR Darnell Quincy", last=True)]
    assert [(q["speaker"], q["speaker_resolved"]) for q in _quotes(nlp, text, entities)] == [("Quincy", "Darnell Quincy")]


def test_a_newspaper_with_the_shape_of_a_nationality_is_not_a_person(nlp):
    text = ("Home Secretary Alan Birch announced new powers for the police on Monday.\n\n"
            "The Guardian said the plans were “deeply troubling.”")
    assert _resolved(nlp, text)[-1][1] != "Alan Birch"


def test_a_single_quote_opened_after_a_sentence_and_left_open_goes_on_into_the_next_paragraph(nlp):
    # The open mark after a full stop, unclosed at its paragraph's end: the check that it opens a sentence
    # added a str to a frozenset (TypeError), and the whole text lost its entities and quotes.
    text = ("Harbour pilots stayed ashore on Tuesday. Their union leader, Marta Quintela, was blunt. "
            "'The boats will wait for us.\n'We will not move until the port pays what it promised,' she said.")
    assert [(q["text"], q["speaker_resolved"]) for q in _quotes(nlp, text)] == [
        ("The boats will wait for us.\nWe will not move until the port pays what it promised", "Marta Quintela")]


# -- bounded work: the mark scans are linear in the text ----------------------------------------------



def test_closing_marks_after_a_long_stretch_of_a_paragraph_are_paired_in_linear_time():
    # One 68,000-character paragraph: 2,000 sentences, then 2,000 closing marks with none open. Each mark
    # looked back over the paragraph for an earlier one (2.6 s of CPU here; 16 s at 5,000 and 256 s at
    # 20,000; now 0.01 s); the same marks before the sentences took as long as now.
    from tasks.quotes import _find_mark_spans

    prose, marks = "The boats waited at the quay. " * 2000, "then \u201d she said " * 2000
    orphans: list[int] = []
    assert _find_mark_spans(prose + marks, orphans) == [] and orphans == [len(prose) + len("then ")]
    assert _cpu(_find_mark_spans, prose + marks, []) < 5 * _cpu(_find_mark_spans, marks + prose, []) + 0.1


def test_paragraphs_left_open_one_after_another_are_scanned_in_linear_time():
    # 30,000 paragraphs each opening a quote and not closing it. In double marks, with a line of the
    # reporter's after each: each looked back at the whole text before it (2.6 s of CPU here, now 0.45 s,
    # as long as the same quotes closed). In single marks, each reopening the one above: each copied the
    # list of reopened paragraphs (1.1 s, now 0.2 s).
    from tasks.quotes import _find_mark_spans, _find_single_spans

    def both(text: str) -> list:
        doubles = _find_mark_spans(text, [])
        return doubles + _find_single_spans(text, doubles)

    def quotes(mark: str, close: str = "") -> list[str]:
        return [f"{mark}The boats waited at the quay number {n}.{close}" for n in range(30000)]

    def alternating(lines: list[str]) -> str:
        return "\n".join(line for pair in zip(lines, ["The pilots stayed home."] * len(lines)) for line in pair)

    # A sentence in double marks whose closing mark was lost ends at its paragraph's end.
    text = alternating(quotes("\u201c"))
    found = both(text)
    assert [text[span.start:span.end] for span in found] == [line[1:] for line in quotes("\u201c")]
    assert _cpu(both, text) < 2 * _cpu(both, alternating(quotes("\u201c", "\u201d"))) + 0.1
    # Single marks run on while each paragraph reopens them, and make no quote without a closing mark.
    text = "\n".join(quotes("'"))
    assert both(text) == []
    assert _cpu(both, text) < 2 * _cpu(both, "\n".join(quotes("'", "'"))) + 0.1


def test_a_long_text_of_quotes_is_analysed_in_time_linear_in_its_length(nlp):
    # 500 attributed quotes in one text (48,000 characters). Each mention read the doc's whole text again
    # (Doc.text joins every token) and listed every token's offset; each cue verb and each surname looked
    # at every quote or mention: 2.6 s of CPU here, the same lines as ten texts of 50 quotes 0.36 s; now
    # 0.18 s and 0.15 s (at 1,000 quotes 7.9 s, now 0.3 s).
    from tasks.entities import extract_entities

    names = ["Marta Quintela", "Tomas Ferreira", "Ana Ribeiro", "Joao Pires", "Rita Sousa"]
    lines = [f"\u201cWe will not move from quay {n},\u201d said {names[n % 5]}, a pilot of the harbour union in Lisbon."
             for n in range(500)]
    doc = nlp("\n".join(lines))
    starts = [sum(len(line) + 1 for line in lines[:n]) for n in range(0, 501, 50)]
    parts = [doc.char_span(lo, hi - 1).as_doc() for lo, hi in zip(starts, starts[1:])]

    def analyse(*docs) -> list[list[dict]]:
        return [extract_quotes(d, extract_entities(d)) for d in docs]

    assert [(q["text"], q["speaker_resolved"]) for q in analyse(doc)[0]] == [
        (f"We will not move from quay {n}", names[n % 5]) for n in range(500)]
    assert _cpu(analyse, doc) < 3 * _cpu(analyse, *parts) + 0.2


def test_a_description_used_for_every_quote_is_looked_up_once(nlp):
    # 300 quotes, each given to "the spokesman for the Harbour Pilots Union": for each, every later use of the
    # description was checked against every entity for a name after it (cubic: 2.2 s of CPU here; the same
    # lines as ten texts 0.09 s; now 0.12 s).
    from tasks.entities import extract_entities

    speaker = "the spokesman for the Harbour Pilots Union"
    lines = [f"\u201cWe are ready at berth {n},\u201d {speaker} told reporters in Lisbon." for n in range(300)]
    doc = nlp("\n".join(lines))
    starts = [sum(len(line) + 1 for line in lines[:n]) for n in range(0, 301, 30)]
    parts = [doc.char_span(lo, hi - 1).as_doc() for lo, hi in zip(starts, starts[1:])]

    def analyse(*docs) -> list[list[dict]]:
        return [extract_quotes(d, extract_entities(d)) for d in docs]

    assert [(q["text"], q["speaker"]) for q in analyse(doc)[0]] == [(f"We are ready at berth {n}", speaker)
                                                                    for n in range(300)]
    assert _cpu(analyse, doc) < 3 * _cpu(analyse, *parts) + 0.2


def test_an_acronym_used_for_every_quote_is_expanded_once(nlp):
    # 700 quotes from "the spokesman for the NFIA", each line naming three organisations: for each, the text
    # before it was searched for "(NFIA)" and every organisation's initials were read (2.2 s of CPU here; the
    # same lines as ten texts 0.36 s; now 0.35 s and 0.19 s; 2,000 such quotes 7.7 s, now 1.5 s).
    from tasks.entities import extract_entities

    lines = [f"\u201cWe are ready at berth {n},\u201d the spokesman for the NFIA told the Harbour Pilots Union, the Estuary "
             f"Shipping Board and the Tagus Ferry Company." for n in range(700)]
    doc = nlp("\n".join(lines))
    starts = [sum(len(line) + 1 for line in lines[:n]) for n in range(0, 701, 70)]
    parts = [doc.char_span(lo, hi - 1).as_doc() for lo, hi in zip(starts, starts[1:])]

    def analyse(*docs) -> list[list[dict]]:
        return [extract_quotes(d, extract_entities(d)) for d in docs]

    assert [(q["text"], q["speaker"]) for q in analyse(doc)[0]] == [
        (f"We are ready at berth {n}", "the spokesman for the NFIA") for n in range(700)]
    assert _cpu(analyse, doc) < 2 * _cpu(analyse, *parts) + 0.1


def test_the_entity_holding_a_character_is_found_without_reading_every_entity():
    # 3,000 people named in a text and a question for each (the description resolver asks for every
    # mention): each question read every entity (0.42 s of CPU here, now 0.001 s; the same 3,000 questions
    # about a ten-name text 0.001 s).
    from tasks.quotes import _entity_in

    def people(n: int) -> list[dict]:
        return [{"text": f"Marta Quintela{k}", "norm": f"Marta Quintela{k}", "label": "PERSON",
                 "start_char": 40 * k, "end_char": 40 * k + 15} for k in range(n)]

    def ask(entities: list[dict], at: list[int]) -> list:
        return [_entity_in(entities, 0, 10**9, frozenset({"PERSON"}), containing=char) for char in at]

    many, few = people(3000), people(10)
    assert ask(many, [40 * k + 3 for k in range(3000)]) == many
    assert ask(many, [40 * k + 20 for k in range(3000)]) == [None] * 3000
    assert _cpu(ask, many, [40 * k + 3 for k in range(3000)]) \
        < 10 * _cpu(ask, few, [40 * (k % 10) + 3 for k in range(3000)]) + 0.05
