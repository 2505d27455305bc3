"""Unit tests for tasks.dedup: URL canonicalization, content hashes and story clustering."""
from __future__ import annotations

import dataclasses
import itertools
from datetime import datetime, timedelta, timezone

import pyarrow as pa
import pytest

from tasks.dedup import (
    INDEX_SCHEMA,
    IndexFormatError,
    Shingler,
    StoryDoc,
    StoryIndex,
    canonicalize_url,
    content_hash,
    story_agency,
)

T0 = datetime(2024, 3, 4, 9, 0, tzinfo=timezone.utc)

# A fictional wire story, one paragraph per line.
FERRY = [
    "HALVIK (AFP) – A passenger ferry ran aground off the northern island of Skarra on Tuesday, "
    "forcing the evacuation of 212 people onto lifeboats in heavy seas, the coast guard said.",
    "Nobody was seriously hurt, although four crew members were treated for hypothermia after "
    "spending more than an hour in the water, according to the regional health authority.",
    "\u201cThe captain did everything by the book once the hull was breached,\u201d coast guard "
    "spokeswoman Ingrid Tollefsen told reporters at the harbour in Halvik.",
    "The vessel, the Nordlys Queen, had left the mainland port of Brekke shortly after dawn and "
    "was due to dock at Skarra before noon when it struck a charted reef in poor visibility.",
    "\u201cWe heard a terrible grinding noise and then the lights went out,\u201d said passenger "
    "Mats Ekerholt, a schoolteacher travelling with his two daughters.",
    "Investigators from the maritime accident board were flown to the island by helicopter and "
    "will examine the ship's navigation logs and radar recordings, officials said.",
    "The operator, Fjordlink, suspended all sailings on the route pending an inspection of its "
    "fleet and offered refunds to passengers booked for the rest of the week.",
    "It was the third grounding in the archipelago in five years, prompting renewed calls from "
    "local mayors for the reef to be marked with lit buoys.",
]

# Another agency's report of the same event: same dateline city, two quotes verbatim,
# everything else written independently.
FERRY_SIBLING = [
    "HALVIK (Reuters) - Rescue crews in Norway's far north pulled more than two hundred people "
    "from a stricken ferry on Tuesday after it hit rocks during a storm, authorities said.",
    "\u201cThe captain did everything by the book once the hull was breached,\u201d coast guard "
    "spokeswoman Ingrid Tollefsen told reporters at the harbour in Halvik.",
    "Television footage showed orange lifeboats bobbing beside the listing white ship as "
    "fishing vessels from nearby villages circled to help with the rescue.",
    "\u201cWe heard a terrible grinding noise and then the lights went out,\u201d said passenger "
    "Mats Ekerholt, a schoolteacher travelling with his two daughters.",
    "Shares in the ferry's parent company fell 6 percent in Oslo trading as analysts weighed "
    "the cost of salvage and possible compensation claims from travellers.",
    "The shipping ministry said it would review safety rules for coastal passenger routes, "
    "which have carried record numbers of tourists since the pandemic ended.",
    "Weather forecasters expect the gale to ease by Thursday, when salvage teams hope to tow "
    "the damaged vessel into a sheltered fjord for temporary repairs.",
]

# An unrelated story from the same agency and city.
ELECTION = [
    "HALVIK (AFP) – Voters in the coastal province of Nordmark elected a new regional council "
    "on Sunday, with turnout the highest in two decades, the election commission said.",
    "The centre-left alliance won 23 of the 41 seats, ending twelve years of conservative rule "
    "in a region dominated by fishing, shipbuilding and offshore wind.",
    "\u201cPeople wanted change and they have voted for it,\u201d alliance leader Sigrid Hammar "
    "told cheering supporters in a sports hall late on Sunday night.",
    "The outgoing council president conceded defeat before midnight and promised an orderly "
    "handover of the province's budget, which funds schools, roads and hospitals.",
    "Analysts said the result reflected anger over the closure of two fish processing plants "
    "and a shortage of affordable housing in the larger towns.",
]


