from datetime import datetime, timedelta, timezone

import pytest

from tasks import pipeline as P
from tasks.feeds import FeedEntry

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("page,feed,want", [
    (NOW - timedelta(hours=3), NOW - timedelta(hours=2), "page"),
    (None, NOW - timedelta(hours=2), "feed"),
    (NOW + timedelta(days=3), NOW - timedelta(hours=2), "feed"),    # a page date far in the future is not believed
    (None, NOW + timedelta(days=2), "fetch"),
    (None, None, "fetch"),
])
def test_published_at_source(page, feed, want):
    value, source = P.pick_published(page, feed, NOW)
    assert source == want
    assert value <= NOW + timedelta(days=1)


def entry(url):
    return FeedEntry(url=url, guid=None, title="t", author=None, published_at=None, summary_html=None,
                     content_html=None, language=None)


def test_select_new_entries_skips_known_and_repeated_articles():
    polls = [P.FeedPoll("http://a/feed", "ok", {}, "a", [entry("http://a/1?utm_source=rss"), entry("http://a/2")]),
             P.FeedPoll("http://b/feed", "ok", {}, "b", [entry("http://a/1"), entry("http://b/3#top")])]
    known = {P.article_id_for("http://a/2")}
    cands, n = P.select_new_entries(polls, known)
    assert n == 4
    assert [(c.canonical_url, c.site) for c in cands] == [("http://a/1", "a"), ("http://b/3", "b")]
    assert cands[0].article_id == P.article_id_for("http://a/1")


def test_a_link_that_cannot_be_canonicalized_is_skipped_not_fatal():
    polls = [P.FeedPoll("http://a/feed", "ok", {}, "a", [entry("http://news.example:99999/a2"), entry("http://a/ok")])]
    cands, n = P.select_new_entries(polls, set())
    assert n == 2 and [c.canonical_url for c in cands] == ["http://a/ok"]


def test_a_poll_has_a_new_entry_exactly_when_select_new_entries_would_take_one():
    # What starts the workers during the polls (flows.ingest): a feed that lists only stored
    # articles, or links that cannot be canonicalized, starts nothing.
    known = {P.article_id_for("http://a/1"), P.article_id_for("http://a/2")}
    old = P.FeedPoll("http://a/feed", "ok", {}, "a", [entry("http://a/1?utm_source=rss"), entry("http://a/2#top"),
                                                      entry("http://news.example:99999/x")])
    new = P.FeedPoll("http://a/feed", "ok", {}, "a", [entry("http://a/1"), entry("http://a/3")])
    unchanged = P.FeedPoll("http://a/feed", "unchanged", {}, "a", [])
    for poll, want in ((old, False), (new, True), (unchanged, False)):
        assert P.has_new_entry(poll, known) is want
        assert bool(P.select_new_entries([poll], known)[0]) is want


def test_page_batches_take_hosts_in_turn_one_host_per_batch():
    def cand(url: str) -> P.Candidate:
        return P.Candidate(url, url, FeedEntry(url, None, None, None, None, None, None, None), "f", "s")

    cands = [cand(f"http://a.test/{i}") for i in range(5)] + [cand(f"http://b.test/{i}") for i in range(2)]
    batches = P.page_batches(cands, 2)
    hosts = [{c.entry.url.split("/")[2] for c in b} for b in batches]
    assert hosts == [{"a.test"}, {"b.test"}, {"a.test"}, {"a.test"}]   # a's second batch waits for b's first
    assert [len(b) for b in batches] == [2, 2, 2, 1]
    assert sorted(c.article_id for b in batches for c in b) == sorted(c.article_id for c in cands)
    # A host gets as many batches as connections it may use at once, even when `size` would fit it in one.
    assert [len(b) for b in P.page_batches(cands, 100, per_host=2)] == [3, 1, 2, 1]
