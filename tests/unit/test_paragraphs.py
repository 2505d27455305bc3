"""Texts analysed through their paragraphs' parses: stored parses give a fresh analysis, each paragraph parsed once."""
import concurrent.futures as cf

import pytest

from tasks.paragraphs import (PARAGRAPHS, AssemblyError, ParagraphStats, analyse_doc, analyze_by_paragraph,
                              analyze_texts, assemble, bounded, paragraph_key, paragraphs_of, paragraphs_table,
                              parse_paragraphs, pieces_of, plan_jobs, split_paragraphs, stored_parses)
from tasks.storage import Lake
from tests.unit._nlp import load_english

# Fictional wire copy: a quote over two paragraphs, a pronoun speaker resolved from an earlier
# paragraph, a lone surname pointing at the full name given two paragraphs before.
STORY = ("OSLO (Reuters) - Fishing crews in northern Norway stayed in port on Tuesday after a storm "
         "damaged the harbour at Tromsvik, the coast guard said.\n"
         "\u201cWe have never seen waves like these,\u201d said harbour master Ingrid Solheim. \u201cThe "
         "breakwater is gone.\n"
         "\u201cIt will take months to rebuild,\u201d she added.\n"
         "Solheim said the town had asked the government in Oslo for emergency funds.")
UPDATE = STORY + "\nThe Norwegian Fisheries Ministry said it would send engineers on Wednesday."
# Fictional copy with the lines a whole-text parse used to run across: a crosshead without final
# punctuation, a photo caption ending in a place abbreviation, then paragraphs opening on names.
FERRY = ("HALIFAX (Reuters) - The ferry link between Port Alden and Merrow Island will close for "
         "six weeks from May 1, the provincial transport department said on Thursday.\n"
         "Harbour master Tom Reyes at the pier in Port Alden, NS\n"
         "Reyes said the pier had been patched three times since 2019. \u201cWe cannot patch it "
         "again,\u201d he said.\n"
         "Islanders worried\n"
         "Merrow Island Council chair Dana Okafor said residents would rely on a water taxi run by "
         "Blue Gull Marine.\n"
         "\u201cPeople here need to get to the hospital in Halifax,\u201d Okafor said.")
FERRY_UPDATE = FERRY.replace("Islanders worried\n", "Islanders worried\nThe department said a temporary "
                             "dock would open at Kells Cove by June 15.\n")
OTHER = ("Ostmark Rail said its night trains to Kelvar would resume on Friday.\n"
         "Lower fares\n"
         "Tickets will cost 20 percent less until August, spokeswoman Petra Lind said.")


def fresh(nlp, key, text):
    return analyze_texts(nlp, [(key, text)])[0]


def test_paragraphs_are_the_runs_between_line_breaks():
    text = "One.\n\nTwo two.\nThree\n"
    assert [text[s:e] for s, e in split_paragraphs(text)] == ["One.", "Two two.", "Three"]
    assert split_paragraphs("") == [] and split_paragraphs("\n\n") == []


def test_assembled_doc_carries_each_paragraphs_own_parse_at_its_offsets():
    """Every token of the assembled Doc has the tag, dependency, head and entity label the model
    gives its paragraph alone, shifted to the paragraph's place; nothing crosses a line break."""
    nlp = load_english()
    for text in (FERRY, UPDATE):
        doc = assemble(nlp.vocab, text, parse_paragraphs(nlp, list(paragraphs_of(text))))
        assert doc.text == text
        for start, end in split_paragraphs(text):
            alone = nlp(text[start:end])
            span = doc.char_span(start, end)
            assert span is not None and span[0].is_sent_start
            got = [(t.idx - start, t.text, t.tag_, t.dep_, t.head.i - span.start, t.ent_iob_, t.ent_type_) for t in span]
            assert got == [(t.idx, t.text, t.tag_, t.dep_, t.head.i, t.ent_iob_, t.ent_type_) for t in alone]
        assert not [e for e in doc.ents if "\n" in e.text]
        assert not [s for s in doc.sents if "\n" in s.text.strip()]
    # The caption's "NS" and the next paragraph's "Reyes" stay apart; the crosshead is its own sentence.
    doc = assemble(nlp.vocab, FERRY, parse_paragraphs(nlp, list(paragraphs_of(FERRY))))
    assert "Islanders worried" in {s.text.strip() for s in doc.sents}
    got = fresh(nlp, "f", FERRY)
    assert all(FERRY[e["start_char"]:e["end_char"]] == e["text"] for e in got.entities)
    assert {q["speaker_resolved"] for q in got.quotes if q["kind"] == "direct"} >= {"Tom Reyes", "Dana Okafor"}


