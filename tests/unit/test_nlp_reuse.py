"""Reposts reuse the analysis of another copy of their story instead of running the model again."""
from tasks.nlp import Analysis, alignment, map_analysis, plan_reuse

FULL = ("GENEVA (Reuters) - Alpine states agreed on a fund, officials said.\n"
        "\u201cWe cannot wait,\u201d said minister Lea Brandt.\n"
        "The fund opens in March.")
SOURCE = Analysis("full", 20,
                  entities=[{"text": "GENEVA", "norm": "Geneva", "label": "GPE", "start_char": 0, "end_char": 6},
                            {"text": "Lea Brandt", "norm": "Lea Brandt", "label": "PERSON",
                             "start_char": FULL.index("Lea"), "end_char": FULL.index("Lea") + 10}],
                  quotes=[{"text": "We cannot wait", "speaker": "minister Lea Brandt", "start_char": FULL.index("We"),
                           "end_char": FULL.index("We") + 14}])


def test_short_retypeset_copy_maps_onto_the_full_text():
    copy = FULL.split("\n", 1)[0] + "\n" + '"We cannot wait," said minister Lea Brandt.'
    segs = alignment(FULL, copy)
    assert segs is not None
    mapped = map_analysis(SOURCE, "short", copy, segs)
    assert [(e["text"], copy[e["start_char"]:e["end_char"]]) for e in mapped.entities] == [
        ("GENEVA", "GENEVA"), ("Lea Brandt", "Lea Brandt")]
    assert copy[mapped.quotes[0]["start_char"]:mapped.quotes[0]["end_char"]] == "We cannot wait"


def test_dateline_without_agency_tag_still_maps_and_loses_only_the_dateline():
    copy = FULL.replace("GENEVA (Reuters) -", "GENEVA -")
    mapped = map_analysis(SOURCE, "copy", copy, alignment(FULL, copy))
    assert [e["text"] for e in mapped.entities] == ["Lea Brandt"]
    assert copy[mapped.entities[0]["start_char"]:mapped.entities[0]["end_char"]] == "Lea Brandt"


def test_copy_with_a_paragraph_of_its_own_is_analysed():
    assert alignment(FULL, FULL + "\nA new paragraph the source never had.") is None


def test_plan_analyses_the_longest_copy_and_maps_the_others():
    short = FULL.split("\n", 1)[0]
    other_story = "PARIS (AFP) - Something else entirely."
    to_analyse, to_map = plan_reuse([("s", short, "st1"), ("f", FULL, "st1"), ("o", other_story, "st2")], {})
    assert [k for k, _ in to_analyse] == ["f", "o"]
    assert [(k, src) for k, _, src, _ in to_map] == [("s", "f")]


def test_plan_uses_copies_analysed_in_earlier_runs():
    to_analyse, to_map = plan_reuse([("s", FULL.split("\n", 1)[0], "st1")], {"st1": [("f", FULL)]})
    assert to_analyse == [] and to_map[0][2] == "f"


def test_double_hyphens_and_joined_paragraphs_still_map():
    src = "PARIS (AFP) \u2014 The mayor \u2014 Anne Vidal \u2014 spoke.\nShe said \u201cno\u201d to the plan."
    copy = 'PARIS (AFP) -- The mayor -- Anne Vidal -- spoke. She said "no" to the plan.'
    a = Analysis("src", 12, entities=[{"text": "Anne Vidal", "norm": "Anne Vidal", "label": "PERSON",
                                       "start_char": src.index("Anne"), "end_char": src.index("Anne") + 10}],
                 quotes=[{"text": "no", "start_char": src.index("no"), "end_char": src.index("no") + 2}])
    segs = alignment(src, copy)
    assert segs is not None
    m = map_analysis(a, "copy", copy, segs)
    assert [copy[e["start_char"]:e["end_char"]] for e in m.entities] == ["Anne Vidal"]
    assert copy[m.quotes[0]["start_char"]:m.quotes[0]["end_char"]] == "no"


def test_letters_that_lowercase_to_two_characters_do_not_shift_offsets():
    src = "Talks opened in \u0130stanbul on Monday.\nPresident Erdogan said the talks would go on."
    copy = "President Erdogan said the talks would go on."
    a = Analysis("src", 14, entities=[{"text": "Erdogan", "norm": "Erdogan", "label": "PERSON",
                                       "start_char": src.index("Erdogan"), "end_char": src.index("Erdogan") + 7}],
                 quotes=[])
    m = map_analysis(a, "copy", copy, alignment(src, copy))
    assert [copy[e["start_char"]:e["end_char"]] for e in m.entities] == ["Erdogan"]