def text(paragraphs: list[str]) -> str:
    return "\n".join(paragraphs)


def doc(article_id: str, paragraphs: list[str], *, minutes: int = 0, agency: str | None = "AFP",
        dateline: str | None = "HALVIK (AFP) –", site: str | None = None) -> StoryDoc:
    return StoryDoc(article_id=article_id, site=site or f"site-{article_id}", text=text(paragraphs),
                    title=None, published_at=T0 + timedelta(minutes=minutes), wire_agency=agency,
                    dateline=dateline)


def write_through(paragraphs: list[str]) -> list[str]:
    """The agency's update: one paragraph after the lead dropped, two new ones inserted."""
    new = [
        "Later on Tuesday the coast guard said divers had found a gash of several metres in the "
        "hull and that fuel was leaking slowly from one of the tanks.",
        "Environmental groups urged the authorities to deploy oil booms around the reef before "
        "the spill reaches a nearby seabird colony.",
    ]
    return [paragraphs[0], *new, *paragraphs[1:3], *paragraphs[4:]]


def stories(index: StoryIndex, docs: list[StoryDoc]) -> dict[str, str]:
    return {a.article_id: a.story_id for a in index.assign(docs)}


# --- canonicalize_url -------------------------------------------------------------------------

@pytest.mark.parametrize("url, expected", [
    ("HTTP://News.Example.COM/world/ferry.html", "http://news.example.com/world/ferry.html"),
    ("https://example.com:443/a", "https://example.com/a"),
    ("http://example.com:80/a", "http://example.com/a"),
    ("http://example.com:8080/a", "http://example.com:8080/a"),
    ("https://example.com/a#comments", "https://example.com/a"),
    ("https://example.com", "https://example.com/"),
    ("https://example.com/a?utm_source=rss&utm_medium=feed&UTM_Campaign=x", "https://example.com/a"),
    ("https://example.com/a?fbclid=IwAR0&gclid=Cj0&mc_cid=12&mc_eid=34", "https://example.com/a"),
    ("https://example.com/a?page=2&id=7&utm_term=x", "https://example.com/a?id=7&page=2"),
    ("https://example.com/a?b=2&a=1", "https://example.com/a?a=1&b=2"),
    ("https://example.com/search?q=caf%C3%A9+bar", "https://example.com/search?q=caf%C3%A9+bar"),
    # AMP renditions
    ("https://example.com/2024/03/ferry/amp/", "https://example.com/2024/03/ferry/"),
    ("https://example.com/2024/03/ferry/amp", "https://example.com/2024/03/ferry"),
    ("https://example.com/amp/2024/03/ferry", "https://example.com/2024/03/ferry"),
    ("https://example.com/world/ferry.amp.html", "https://example.com/world/ferry.html"),
    ("https://example.com/world/ferry.html?amp=1", "https://example.com/world/ferry.html"),
    ("https://example.com/world/ferry.html?amp", "https://example.com/world/ferry.html"),
    ("https://example.com/world/ferry?outputType=amp", "https://example.com/world/ferry"),
    ("https://amp.example.com/world/ferry.html", "https://example.com/world/ferry.html"),
    ("https://amp.example.com/world/ferry.amp.html?amp=1&utm_source=x#top",
     "https://example.com/world/ferry.html"),
    # look-alikes that are not AMP markers stay
    ("https://example.com/ampersand/story", "https://example.com/ampersand/story"),
    ("https://example.com/story?amp=0", "https://example.com/story?amp=0"),
    ("https://amp.com/story", "https://amp.com/story"),
])
def test_canonicalize_url(url, expected):
    assert canonicalize_url(url) == expected


def test_canonicalize_url_is_idempotent():
    once = canonicalize_url("https://AMP.Example.com:443/amp/x.amp.html?z=1&utm_source=a&a=2#f")
    assert canonicalize_url(once) == once