def test_a_paragraph_longer_than_the_model_reads_is_parsed_in_pieces_that_spell_it():
    # A page with no line breaks: every sentence of the ferry story over and over, one paragraph.
    body = " ".join(FERRY.split("\n")) + " "
    long = (body * 40).strip() + " " + "x" * 700 + " end."
    pieces = pieces_of(long, 2_000)
    assert len(pieces) > 1 and pieces[0][0] == 0 and pieces[-1][1] == len(long)
    assert all(0 < e - s <= 2_000 for s, e in pieces)
    for (_, end), (start, _) in zip(pieces, pieces[1:]):
        assert start == end or (start == end + 1 and long[end] == " ")   # contiguous, or one space dropped
    assert sum(1 for _, e in pieces[:-1] if long[e - 1] in ".\u201d") >= len(pieces) - 2   # most cut between sentences
    assert pieces_of("x" * 5_000, 2_000) == [(0, 2_000), (2_000, 4_000), (4_000, 5_000)]   # no space: cut anyway
    nlp = load_english()
    nlp.max_length = 3_000   # spaCy refuses longer texts (E088; 1,000,000 by default)
    try:
        with pytest.raises(ValueError, match="E088"):
            nlp(long)
        text = "A short first paragraph about Merrow Island.\n" + long
        doc = assemble(nlp.vocab, text, parse_paragraphs(nlp, list(paragraphs_of(text))))
        assert doc.text == text
        got = analyze_texts(nlp, [("k", text)])[0]
    finally:
        nlp.max_length = 1_000_000
    # Entities and quotes are found all along the long paragraph, not only in its first piece.
    assert sum(e["text"] == "Dana Okafor" for e in got.entities) == 40
    assert max(e["start_char"] for e in got.entities) > len(text) - len(body) - 800
    assert sum(q["speaker_resolved"] == "Dana Okafor" for q in got.quotes if q["kind"] == "direct") >= 30


def test_only_the_first_part_of_an_enormous_text_is_analysed():
    para = "The harbour board met on Tuesday and agreed to dredge the north channel."
    text = "\n".join([para] * 20)
    assert bounded(text, 10_000) is text
    cut = bounded(text, 300)
    assert text.startswith(cut) and cut.endswith(para) and len(cut) <= 300   # whole paragraphs
    assert bounded("y" * 1_000, 300) == "y" * 300                            # no line break: a hard cut


def test_parses_from_other_runs_and_batches_give_the_fresh_analysis(tmp_path):
    """Texts assembled from parses stored by an earlier run, made in a batch with other paragraphs,
    are analysed exactly as each text alone from scratch."""
    nlp = load_english()
    lake = Lake(str(tmp_path / "lake"))
    # Run 1 parses FERRY with an unrelated story in the same nlp.pipe batches and stores them.
    run1 = parse_paragraphs(nlp, list(paragraphs_of(OTHER)) + list(paragraphs_of(FERRY)), batch_size=3)
    lake.append(PARAGRAPHS, paragraphs_table(run1, "m-1", "nlp-x", "run1"), name="run1")
    # Run 2 needs only FERRY_UPDATE's new paragraph; the rest comes from the lake.
    stats = ParagraphStats()
    got = {a.key: a for a in analyze_by_paragraph(
        [("u", FERRY_UPDATE), ("f", FERRY), ("s", STORY)], lambda keys: stored_parses(lake, keys, "m-1", "nlp-x"),
        stats=stats)}
    assert stats.paragraphs_cached == 6 and stats.paragraphs_parsed == 1 + 4
    for key, text in (("u", FERRY_UPDATE), ("f", FERRY), ("s", STORY)):
        want = fresh(nlp, key, text)
        assert (got[key].entities, got[key].quotes, got[key].n_words) == (want.entities, want.quotes, want.n_words)
        assert got[key].entities and got[key].quotes


