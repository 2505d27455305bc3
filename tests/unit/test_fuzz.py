"""Property-based tests (Hypothesis): random and mutated feeds and pages never break a stage or lose other articles.

The number of examples comes from the Hypothesis profile (tests/conftest.py): "newsflow" in the
suite (a few thousand in all, a few seconds), "bench" in `make bench-fuzz` (bench/fuzz.py).
Each test labels what it injected and what came out with hypothesis.event(), which
`--hypothesis-show-statistics` reports.
"""
from __future__ import annotations

import html
import re
from datetime import datetime, timezone

from hypothesis import HealthCheck, event, given, settings, strategies as st

from tasks import pipeline as P
from tasks.clean import AGENCIES, clean_site_batch, clean_text, normalize_lines
from tasks.dedup import StoryDoc, StoryIndex
from tasks.extract import ExtractionError, extract_article, html_fragment_to_text
from tasks.feeds import FeedEntry, FeedParseError, parse_feed

BASE = settings.default.max_examples   # the profile's examples for a cheap test
CHEAP = settings(max_examples=BASE, deadline=None, suppress_health_check=list(HealthCheck))
BATCH = settings(max_examples=max(10, BASE // 3), deadline=None, suppress_health_check=list(HealthCheck))
COSTLY = settings(max_examples=max(10, BASE // 6), deadline=None, suppress_health_check=list(HealthCheck))
NOW = datetime(2026, 11, 20, 12, tzinfo=timezone.utc)

# -- the text that goes into feeds and pages ----------------------------------------------
ODD = {
    "rtl": "\u05e9\u05dc\u05d5\u05dd \u0645\u0631\u062d\u0628\u0627 \u202e\u202b",
    "emoji": "\U0001f600\U0001f44d\U0001f3fd\u200d\U0001f468\u200d\U0001f469",
    "zero_width": "\u200b\u200c\u200d\u2060\ufeff\u00ad",
    "control": "\x00\x01\x07\x08\x0b\x0c\x1b\x7f\x85\u2028\u2029",
    "surrogate_like": "\ufffd\uffff",
    "runs": "_" * 60 + "-" * 60 + "=" * 40 + "." * 40 + " " * 40 + "A-" * 30,
}
words = st.sampled_from(["WASHINGTON", "(AFP)", "–", "--", "Reuters", "said", "the", "council", "on", "Monday",
                         "Photo:", "©", "Share", "Read more:", "{{ ad }}", "<p>", "By", "Jane", "Doe", "|",
                         "___", "•", "A-", "’", "“", "»", "1.", "Subscribe", "newsletter", "."])
odd_piece = st.sampled_from(sorted(ODD)).map(lambda k: (k, ODD[k]))


@st.composite
def article_text(draw) -> str:
    """Lines of news-like words mixed with odd characters and long runs of one character."""
    lines = []
    for _ in range(draw(st.integers(0, 5))):
        parts = draw(st.lists(st.one_of(words, words, st.text(max_size=5)), max_size=8))
        if draw(st.booleans()):
            kind, piece = draw(odd_piece)
            event(f"text: {kind}")
            parts.insert(draw(st.integers(0, len(parts))), piece)
        lines.append(" ".join(parts))
    return "\n".join(lines)


def _made_of(output: str, source: str, ascii_only: bool = False) -> bool:
    """Whether every line of `output` is spelled, in order, by characters of `source` (spaces
    aside): parsers drop control and unassigned characters, so words may close up, but no
    character may come from anywhere else. `ascii_only` compares the ASCII characters only."""
    def keep(text: str) -> str:
        return "".join(c for c in text if not c.isspace() and c != "\ufffd" and (c.isascii() or not ascii_only))
    source_chars = keep(source)
    for line in output.split("\n"):
        rest = iter(source_chars)
        if not all(c in rest for c in keep(line)):
            return False
    return True


# -- feeds -----------------------------------------------------------------------------------
def _rss(items: list[tuple[str, str, str]]) -> str:
    body = "".join(f"<item><title>{t}</title><link>{link}</link><description>{d}</description></item>"
                   for t, link, d in items)
    return f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T</title>{body}</channel></rss>'


@st.composite
def feed_bytes(draw) -> bytes:
    n = draw(st.integers(0, 3))
    items = [(html.escape(draw(article_text())[:200]), f"http://127.0.0.1:9/a/{i}.html",
              "<![CDATA[" + draw(article_text())[:300] + "]]>") for i in range(n)]
    doc = _rss(items)
    mutation = draw(st.sampled_from(["none", "truncate", "latin1", "utf16", "nested_cdata", "huge_attribute",
                                     "deep_nesting", "control_chars", "random_bytes", "bom_garbage"]))
    event(f"feed mutation: {mutation}")
    if mutation == "truncate":
        return doc.encode("utf-8")[:draw(st.integers(0, len(doc)))]
    if mutation == "latin1":
        return doc.encode("latin-1", "replace")   # declared utf-8, is not
    if mutation == "utf16":
        return doc.encode("utf-16")
    if mutation == "nested_cdata":
        return doc.replace("<![CDATA[", "<![CDATA[<![CDATA[x]]>").encode("utf-8")
    if mutation == "huge_attribute":
        return doc.replace("<channel>", f'<channel x="{"y" * 50_000}">').encode("utf-8")
    if mutation == "deep_nesting":
        depth = draw(st.integers(100, 1000))
        return doc.replace("<title>T</title>", "<title>T</title>" + "<x>" * depth + "</x>" * depth).encode("utf-8")
    if mutation == "control_chars":
        return doc.replace("<title>T", "<title>T\x00\x01\x0b\x1b").encode("utf-8")
    if mutation == "random_bytes":
        return draw(st.binary(max_size=2000))
    if mutation == "bom_garbage":
        return b"\xef\xbb\xbf\xff\xfe" + doc.encode("utf-8")
    return doc.encode("utf-8")


@CHEAP
@given(feed_bytes())
def test_parse_feed_only_raises_feed_parse_error(body):
    try:
        parsed = parse_feed(body, "http://127.0.0.1:9/feed.xml")
    except FeedParseError as err:
        event(f"outcome: FeedParseError {err.error_class}")
        return
    event("outcome: parsed")
    for entry in parsed.entries:
        assert entry.url.startswith(("http://", "https://"))
        assert entry.title is None or isinstance(entry.title, str)


# -- extraction ---------------------------------------------------------------------------------
@st.composite
def page_bytes(draw) -> tuple[bytes, str, bool]:
    paragraphs = [draw(article_text()) for _ in range(draw(st.integers(0, 4)))]
    inner = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    mutation = draw(st.sampled_from(["none", "truncate", "deep_nesting", "huge_attribute", "latin1", "no_body",
                                     "comments_and_cdata"]))
    event(f"page mutation: {mutation}")
    if mutation == "deep_nesting":
        depth = draw(st.integers(50, 2000))
        inner = "<div>" * depth + inner + "</div>" * depth
    elif mutation == "huge_attribute":
        inner = f'<div class="{"a " * 50_000}">{inner}</div>'
    elif mutation == "comments_and_cdata":
        inner = "<!-- x --><![CDATA[<p>y</p>]]>" + inner
    page = f"<html><head><title>T</title></head><body><article><h1>Headline</h1>{inner}</article></body></html>"
    if mutation == "no_body":
        page = inner
    data = page.encode("latin-1", "replace") if mutation == "latin1" else page.encode("utf-8")
    if mutation == "truncate":
        data = data[:draw(st.integers(0, len(data)))]
    try:
        return data, html.unescape(data.decode("utf-8")), False
    except UnicodeDecodeError:
        # Bytes in no declared encoding may be read in any charset the extractor guesses:
        # only their ASCII characters must come from the input.
        return data, html.unescape(data.decode("latin-1")), True


@COSTLY
@given(page_bytes())
def test_extraction_raises_only_extraction_error_and_invents_no_words(page):
    body, source, ascii_only = page
    try:
        ex = extract_article(body, "http://127.0.0.1:9/a/1.html")
    except ExtractionError:
        event("outcome: ExtractionError")
        return
    event("outcome: extracted")
    assert ex.text and all(line == line.strip() and line for line in ex.text.split("\n"))
    assert _made_of(ex.text, source, ascii_only)


@CHEAP
@given(st.one_of(article_text(), st.text(max_size=300)), st.integers(0, 3000))
def test_feed_html_to_text_never_raises_and_invents_no_words(text, depth):
    fragment = "<div>" * depth + f"<p>{html.escape(text)}</p>" + "</div>" * depth
    event(f"fragment depth: {'deep' if depth > 500 else 'shallow'}")
    out = html_fragment_to_text(fragment)
    assert _made_of(out, text)


# -- cleaning ---------------------------------------------------------------------------------
@CHEAP
@given(article_text(), st.one_of(st.none(), st.text(max_size=60)), st.one_of(st.none(), st.text(max_size=40)))
def test_cleaned_text_is_made_of_input_lines(text, title, byline):
    result = clean_text(text, title=title, byline=byline)
    lines = normalize_lines(text)
    kept = result.text.split("\n") if result.text else []
    assert sorted(kept + list(result.removed)) == sorted(lines)
    assert result.wire_agency in (*AGENCIES, None)
    if result.dateline is not None:
        assert any(line.startswith(result.dateline) for line in kept)
    event(f"outcome: {len(result.removed)} of {len(lines)} lines removed" if len(lines) < 3 else
          "outcome: long text cleaned")


@BATCH
@given(st.lists(article_text(), min_size=1, max_size=6))
def test_a_site_batch_keeps_every_article(texts):
    titles = [None] * len(texts)
    results = clean_site_batch(texts, titles)
    assert len(results) == len(texts)
    for text, result in zip(texts, results):
        lines = normalize_lines(text)
        assert sorted((result.text.split("\n") if result.text else []) + list(result.removed)) == sorted(lines)
        assert bool(result.text) == bool(lines)   # an article with text keeps some text


# -- story assignment and the run as a whole ----------------------------------------------------
def _raw(n: int, text: str, site: str) -> P.RawArticle:
    url = f"http://127.0.0.1:9/{site}/{n}.html"
    entry = FeedEntry(url=url, guid=None, title=None, author=None, published_at=None, summary_html=None,
                      content_html=None, language=None)
    cand = P.Candidate(f"{site}-{n}", url, entry, f"http://127.0.0.1:9/{site}/feed.xml", site)
    return P.RawArticle(cand, url, url, text, None, None, NOW, "feed", None, "feed", NOW, None)


@BATCH
@given(st.lists(st.tuples(article_text(), st.sampled_from(["a", "b", "c"])), min_size=1, max_size=6),
       st.booleans())
def test_clean_and_assign_stories_never_lose_an_article(items, duplicate):
    if duplicate:   # a copy on another site that cleans to the same text must join its original's story
        items = [*items, (items[0][0], "z")]
        event("stories: verbatim copy added")
    raws = [_raw(n, text, site) for n, (text, site) in enumerate(items)]
    ids = {P.article_id_for(r.canonical_url) for r in raws}
    batch, _, failed = P.clean_articles(raws, {})
    assert failed == [] and set(batch.rows.column("article_id").to_pylist()) == ids
    assert [d.article_id for d in batch.docs] == batch.rows.column("article_id").to_pylist()
    stories = P.assign_stories(StoryIndex(), batch.docs)
    assert set(stories) == ids
    if duplicate and items[0][0].strip():
        first, copy = (P.article_id_for(f"http://127.0.0.1:9/{s}/{n}.html")
                       for n, s in ((0, items[0][1]), (len(items) - 1, "z")))
        hashes = dict(zip(*(batch.rows.column(c).to_pylist() for c in ("article_id", "content_hash"))))
        # (The original's site may have learned one of its lines as furniture from its other pages.)
        if hashes[first] == hashes[copy]:
            assert stories[first][0] == stories[copy][0]
        else:
            event("stories: the original lost a line its site repeats")
    event(f"stories: {len(set(s for s, _ in stories.values()))} for {len(ids)} articles" if len(ids) < 3 else
          "stories: assigned")


@CHEAP
@given(st.lists(st.tuples(st.text(max_size=200), st.text(max_size=5)), min_size=1, max_size=10))
def test_story_index_assigns_every_doc(docs):
    index = StoryIndex()
    got = index.assign([StoryDoc(f"id{n}", site, text) for n, (text, site) in enumerate(docs)])
    assert sorted(a.article_id for a in got) == sorted(f"id{n}" for n in range(len(docs)))