@pytest.mark.parametrize("url", ["", "/relative/path", "ftp://example.com/file", "mailto:a@example.com",
                                 "https://example.com:99999/x"])
def test_canonicalize_url_rejects_non_http_urls(url):
    with pytest.raises(ValueError, match="URL"):
        canonicalize_url(url)


# --- content_hash -----------------------------------------------------------------------------

def test_content_hash_ignores_typography_case_and_whitespace():
    a = "HALVIK (AFP) \u2013 \u201cWe heard a noise,\u201d he said.\nThe ship\u2019s hull broke."
    b = "halvik (afp) -- \"We heard a  noise,\" he said. The ship's hull broke.  "
    assert content_hash(a) == content_hash(b)


def test_content_hash_differs_for_different_words():
    assert content_hash("The ferry sank.") != content_hash("The ferry floated.")


def test_content_hash_is_hex():
    h = content_hash(text(FERRY))
    assert len(h) == 32 and int(h, 16) >= 0


# --- story_agency -----------------------------------------------------------------------------

@pytest.mark.parametrize("agencies, expected", [
    ([], None),
    ([None, None], None),
    (["AFP", None, None], "AFP"),
    ([None, "Reuters", "AFP", "Reuters"], "Reuters"),
    (["AP", "AFP"], "AP"),                               # tie: the first named wins
    (["Agence France-Presse", "AFP", "Reuters"], "AFP"),  # spellings unified
    (["Associated Press", "none", ""], "AP"),
])
def test_story_agency(agencies, expected):
    assert story_agency(agencies) == expected


# --- StoryIndex: what joins and what stays apart -----------------------------------------------

def test_identical_copies_share_a_story_exactly():
    retyped = [p.replace("\u201c", '"').replace("\u201d", '"').replace("\u2013", "--") for p in FERRY]
    got = StoryIndex().assign([doc("a1", FERRY), doc("a2", retyped, minutes=30)])
    assert got[0].story_id == got[1].story_id
    assert (got[0].method, got[0].is_new_story) == ("new", True)
    assert (got[1].method, got[1].is_new_story) == ("exact", False)


@pytest.mark.parametrize("keep", [1, 2, 3])
@pytest.mark.parametrize("short_first", [False, True])
def test_short_copy_keeping_first_paragraphs_joins(keep, short_first):
    full = doc("full", FERRY, minutes=60 if short_first else 0)
    short = doc("short", FERRY[:keep], minutes=0 if short_first else 60)
    got = stories(StoryIndex(), [full, short])
    assert got["full"] == got["short"]


def test_short_copy_with_agency_tag_dropped_and_a_leftover_line_joins():
    short = [FERRY[0].replace("HALVIK (AFP) –", "HALVIK \u2014"), FERRY[1],
             "Follow the Harbour Gazette on social media for the latest updates."]
    got = stories(StoryIndex(), [doc("full", FERRY), doc("short", short, agency=None, dateline="HALVIK \u2014")])
    assert got["full"] == got["short"]


def test_copy_with_wrapper_line_above_the_dateline_joins():
    wrapped = ["The Nordlys Queen in a file picture \u00a9 AFP/File Per Lund |", *FERRY[:2]]
    got = stories(StoryIndex(), [doc("full", FERRY), doc("wrapped", wrapped, minutes=20)])
    assert got["full"] == got["wrapped"]


def test_write_through_joins_the_first_version_and_its_copies():
    update = write_through(FERRY)
    got = stories(StoryIndex(), [
        doc("v1", FERRY), doc("v1-short", FERRY[:2], minutes=10),
        doc("v2", update, minutes=120), doc("v2-short", update[:3], minutes=150),
    ])
    assert len(set(got.values())) == 1


def test_sibling_report_from_another_agency_stays_apart():
    got = stories(StoryIndex(), [
        doc("afp", FERRY),
        doc("reuters", FERRY_SIBLING, minutes=40, agency="Reuters", dateline="HALVIK (Reuters) -"),
    ])
    assert got["afp"] != got["reuters"]


