"""The ingest stages chained without Prefect against the bundled sample sites on loopback."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from itertools import combinations
from urllib.parse import urlsplit

import pytest

from tasks import pipeline as P
from tasks.dedup import StoryIndex
from tasks.fetch import FetchPolicy, Fetcher
from tasks.feeds import read_feed_list
from tasks.storage import Lake
from tests.conftest import SAMPLE

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)
EXPECTED = json.loads((SAMPLE / "expected.json").read_text())


def fetcher() -> Fetcher:
    return Fetcher(FetchPolicy(allow_private=True, connect_timeout=2, read_timeout=5, total_timeout=10))


@pytest.fixture(scope="module")
def ingested(sample_server, tmp_path_factory):
    lake = Lake(str(tmp_path_factory.mktemp("lake")))
    feeds = read_feed_list(sample_server.render((SAMPLE / "feeds.txt").read_text()))
    with fetcher() as f:
        polls = [P.poll_feed(f, lake, url, None, NOW) for url in feeds]
        cands, n_entries = P.select_new_entries(polls, set())
        results = [P.get_article(f, lake, c, NOW) for c in cands]
    raws = P.dedupe_by_canonical([r for r in results if isinstance(r, P.RawArticle)], set())
    arts, _, _ = P.clean_articles(raws, {})
    stories = P.assign_stories(StoryIndex.from_arrow(None), arts)
    return polls, n_entries, results, arts, stories


def path_of(url: str) -> str:
    path = urlsplit(url).path
    return path.replace("/amp/", "/", 1)


def test_every_feed_parses_and_every_article_lands(ingested):
    polls, n_entries, results, arts, _ = ingested
    assert [p.status for p in polls] == ["ok"] * 4
    assert n_entries == sum(f["n_entries"] for f in EXPECTED["feeds"].values())
    assert not [r for r in results if isinstance(r, P.ArticleFailure)]
    assert sorted(path_of(a.raw.canonical_url) for a in arts) == sorted(EXPECTED["articles"])


def test_summary_only_feed_is_completed_from_pages(ingested):
    arts = ingested[3]
    coastline = [a for a in arts if "/coastline-daily/" in a.raw.url]
    assert coastline and all(a.raw.text_source == "page" for a in coastline)
    assert all(a.raw.published_source == "page" for a in coastline)
    assert all(a.cleaned.text.count(" ") > 50 for a in coastline)


def test_tracking_parameters_and_amp_variants_are_canonicalized(ingested):
    arts = ingested[3]
    assert not [a for a in arts if "utm_" in a.raw.canonical_url or "/amp/" in a.raw.canonical_url]


def test_wire_copies_share_a_story_and_others_do_not(ingested):
    arts, stories = ingested[3], ingested[4]
    got = {path_of(a.raw.canonical_url): stories[a.article_id][0] for a in arts}
    want = {p: a["story_key"] for p, a in EXPECTED["articles"].items()}
    wrong = [(a, b) for a, b in combinations(sorted(want), 2) if (got[a] == got[b]) != (want[a] == want[b])]
    assert wrong == []


def test_wrappers_are_removed_and_kept_for_audit(ingested):
    arts = ingested[3]
    for a in arts:
        exp = EXPECTED["articles"][path_of(a.raw.canonical_url)]
        for line in exp["wrapper_lines"]:
            assert line not in a.cleaned.text, (a.raw.url, line)
        if exp["wrapper_lines"]:
            assert a.cleaned.removed
        if exp["dateline"]:
            assert a.cleaned.text.startswith(exp["dateline"].split()[0])


def test_wire_agency_per_story(ingested):
    from tasks.dedup import story_agency

    arts, stories = ingested[3], ingested[4]
    by_story: dict[str, list] = {}
    for a in arts:
        by_story.setdefault(stories[a.article_id][0], []).append(a)
    for group in by_story.values():
        agency = story_agency([a.cleaned.wire_agency for a in group])
        for a in group:
            assert agency == EXPECTED["articles"][path_of(a.raw.canonical_url)]["wire_agency"], a.raw.url


def test_conditional_get_makes_the_second_poll_unchanged(ingested, sample_server, tmp_path):
    polls = ingested[0]
    lake = Lake(str(tmp_path))
    with fetcher() as f:
        again = [P.poll_feed(f, lake, p.feed_url, p.state, NOW) for p in polls]
    assert [p.status for p in again] == ["unchanged"] * 4
    assert all(not p.entries for p in again)