def test_document_level_steps_run_across_paragraphs():
    nlp = load_english()
    got = analyse_doc("u", assemble(nlp.vocab, UPDATE, parse_paragraphs(nlp, list(paragraphs_of(UPDATE)))))
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
    ahead, jobs = plan_jobs(texts, cached={paragraph_key(a)}, chunk_words=1)
    parsed = [p for j in ahead + jobs for p in j.take_owned().parse]
    assert sorted(parsed) == sorted([b, "Gamma five.", "Delta six."])   # a is cached, b parsed once
    # t1 and t2 (two jobs) both need b: it is parsed ahead of them, by a job of its own.
    assert [j.parse for j in ahead] == [[b]] and not any(j.texts for j in ahead)
    assert [[k for k, _ in j.texts] for j in jobs] == [["t1"], ["t2"], ["t3"]]


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
    want = fresh(nlp, "u", UPDATE)
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


def test_a_text_whose_analysis_fails_is_recorded_and_the_others_are_analysed(monkeypatch):
    import tasks.paragraphs as paragraphs
    from tasks.nlp import map_analysis
    from tasks.pipeline import nlp_table

    real = paragraphs.analyse_doc

    def tripping(key, doc):   # a rule that trips on odd copy
        if "Merrow" in doc.text:
            raise IndexError("list index out of range")
        return real(key, doc)

    monkeypatch.setattr(paragraphs, "analyse_doc", tripping)
    nlp = load_english()
    good, bad = analyze_texts(nlp, [("story", STORY), ("ferry", FERRY)])
    assert good.error is None and good.quotes and good.entities
    assert (bad.key, bad.error, bad.entities, bad.quotes) == ("ferry", "IndexError: list index out of range", [], [])
    copy = map_analysis(bad, "ferry-copy", FERRY, [(0, 0, len(FERRY))])
    assert copy.error == bad.error   # a copy mapped from it says so too
    rows = nlp_table([good, bad, copy], "m-1", "nlp-x", "r1").to_pylist()
    assert [(r["text_hash"], r["error"], r["n_quotes"]) for r in rows] == [
        ("story", None, len(good.quotes)), ("ferry", bad.error, 0), ("ferry-copy", bad.error, 0)]


def test_jobs_go_to_the_workers_a_bounded_number_at_a_time_and_all_come_back():
    # Submitted all at once, every finished job's parses stayed in the run's memory to the end.
    from tasks.paragraphs import _in_flight

    taken, consumed, most = [], [], 0

    def jobs():
        for i in range(40):
            taken.append(i)
            yield i

    with cf.ThreadPoolExecutor(3) as pool:
        for res in _in_flight(pool, lambda job, k: job * k, jobs(), 10, limit=4):
            consumed.append(res)
            most = max(most, len(taken) - len(consumed))
    assert sorted(consumed) == [i * 10 for i in range(40)]
    assert most <= 4


def test_paragraphs_shared_by_texts_of_several_jobs_are_parsed_once_ahead_of_them():
    nlp = load_english()
    texts = [("s", STORY), ("f", FERRY), ("u", UPDATE), ("fu", FERRY_UPDATE)]   # one job each
    parsed: list[str] = []
    stats = ParagraphStats()
    with cf.ThreadPoolExecutor(2) as pool:
        got = {a.key: a for a in analyze_by_paragraph(texts, lambda keys: {}, chunk_words=1, pool=pool, stats=stats,
                                                       on_parsed=lambda new: parsed.extend(new))}
    distinct = {paragraph_key(p) for _, t in texts for p in paragraphs_of(t)}
    assert sorted(parsed) == sorted(distinct) and stats.paragraphs_parsed == len(distinct)
    for key, text in texts:
        want = fresh(nlp, key, text)
        assert (got[key].entities, got[key].quotes) == (want.entities, want.quotes)