def test_sibling_stays_apart_on_text_alone_when_no_agency_is_detected():
    got = stories(StoryIndex(), [
        doc("orig", FERRY, agency=None),
        doc("sibling", FERRY_SIBLING, minutes=40, agency=None, dateline="HALVIK -"),
        doc("orig-short", FERRY[:3], minutes=50, agency=None),
    ])
    assert got["orig"] != got["sibling"]
    assert got["orig-short"] == got["orig"]


def test_different_agency_keeps_even_a_close_copy_apart_unless_texts_are_the_same():
    got = stories(StoryIndex(), [
        doc("afp", FERRY),
        doc("ap-lead", FERRY[:4], minutes=10, agency="AP"),        # a conflicting agency: apart
        doc("ap-full", FERRY, minutes=15, agency="AP"),            # same text: a detection slip
    ])
    assert got["ap-lead"] != got["afp"]
    assert got["ap-full"] == got["afp"]


def test_unrelated_story_from_the_same_agency_and_city_stays_apart():
    got = stories(StoryIndex(), [doc("ferry", FERRY), doc("vote", ELECTION, minutes=5)])
    assert got["ferry"] != got["vote"]


def test_copy_published_weeks_later_with_edits_starts_a_new_story():
    got = stories(StoryIndex(), [doc("then", FERRY), doc("later", FERRY[:3], minutes=60 * 24 * 30)])
    assert got["then"] != got["later"]


# --- ids: deterministic and persistent --------------------------------------------------------

def corpus() -> list[StoryDoc]:
    update = write_through(FERRY)
    return [
        doc("f1", FERRY, minutes=0), doc("f2", FERRY[:2], minutes=15), doc("f3", update, minutes=90),
        doc("s1", FERRY_SIBLING, minutes=30, agency="Reuters", dateline="HALVIK (Reuters) -"),
        doc("s2", FERRY_SIBLING[:3], minutes=45, agency=None, dateline="HALVIK -"),
        doc("e1", ELECTION, minutes=200), doc("e2", ELECTION[:2], minutes=260),
    ]


def test_input_order_does_not_change_the_result():
    docs = corpus()
    expected = stories(StoryIndex(), docs)
    for perm in itertools.islice(itertools.permutations(docs), 0, 5040, 719):
        assert stories(StoryIndex(), list(perm)) == expected
    assert len(set(expected.values())) == 3


def test_story_id_comes_from_the_earliest_copy_and_repeats_across_fresh_indexes():
    docs = corpus()
    first = stories(StoryIndex(), docs)
    second = stories(StoryIndex(), list(reversed(docs)))
    assert first == second
    # f2 published after f1 but listed first: the story is still f1's.
    only_f2_f1 = stories(StoryIndex(), [docs[1], docs[0]])
    assert only_f2_f1["f1"] == only_f2_f1["f2"] == first["f1"]


def test_docs_signed_elsewhere_need_no_text_and_get_the_same_stories():
    """A run's workers sign the cleaned texts; the index places the text-free docs as it would the texts."""
    docs = corpus()
    shingler = Shingler()
    signed = [dataclasses.replace(d, text="", content_hash=content_hash(d.text),
                                  signature=shingler.signature(d.text, d.dateline)) for d in docs]
    with_texts, signed_index = StoryIndex(), StoryIndex()
    assert stories(signed_index, signed) == stories(with_texts, docs)
    assert signed_index.new_rows().equals(with_texts.new_rows())


def test_results_come_back_in_input_order():
    docs = corpus()
    got = StoryIndex().assign(docs)
    assert [a.article_id for a in got] == [d.article_id for d in docs]


def test_persistence_across_runs_keeps_ids_and_late_reposts_join():
    docs = corpus()
    one_run = stories(StoryIndex(), docs)

    run1 = StoryIndex.from_arrow(None)
    early = [d for d in docs if d.article_id in ("f2", "s1", "e1")]
    ids1 = stories(run1, early)
    rows = run1.new_rows()
    assert rows.schema == INDEX_SCHEMA and rows.num_rows == 3

    run2 = StoryIndex.from_arrow(rows)
    got = run2.assign(docs)
    ids2 = {a.article_id: a.story_id for a in got}
    assert {a: ids2[a] for a in ids1} == ids1            # ids from run 1 never change
    assert ids2["f1"] == ids2["f2"] and ids2["f3"] == ids2["f2"]   # later copies join
    assert ids2["s2"] == ids2["s1"] != ids2["f1"]
    assert {a.article_id for a in got if a.is_new_story} == set()  # no new stories in run 2
    assert run2.new_rows().num_rows == 4                # only the unseen articles
    # Same partition of articles as a single run.
    assert len(set(ids2.values())) == len(set(one_run.values()))

    run3 = StoryIndex.from_arrow(pa.concat_tables([rows, run2.new_rows()]))
    again = run3.assign(docs)
    assert {a.article_id: a.story_id for a in again} == ids2
    assert all(a.method == "exact" and not a.is_new_story for a in again)
    assert run3.new_rows().num_rows == 0


def test_from_arrow_accepts_rows_in_any_order():
    index = StoryIndex()
    stories(index, corpus())
    rows = index.new_rows()
    shuffled = rows.take(list(reversed(range(rows.num_rows))))
    late = doc("f9", FERRY[:2] + ["A paragraph a small site added about local ferry timetables today."],
               minutes=300)
    a = StoryIndex.from_arrow(rows).assign([late])
    b = StoryIndex.from_arrow(shuffled).assign([late])
    assert a == b and a[0].method == "near"


@pytest.mark.parametrize("table", [None, INDEX_SCHEMA.empty_table()])
def test_from_arrow_without_rows_is_a_fresh_index(table):
    index = StoryIndex.from_arrow(table)
    assert len(index) == 0 and index.new_rows().num_rows == 0


def test_from_arrow_rejects_rows_of_another_signature_version():
    index = StoryIndex()
    index.assign([doc("a", FERRY)])
    rows = index.new_rows()
    old = rows.set_column(rows.schema.get_field_index("signature_version"), INDEX_SCHEMA.field("signature_version"),
                          pa.array(["w4-m8-l30-v0"], pa.string()))
    with pytest.raises(IndexFormatError, match="w4-m8-l30-v0"):
        StoryIndex.from_arrow(old)


def test_from_arrow_rejects_missing_columns():
    with pytest.raises(IndexFormatError, match="lack columns"):
        StoryIndex.from_arrow(pa.table({"article_id": ["a"], "story_id": ["s"]}))


def test_assign_rejects_non_storydoc_items():
    with pytest.raises(TypeError, match="StoryDoc"):
        StoryIndex().assign([{"article_id": "a", "text": "x"}])


def test_empty_and_tiny_texts_get_their_own_stories():
    got = stories(StoryIndex(), [doc("e", [""]), doc("t", ["Ferry aground."]), doc("u", ["Vote held."])])
    assert len(set(got.values())) == 3


def test_from_arrow_tolerates_a_row_appended_twice_but_not_conflicting_rows():
    index = StoryIndex()
    index.assign([doc("a", FERRY), doc("b", ELECTION, minutes=5)])
    rows = index.new_rows()
    twice = pa.concat_tables([rows, rows])
    assert StoryIndex.from_arrow(twice).story_ids() == index.story_ids()
    ids = rows.column("story_id").to_pylist()
    clash = pa.concat_tables([rows, rows.slice(0, 1).set_column(
        rows.schema.get_field_index("story_id"), INDEX_SCHEMA.field("story_id"), pa.array([ids[1]]))])
    with pytest.raises(IndexFormatError, match="'a' is in stories"):
        StoryIndex.from_arrow(clash)
